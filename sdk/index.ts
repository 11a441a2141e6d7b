// The Hexs SDK: what tasks, the devnet, the relayer and the web app use to reach the protocol.
// Browser-safe: nothing reachable from here imports a Node built-in (test/sdk checks it).
// Node-only helpers (deployment folders, the key service, Akash deployments) are in sdk/node.
export * from "./errors";
export * from "./chains";
export * from "./contracts";
export * from "./accounts";
export * from "./ids";
export * from "./tx";
export * from "./actions";
export * from "./bridge";
export * from "./payout-binding";
export * as codec from "../codec";
export type * from "./typechain";
export * as aa from "./aa";
