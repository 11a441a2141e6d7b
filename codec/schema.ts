// The Hexs message schema (docs/messages.md): kinds, each body's fields in wire order, their
// types and length limits. This file is the one source: the TypeScript codec (codec.ts, json.ts)
// walks it at run time, and `npx ts-node --transpile-only codec/generate.ts` writes the Solidity
// body library (contracts/evm/libraries/HexsBodies.sol, with its test harness) and the Rust body
// module (contracts/cosmwasm/codec/src/bodies.rs) from it. The wire primitives (integers, bool,
// bytes32, length-prefixed bytes and strings, accounts, price lists) are hand-written in each
// language.
import type { Account, Price } from "./messages";

/** Length limits, in bytes (MAX_PRICES: entries of a price list). */
export const LIMITS = {
  MAX_STRING_LENGTH: 1024, // UTF-8 bytes of any string field
  MAX_BYTES_LENGTH: 4096, // deploymentParams, signature
  MAX_CURRENCY_LENGTH: 128, // a currency identifier
  MAX_PRICES: 16, // entries of a price list
} as const;
export type Limit = keyof typeof LIMITS;

/** Message kinds (the envelope's kind byte). A new kind is one line here plus its fields below. */
export enum Kind {
  ModelRegistered = 1,
  ModelUpdated = 2,
  KeyMinted = 3,
  KeyTransferred = 4,
  KeyMoved = 5,
  KeyBurned = 6,
  PurchaseSettled = 7,
  LeaseReported = 8,
  PayoutAddressBound = 9,
  KeyPolicySet = 10,
  LeaseHandedOver = 11,
  ResaleOrder = 12,
  ResaleResult = 13,
}

/**
 * Wire types: unsigned big-endian integers; `bool` (one byte, 0 or 1); `b32` (32 raw bytes);
 * `bytes` (u16 length ‖ bytes, at most the field's `max`); `string` (u16 length ‖ UTF-8, at most
 * MAX_STRING_LENGTH); `account` (family u8 ‖ length u8 ‖ address); `prices` (count u8 ≤ MAX_PRICES,
 * then per entry currency bytes(MAX_CURRENCY_LENGTH) ‖ amount u128).
 */
export type FieldType = "u16" | "u32" | "u64" | "u128" | "bool" | "b32" | "bytes" | "string" | "account" | "prices";

export interface FieldOptions {
  /** Required for `bytes`: the limit on its length. */
  readonly max?: Limit;
  /** One line for the generated struct field. */
  readonly doc?: string;
}

/** A field: name (camelCase; snake_case in Rust), wire type, options. */
export type Field = readonly [name: string, type: FieldType, options?: FieldOptions];

