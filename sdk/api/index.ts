// Model APIs through the Hexs gateway: signing calls as a key holder (Node: uses node:crypto) and
// paying per call with x402 v2 (@x402/fetch), or from a deposit with vouchers.
export * from "./request";
export * from "./client";
export * from "./paid";
export * from "./vouchers";
