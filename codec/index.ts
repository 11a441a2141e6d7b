// Hexs cross-chain message codec (TypeScript implementation). Spec: docs/messages.md.
export * from "./messages";
export * from "./codec";
export * from "./json";