/** Field order and types of each body, exactly as encoded. */
export const SCHEMA = {
  [Kind.ModelRegistered]: [
    ["modelId", "u64"],
    ["parentId", "u64", { doc: "0 = no parent" }],
    ["creator", "account"],
    ["contentCommitment", "b32"],
    ["parentCommitment", "b32", { doc: "the parent's contentCommitment, zero for a root" }],
    ["soulbound", "bool"],
    ["forkable", "bool"],
    ["keyDuration", "u64", { doc: "seconds, 0 = keys never expire" }],
    ["upstreamBps", "u16"],
    ["daoBps", "u16"],
    ["forkRoyaltyBps", "u16"],
    ["resaleRoyaltyBps", "u16", { doc: "royalty on key resales (EVM secondaryRoyaltyBps, CosmWasm royalty.resale_bps)" }],
    ["sdlLocator", "string"],
    ["metadataUri", "string"],
  ],
  [Kind.ModelUpdated]: [
    ["modelId", "u64"],
    ["sequence", "u64", { doc: "the model's update count on its home chain; mirrors apply only a newer one" }],
    ["retired", "bool"],
    ["contentCommitment", "b32", { doc: "the model's current content commitment" }],
    ["sdlLocator", "string", { doc: "where the current encrypted SDL is" }],
    ["metadataUri", "string"],
    ["prices", "prices", { doc: "prices on the source chain" }],
  ],
  [Kind.KeyMinted]: [
    ["modelId", "u64"],
    ["keyId", "u64"],
    ["owner", "account"],
    ["expiresAt", "u64", { doc: "unix seconds, 0 = never" }],
    ["locked", "bool"],
  ],
  [Kind.KeyTransferred]: [
    ["keyId", "u64"],
    ["modelId", "u64"],
    ["from", "account"],
    ["to", "account"],
  ],
  [Kind.KeyMoved]: [
    ["keyId", "u64"],
    ["modelId", "u64"],
    ["fromChain", "u32"],
    ["toChain", "u32"],
    ["from", "account", { doc: "the holder on fromChain" }],
    ["owner", "account", { doc: "the holder on toChain" }],
    ["expiresAt", "u64"],
    ["locked", "bool"],
  ],
  [Kind.KeyBurned]: [
    ["keyId", "u64"],
    ["modelId", "u64"],
    ["owner", "account", { doc: "the holder when the key was burned" }],
  ],
  [Kind.PurchaseSettled]: [
    ["purchaseId", "u64"],
    ["modelId", "u64"],
    ["keyId", "u64"],
    ["buyer", "account"],
    ["currency", "bytes", { max: "MAX_CURRENCY_LENGTH" }],
    ["amount", "u128"],
    ["deploymentRequested", "bool"],
    ["deploymentParams", "bytes", { max: "MAX_BYTES_LENGTH" }],
  ],
  [Kind.LeaseReported]: [
    ["purchaseId", "u64"],
    ["ok", "bool"],
    ["dseq", "u64"],
    ["gseq", "u32"],
    ["oseq", "u32"],
    ["provider", "string"],
    ["reason", "string"],
  ],
  [Kind.PayoutAddressBound]: [
    ["creator", "account"],
    ["chain", "u32", { doc: "the chain the payout address is bound for" }],
    ["payout", "account"],
    ["bindNonce", "u64", { doc: "strictly increasing per (creator, chain)" }],
    ["signature", "bytes", { max: "MAX_BYTES_LENGTH" }],
  ],
  [Kind.KeyPolicySet]: [
    ["modelId", "u64"],
    ["soulbound", "bool", { doc: "keys minted from now on are soul-bound" }],
    ["keyDuration", "u64", { doc: "seconds a key minted from now on is valid, 0 = never expires" }],
    ["transferChecked", "bool", { doc: "the home chain checks each change of holder with plugins other chains cannot run" }],
  ],
  [Kind.LeaseHandedOver]: [
    ["keyId", "u64", { doc: "the leased key (also its purchase id)" }],
    ["modelId", "u64"],
    ["handover", "u64", { doc: "the key's handover report number, strictly increasing per key" }],
    ["dseq", "u64", { doc: "the lease (owner: the reporting leader's Akash account)" }],
    ["gseq", "u32"],
    ["oseq", "u32"],
    ["provider", "string"],
    ["holder", "account", { doc: "the new holder the deployment now serves" }],
    ["holderChain", "u32", { doc: "the Hexs chain the key resides on for the new holder" }],
    ["manifestHash", "b32", { doc: "sha256 of the new holder's manifest: the deployment's version on Akash" }],
    ["transfer", "string", { doc: "the transfer fact handed over: chain:tx:logIndex" }],
  ],
  [Kind.ResaleOrder]: [
    ["orderId", "u64", { doc: "the paying chain in the upper 32 bits, its order serial below" }],
    ["listingChain", "u32", { doc: "the chain of the listing; only it applies the order" }],
    ["modelId", "u64"],
    ["keyId", "u64"],
    ["seller", "account", { doc: "the listing's seller as the buyer saw it" }],
    ["buyer", "account", { doc: "who holds the key on the paying chain" }],
    ["currency", "bytes", { max: "MAX_CURRENCY_LENGTH", doc: "the payment's currency on the paying chain" }],
    ["price", "u128", { doc: "escrowed on the paying chain" }],
    ["deadline", "u64", { doc: "unix seconds: the listing chain fills only until then; later the buyer may withdraw" }],
  ],
  [Kind.ResaleResult]: [
    ["orderId", "u64"],
    ["keyId", "u64"],
    ["filled", "bool", { doc: "true: the key left the listing chain for the buyer; false: refused, refund" }],
    ["leaseEscrow", "u16", { doc: "the listing's lease-escrow terms (docs/resale.md), 0 when refused" }],
    ["royalty", "u128", { doc: "of the price, for the model's vault: the listing chain's ERC-2981 royalty; 0 when refused" }],
  ],
} as const satisfies { readonly [K in Kind]: readonly Field[] };

/** Every kind, in kind-number order. */
export const KINDS: readonly Kind[] = Object.values(Kind)
  .filter((k): k is Kind => typeof k === "number")
  .sort((a, b) => a - b);

// ---------------------------------------------------------------- TypeScript body types

/** The TypeScript value of a wire type: small integers are numbers, u64/u128 bigints, bytes 0x hex. */
export type ValueOf<T extends FieldType> = T extends "u16" | "u32"
  ? number
  : T extends "u64" | "u128"
    ? bigint
    : T extends "bool"
      ? boolean
      : T extends "account"
        ? Account
        : T extends "prices"
          ? Price[]
          : string;

type BodyOf<F extends readonly Field[]> = { -readonly [E in F[number] as E[0]]: ValueOf<E[1]> };

/** The decoded body of each kind, derived from SCHEMA. */
export type BodyByKind = { [K in Kind]: BodyOf<(typeof SCHEMA)[K]> };

export type ModelRegisteredBody = BodyByKind[Kind.ModelRegistered];
export type ModelUpdatedBody = BodyByKind[Kind.ModelUpdated];
export type KeyMintedBody = BodyByKind[Kind.KeyMinted];
export type KeyTransferredBody = BodyByKind[Kind.KeyTransferred];
export type KeyMovedBody = BodyByKind[Kind.KeyMoved];
export type KeyBurnedBody = BodyByKind[Kind.KeyBurned];
export type PurchaseSettledBody = BodyByKind[Kind.PurchaseSettled];
export type LeaseReportedBody = BodyByKind[Kind.LeaseReported];
export type PayoutAddressBoundBody = BodyByKind[Kind.PayoutAddressBound];
export type KeyPolicySetBody = BodyByKind[Kind.KeyPolicySet];
export type LeaseHandedOverBody = BodyByKind[Kind.LeaseHandedOver];
export type ResaleOrderBody = BodyByKind[Kind.ResaleOrder];
export type ResaleResultBody = BodyByKind[Kind.ResaleResult];
