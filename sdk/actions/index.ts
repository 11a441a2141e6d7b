// The user actions: plain async functions taking (contracts, signer, typed params) and returning
// typed results. Browser-safe; decrypt and deploy need Node today and live in sdk/node.
export * from "./errors";
export { requireCreator, requireModel } from "./common";
export * from "./model";
export * from "./key";
export * from "./vault";
export * from "./plugin";
export * from "./allowlist";
export * from "./dao";
export * from "./payout";
export * from "./pause";
export * from "./api";
export * from "./resale";
