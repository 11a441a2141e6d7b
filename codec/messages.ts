// Hexs cross-chain message types (spec: docs/messages.md).
// Integer conventions: uint8/16/32 fields are `number`; uint64 and uint128 fields are `bigint`.
// Byte fields are lowercase 0x-prefixed hex strings.

export const CODEC_VERSION = 1;
export const HEADER_LENGTH = 22;
export const MAX_STRING_LENGTH = 1024; // UTF-8 bytes
export const MAX_BYTES_LENGTH = 4096;
export const MAX_CURRENCY_LENGTH = 128;
export const MAX_PRICES = 16;

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
}

export const KIND_NAMES: Readonly<Record<Kind, keyof typeof Kind>> = {
  [Kind.ModelRegistered]: "ModelRegistered",
  [Kind.ModelUpdated]: "ModelUpdated",
  [Kind.KeyMinted]: "KeyMinted",
  [Kind.KeyTransferred]: "KeyTransferred",
  [Kind.KeyMoved]: "KeyMoved",
  [Kind.KeyBurned]: "KeyBurned",
  [Kind.PurchaseSettled]: "PurchaseSettled",
  [Kind.LeaseReported]: "LeaseReported",
  [Kind.PayoutAddressBound]: "PayoutAddressBound",
};

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

export interface ModelRegisteredBody {
  modelId: bigint;
  parentId: bigint; // 0 = no parent
  creator: Account;
  contentCommitment: string; // bytes32
  parentCommitment: string; // bytes32, zero when parentId = 0
  soulbound: boolean;
  forkable: boolean;
  keyDuration: bigint; // uint64 seconds, 0 = keys never expire
  upstreamBps: number; // uint16
  daoBps: number; // uint16
  forkRoyaltyBps: number; // uint16
  sdlLocator: string;
  metadataUri: string;
}

export interface ModelUpdatedBody {
  modelId: bigint;
  retired: boolean;
  metadataUri: string;
  prices: Price[]; // prices on the source chain, at most MAX_PRICES
}

export interface KeyMintedBody {
  modelId: bigint;
  keyId: bigint;
  owner: Account;
  expiresAt: bigint; // unix seconds, 0 = never
  locked: boolean;
}

export interface KeyTransferredBody {
  keyId: bigint;
  modelId: bigint;
  from: Account;
  to: Account;
}

export interface KeyMovedBody {
  keyId: bigint;
  modelId: bigint;
  fromChain: number; // uint32
  toChain: number; // uint32
  from: Account; // the holder on fromChain
  owner: Account; // the holder on toChain
  expiresAt: bigint;
  locked: boolean;
}

export interface KeyBurnedBody {
  keyId: bigint;
  modelId: bigint;
  owner: Account; // the holder when it was burned
}

export interface PurchaseSettledBody {
  purchaseId: bigint;
  modelId: bigint;
  keyId: bigint;
  buyer: Account;
  currency: string; // bytes, at most MAX_CURRENCY_LENGTH
  amount: bigint; // uint128
  deploymentRequested: boolean;
  deploymentParams: string; // bytes, at most MAX_BYTES_LENGTH
}

export interface LeaseReportedBody {
  purchaseId: bigint;
  ok: boolean;
  dseq: bigint; // uint64
  gseq: number; // uint32
  oseq: number; // uint32
  provider: string;
  reason: string;
}

export interface PayoutAddressBoundBody {
  creator: Account;
  chain: number; // uint32: the chain the payout address is bound for
  payout: Account;
  bindNonce: bigint; // uint64, strictly increasing per (creator, chain)
  signature: string; // bytes, at most MAX_BYTES_LENGTH
}

export interface BodyByKind {
  [Kind.ModelRegistered]: ModelRegisteredBody;
  [Kind.ModelUpdated]: ModelUpdatedBody;
  [Kind.KeyMinted]: KeyMintedBody;
  [Kind.KeyTransferred]: KeyTransferredBody;
  [Kind.KeyMoved]: KeyMovedBody;
  [Kind.KeyBurned]: KeyBurnedBody;
  [Kind.PurchaseSettled]: PurchaseSettledBody;
  [Kind.LeaseReported]: LeaseReportedBody;
  [Kind.PayoutAddressBound]: PayoutAddressBoundBody;
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
