// LayerZero V2 dev path: real EndpointV2 + SimpleMessageLib deployment, packet codec, executor.
export * from "./artifacts";
export * from "./endpoint";
export * from "./executor";
export * from "./packet";
export * from "./store";
