// Hexs cross-chain message types (spec: docs/messages.md).
// Integer conventions: uint8/16/32 fields are `number`; uint64 and uint128 fields are `bigint`.
// Byte fields are lowercase 0x-prefixed hex strings.

import { type BodyByKind, Kind, KINDS, LIMITS } from "./schema";

export {
  Kind,
  KINDS,
  LIMITS,
  SCHEMA,
  type BodyByKind,
  type Field,
  type FieldType,
  type KeyBurnedBody,
  type KeyMintedBody,
  type KeyMovedBody,
  type KeyPolicySetBody,
  type KeyTransferredBody,
  type LeaseHandedOverBody,
  type LeaseReportedBody,
  type ModelRegisteredBody,
  type ModelUpdatedBody,
  type PayoutAddressBoundBody,
  type PurchaseSettledBody,
} from "./schema";

export const CODEC_VERSION = 1;
export const HEADER_LENGTH = 22;
export const MAX_STRING_LENGTH = LIMITS.MAX_STRING_LENGTH; // UTF-8 bytes
export const MAX_BYTES_LENGTH = LIMITS.MAX_BYTES_LENGTH;
export const MAX_CURRENCY_LENGTH = LIMITS.MAX_CURRENCY_LENGTH;
export const MAX_PRICES = LIMITS.MAX_PRICES;

export const KIND_NAMES: Readonly<Record<Kind, keyof typeof Kind>> = Object.fromEntries(
  KINDS.map((k) => [k, Kind[k] as keyof typeof Kind]),
) as Record<Kind, keyof typeof Kind>;

export enum AccountFamily {
  Evm = 1,
  Cosmos = 2,
  CosmWasm = 3,
}

/** Exact address length in bytes for each account family. */
export const ACCOUNT_LENGTH: Readonly<Record<AccountFamily, number>> = {
  [AccountFamily.Evm]: 20,
  [AccountFamily.Cosmos]: 20,
  [AccountFamily.CosmWasm]: 32,
};

/** Chain-agnostic account word: family byte plus the full address. */
export interface Account {
  family: AccountFamily;
  /** 0x-prefixed hex, exactly ACCOUNT_LENGTH[family] bytes. */
  address: string;
}

export interface Price {
  /** Empty = the source chain's native coin; EVM: 20-byte ERC-20 address; Cosmos: ASCII denom bytes. */
  currency: string;
  amount: bigint; // uint128
}

export interface Header {
  version: number; // uint8, must be CODEC_VERSION
  srcChain: number; // uint32 Hexs chain identifier
  dstChain: number; // uint32
  nonce: bigint; // uint64 lane nonce
}

export type MessageOf<K extends Kind> = Header & { kind: K; body: BodyByKind[K] };

/** A message of any kind; narrow on `kind` to get the body type. */
export type Message = { [K in Kind]: MessageOf<K> }[Kind];

export type CodecErrorCode =
  | "Truncated"
  | "TrailingBytes"
  | "UnsupportedVersion"
  | "UnknownKind"
  | "UnknownAccountFamily"
  | "BadAccountLength"
  | "StringTooLong"
  | "BytesTooLong"
  | "InvalidUtf8"
  | "InvalidBool"
  | "TooManyPrices"
  | "ValueOutOfRange"
  | "EmptyBatch"
  | "BatchLaneMismatch"
  | "BatchNonceGap";

export class CodecError extends Error {
  readonly code: CodecErrorCode;
  constructor(code: CodecErrorCode, detail?: string) {
    super(detail ? `hexs codec: ${code}: ${detail}` : `hexs codec: ${code}`);
    this.name = "CodecError";
    this.code = code;
  }
}
