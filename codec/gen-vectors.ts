// Generates codec/vectors.json from the TypeScript codec (codec).
// Usage: npx ts-node codec/gen-vectors.ts [--check]
//   --check: regenerate in memory and fail if the file on disk differs.
import * as fs from "fs";
import * as path from "path";
import { concat, getBytes, hexlify, keccak256, toUtf8Bytes } from "ethers";
import {
  Account,
  AccountFamily,
  BATCH_TAG,
  batchRoot,
  batchRootOfMessages,
  CODEC_VERSION,
  CodecError,
  CodecErrorCode,
  decodeMessage,
  encodeAccount,
  encodeMessage,
  HEADER_LENGTH,
  JsonValue,
  Kind,
  KINDS,
  MAX_BYTES_LENGTH,
  MAX_CURRENCY_LENGTH,
  MAX_PRICES,
  MAX_STRING_LENGTH,
  Message,
  messageDigest,
  messageToJson,
} from ".";

const OUT = path.join(__dirname, "vectors.json");

const U64_MAX = (1n << 64n) - 1n;
const U128_MAX = (1n << 128n) - 1n;
const U32_MAX = 0xffffffff;

// Hexs chain identifiers used in the vectors (configuration values, not EVM chain ids).
const EVM_A = 1;
const EVM_B = 2;
const COSMOS = 100;

const gid = (chain: number, serial: number): bigint => (BigInt(chain) << 32n) | BigInt(serial);
const label = (s: string): string => keccak256(toUtf8Bytes(s));
const evm = (hex: string): Account => ({ family: AccountFamily.Evm, address: hex });
const cosmos = (hex: string): Account => ({ family: AccountFamily.Cosmos, address: hex });
const contract = (hex: string): Account => ({ family: AccountFamily.CosmWasm, address: hex });

const ALICE = evm("0x70997970c51812dc3a010c7d01b50e0d17dc79c8");
const BOB = evm("0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc");
const CAROL_COSMOS = cosmos("0x1c3a5d8f2b4e6a7c9d0e1f2a3b4c5d6e7f809102");
const DAO_CONTRACT = contract("0x" + "a1".repeat(4) + "b2".repeat(12) + "c3".repeat(16));
const USDC = "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48";
const ZERO32 = "0x" + "00".repeat(32);

const messages: { name: string; note: string; m: Message }[] = [];
const add = (name: string, note: string, m: Message): void => {
  messages.push({ name, note, m });
};
const hdr = (src: number, dst: number, nonce: bigint) => ({ version: CODEC_VERSION, srcChain: src, dstChain: dst, nonce });

// ---------------------------------------------------------------- valid messages
add("model-registered-root", "root model on EVM chain 1, no parent", {
  ...hdr(EVM_A, EVM_B, 1n),
  kind: Kind.ModelRegistered,
  body: {
    modelId: gid(EVM_A, 1),
    parentId: 0n,
    creator: ALICE,
    contentCommitment: label("encrypted-sdl+image-digest:model-1"),
    parentCommitment: ZERO32,
    soulbound: false,
    forkable: true,
    keyDuration: 0n,
    upstreamBps: 0,
    daoBps: 500,
    forkRoyaltyBps: 9500,
    resaleRoyaltyBps: 250,
    sdlLocator: "lighthouse://QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG",
    metadataUri: "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi/meta.json",
  },
});
add("model-registered-fork-unicode", "fork of a Cosmos model, DAO-owned, emoji + CJK metadata", {
  ...hdr(COSMOS, EVM_A, 7n),
  kind: Kind.ModelRegistered,
  body: {
    modelId: gid(COSMOS, 42),
    parentId: gid(EVM_A, 1),
    creator: DAO_CONTRACT,
    contentCommitment: label("fork-42"),
    parentCommitment: label("encrypted-sdl+image-digest:model-1"),
    soulbound: true,
    forkable: false,
    keyDuration: 2_592_000n,
    upstreamBps: 1000,
    daoBps: 2000,
    forkRoyaltyBps: 7000,
    resaleRoyaltyBps: 2500,
    sdlLocator: "lighthouse://QmFork🦀",
    metadataUri: "ipfs://模型/微调-🤖✨/ümlaut-ñ-𝔘.json",
  },
});
// Exactly MAX_STRING_LENGTH UTF-8 bytes: 341 × "€" (3 bytes) + "x".
const MAX_MULTIBYTE = "€".repeat(341) + "x";
add("model-registered-max-strings", "both strings at the 1024-byte maximum (one multi-byte), u64/u16 maxima", {
  ...hdr(U32_MAX, U32_MAX, U64_MAX),
  kind: Kind.ModelRegistered,
  body: {
    modelId: U64_MAX,
    parentId: U64_MAX,
    creator: BOB,
    contentCommitment: "0x" + "ff".repeat(32),
    parentCommitment: "0x" + "ff".repeat(32),
    soulbound: true,
    forkable: true,
    keyDuration: U64_MAX,
    upstreamBps: 0xffff,
    daoBps: 0xffff,
    forkRoyaltyBps: 0xffff,
    resaleRoyaltyBps: 0xffff,
    sdlLocator: "a".repeat(MAX_STRING_LENGTH),
    metadataUri: MAX_MULTIBYTE,
  },
});
add("model-registered-zero", "every field zero or empty", {
  ...hdr(0, 0, 0n),
  kind: Kind.ModelRegistered,
  body: {
    modelId: 0n,
    parentId: 0n,
    creator: evm("0x" + "00".repeat(20)),
    contentCommitment: ZERO32,
    parentCommitment: ZERO32,
    soulbound: false,
    forkable: false,
    keyDuration: 0n,
    upstreamBps: 0,
    daoBps: 0,
    forkRoyaltyBps: 0,
    resaleRoyaltyBps: 0,
    sdlLocator: "",
    metadataUri: "",
  },
});
add("model-updated-prices", "native + ERC-20 prices on EVM chain 1", {
  ...hdr(EVM_A, COSMOS, 2n),
  kind: Kind.ModelUpdated,
  body: {
    modelId: gid(EVM_A, 1),
    sequence: 2n,
    retired: false,
    contentCommitment: keccak256(toUtf8Bytes("sdl v2")),
    sdlLocator: "lighthouse://bafy-sdl-v2",
    metadataUri: "ipfs://bafy-v2/meta.json",
    prices: [
      { currency: "0x", amount: 10n ** 16n },
      { currency: USDC, amount: 25_000_000n },
    ],
  },
});
add("model-updated-retired", "retired, empty metadata, no prices", {
  ...hdr(COSMOS, EVM_B, 3n),
  kind: Kind.ModelUpdated,
  body: {
    modelId: gid(COSMOS, 42),
    sequence: 1n,
    retired: true,
    contentCommitment: ZERO32,
    sdlLocator: "",
    metadataUri: "",
    prices: [],
  },
});
add("model-updated-max-prices", "16 prices, 128-byte denom, uint128 max", {
  ...hdr(COSMOS, EVM_A, 4n),
  kind: Kind.ModelUpdated,
  body: {
    modelId: gid(COSMOS, 42),
    sequence: 2n ** 64n - 1n,
    retired: false,
    contentCommitment: "0x" + "ff".repeat(32),
    sdlLocator: "ipfs://sdl",
    metadataUri: "ipfs://x",
    prices: Array.from({ length: MAX_PRICES }, (_, i) => ({
      currency: i === 0 ? hexlify(toUtf8Bytes("ibc/" + "A".repeat(MAX_CURRENCY_LENGTH - 4))) : hexlify(toUtf8Bytes(`uden${i}`)),
      amount: i === 0 ? U128_MAX : BigInt(i),
    })),
  },
});
add("key-minted-evm", "typical key bought on EVM chain 1", {
  ...hdr(EVM_A, EVM_B, 12n),
  kind: Kind.KeyMinted,
  body: { modelId: gid(EVM_A, 1), keyId: gid(EVM_A, 77), owner: BOB, expiresAt: 1_800_000_000n, locked: false },
});
add("key-minted-cosmos-locked", "soul-bound key bought on the Cosmos chain", {
  ...hdr(COSMOS, EVM_A, 1n),
  kind: Kind.KeyMinted,
  body: { modelId: gid(COSMOS, 42), keyId: gid(COSMOS, 1), owner: CAROL_COSMOS, expiresAt: 0n, locked: true },
});
add("key-minted-zero", "all-zero values", {
  ...hdr(0, 0, 0n),
  kind: Kind.KeyMinted,
  body: { modelId: 0n, keyId: 0n, owner: evm("0x" + "00".repeat(20)), expiresAt: 0n, locked: false },
});
add("key-minted-max", "all-max values, CosmWasm contract owner", {
  ...hdr(U32_MAX, U32_MAX, U64_MAX),
  kind: Kind.KeyMinted,
  body: { modelId: U64_MAX, keyId: U64_MAX, owner: contract("0x" + "ff".repeat(32)), expiresAt: U64_MAX, locked: true },
});
add("key-transferred", "EVM holder to a Cosmos account", {
  ...hdr(EVM_A, COSMOS, 13n),
  kind: Kind.KeyTransferred,
  body: { keyId: gid(EVM_A, 77), modelId: gid(EVM_A, 1), from: BOB, to: CAROL_COSMOS },
});
add("key-moved", "key moved from EVM chain 1 to EVM chain 2", {
  ...hdr(EVM_A, EVM_B, 14n),
  kind: Kind.KeyMoved,
  body: {
    keyId: gid(EVM_A, 77),
    modelId: gid(EVM_A, 1),
    fromChain: EVM_A,
    toChain: EVM_B,
    from: BOB,
    owner: ALICE,
    expiresAt: 1_800_000_000n,
    locked: false,
  },
});
add("key-burned", "key burned on its resident chain", {
  ...hdr(EVM_B, COSMOS, 5n),
  kind: Kind.KeyBurned,
  body: { keyId: gid(EVM_A, 77), modelId: gid(EVM_A, 1), owner: ALICE },
});
add("purchase-settled-erc20", "USDC purchase without deployment", {
  ...hdr(EVM_A, COSMOS, 15n),
  kind: Kind.PurchaseSettled,
  body: {
    purchaseId: gid(EVM_A, 9),
    modelId: gid(EVM_A, 1),
    keyId: gid(EVM_A, 78),
    buyer: ALICE,
    currency: USDC,
    amount: 25_000_000n,
    deploymentRequested: false,
    deploymentParams: "0x",
  },
});
add("purchase-settled-deploy-cosmos", "native-denom purchase asking for a deployment", {
  ...hdr(COSMOS, EVM_A, 2n),
  kind: Kind.PurchaseSettled,
  body: {
    purchaseId: gid(COSMOS, 3),
    modelId: gid(COSMOS, 42),
    keyId: gid(COSMOS, 2),
    buyer: CAROL_COSMOS,
    currency: hexlify(toUtf8Bytes("ustake")),
    amount: 5_000_000n,
    deploymentRequested: true,
    deploymentParams: hexlify(toUtf8Bytes('{"region":"eu","maxUact":"1000"}')),
  },
});
add("purchase-settled-max", "4096-byte deployment params, uint128 max amount", {
  ...hdr(EVM_B, EVM_A, 99n),
  kind: Kind.PurchaseSettled,
  body: {
    purchaseId: U64_MAX,
    modelId: U64_MAX,
    keyId: U64_MAX,
    buyer: DAO_CONTRACT,
    currency: "0x" + "ee".repeat(MAX_CURRENCY_LENGTH),
    amount: U128_MAX,
    deploymentRequested: true,
    deploymentParams: "0x" + "5a".repeat(MAX_BYTES_LENGTH),
  },
});
add("lease-reported-ok", "lease opened", {
  ...hdr(COSMOS, EVM_A, 3n),
  kind: Kind.LeaseReported,
  body: {
    purchaseId: gid(EVM_A, 9),
    ok: true,
    dseq: 1_234_567n,
    gseq: 1,
    oseq: 1,
    provider: "akash1q7spuqhnlq0ncvzp6k5c8n3h8vjz0nqxm8vxqd",
    reason: "",
  },
});
add("lease-reported-failed-unicode", "lease failed, unicode reason", {
  ...hdr(EVM_A, EVM_B, 16n),
  kind: Kind.LeaseReported,
  body: {
    purchaseId: gid(EVM_A, 10),
    ok: false,
    dseq: 0n,
    gseq: 0,
    oseq: 0,
    provider: "",
    reason: "no bids under price cap — 入札なし 😢",
  },
});
add("payout-address-bound", "creator binds a Cosmos payout account, 65-byte EVM signature", {
  ...hdr(EVM_A, COSMOS, 17n),
  kind: Kind.PayoutAddressBound,
  body: {
    creator: ALICE,
    chain: COSMOS,
    payout: CAROL_COSMOS,
    bindNonce: 1n,
    signature: "0x" + "11".repeat(32) + "22".repeat(32) + "1b",
  },
});

add("key-policy-set", "home chain changes a model's key policy: soul-bound, 30-day keys, transfers checked", {
  ...hdr(EVM_A, COSMOS, 18n),
  kind: Kind.KeyPolicySet,
  body: {
    modelId: gid(EVM_A, 1),
    soulbound: true,
    keyDuration: 2_592_000n,
    transferChecked: true,
  },
});

add("lease-handed-over", "a leased key's deployment now serves its new holder (a Cosmos account)", {
  ...hdr(COSMOS, EVM_A, 4n),
  kind: Kind.LeaseHandedOver,
  body: {
    keyId: gid(EVM_A, 9),
    modelId: gid(EVM_A, 1),
    handover: 2n,
    dseq: 1_234_567n,
    gseq: 1,
    oseq: 1,
    provider: "akash1q7spuqhnlq0ncvzp6k5c8n3h8vjz0nqxm8vxqd",
    holder: CAROL_COSMOS,
    holderChain: EVM_A,
    manifestHash: "0x" + "3c".repeat(32),
    transfer: `${EVM_A}:0x${"4d".repeat(32)}:3`,
  },
});

add("resale-order", "a buyer on B orders a key listed on A, paying 25 USDC (6 decimals) escrowed on B", {
  ...hdr(EVM_B, EVM_A, 19n),
  kind: Kind.ResaleOrder,
  body: {
    orderId: gid(EVM_B, 1),
    listingChain: EVM_A,
    modelId: gid(EVM_A, 1),
    keyId: gid(EVM_A, 3),
    seller: ALICE,
    buyer: BOB,
    currency: "0x" + "a0".repeat(20),
    price: 25_000_000n,
    deadline: 1_796_000_000n,
  },
});
add("resale-result-filled", "A filled B's order: the key left for B with the escrow priced in", {
  ...hdr(EVM_A, EVM_B, 20n),
  kind: Kind.ResaleResult,
  body: { orderId: gid(EVM_B, 1), keyId: gid(EVM_A, 3), filled: true, leaseEscrow: 0, royalty: 1_250_000n },
});
add("resale-result-refused", "A refused B's order (listing gone): B refunds the buyer", {
  ...hdr(EVM_A, EVM_B, 21n),
  kind: Kind.ResaleResult,
  body: { orderId: gid(EVM_B, 2), keyId: gid(EVM_A, 3), filled: false, leaseEscrow: 0, royalty: 0n },
});

// ---------------------------------------------------------------- batches
type BatchVector = {
  name: string;
  srcChain: number;
  dstChain: number;
  firstNonce: string;
  messages: string[];
  digests: string[];
  root: string;
};
const batches: BatchVector[] = [];
function addBatch(name: string, ms: Message[]): void {
  const encoded = ms.map((m) => hexlify(encodeMessage(m)));
  const r = batchRootOfMessages(encoded);
  if (r.root !== batchRoot(r, r.digests)) throw new Error("batch root mismatch");
  batches.push({
    name,
    srcChain: r.srcChain,
    dstChain: r.dstChain,
    firstNonce: r.firstNonce.toString(),
    messages: encoded,
    digests: r.digests,
    root: r.root,
  });
}
const keyMintedAt = (src: number, dst: number, nonce: bigint, serial: number): Message => ({
  ...hdr(src, dst, nonce),
  kind: Kind.KeyMinted,
  body: { modelId: gid(src, 1), keyId: gid(src, serial), owner: BOB, expiresAt: 0n, locked: false },
});
addBatch("batch-cosmos-to-evm-3", [
  keyMintedAt(COSMOS, EVM_A, 5n, 100),
  { ...messages.find((x) => x.name === "purchase-settled-deploy-cosmos")!.m, nonce: 6n },
  { ...keyMintedAt(COSMOS, EVM_A, 7n, 101) },
]);
addBatch("batch-single", [keyMintedAt(COSMOS, EVM_B, 1n, 1)]);

// Batch rejections (messages valid individually).
const batchRejections: { name: string; messages: string[]; error: CodecErrorCode }[] = [];
function addBatchRejection(name: string, ms: string[], error: CodecErrorCode): void {
  expectError(() => batchRootOfMessages(ms), error, name);
  batchRejections.push({ name, messages: ms, error });
}
const enc = (m: Message): string => hexlify(encodeMessage(m));
addBatchRejection("batch-empty", [], "EmptyBatch");
addBatchRejection(
  "batch-nonce-gap",
  [enc(keyMintedAt(COSMOS, EVM_A, 5n, 1)), enc(keyMintedAt(COSMOS, EVM_A, 7n, 2))],
  "BatchNonceGap",
);
addBatchRejection(
  "batch-nonce-reordered",
  [enc(keyMintedAt(COSMOS, EVM_A, 6n, 1)), enc(keyMintedAt(COSMOS, EVM_A, 5n, 2))],
  "BatchNonceGap",
);
addBatchRejection(
  "batch-wrong-destination",
  [enc(keyMintedAt(COSMOS, EVM_A, 5n, 1)), enc(keyMintedAt(COSMOS, EVM_B, 6n, 2))],
  "BatchLaneMismatch",
);
addBatchRejection(
  "batch-wrong-source",
  [enc(keyMintedAt(COSMOS, EVM_A, 5n, 1)), enc(keyMintedAt(EVM_B, EVM_A, 6n, 2))],
  "BatchLaneMismatch",
);

// ---------------------------------------------------------------- payout binding digests
// ---------------------------------------------------------------- rejections
function expectError(f: () => unknown, code: CodecErrorCode, name: string): void {
  try {
    f();
  } catch (e) {
    if (e instanceof CodecError && e.code === code) return;
    throw new Error(`vector ${name}: expected ${code}, got ${String(e)}`, { cause: e });
  }
  throw new Error(`vector ${name}: expected ${code}, decoded fine`);
}

const u = (v: number | bigint, bytes: number): Uint8Array => {
  const out = new Uint8Array(bytes);
  let x = BigInt(v);
  for (let i = bytes - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
};
/** A message with an arbitrary (possibly invalid) body and a correct body length. */
const raw = (kind: number, body: Uint8Array | string, version = CODEC_VERSION): string => {
  const b = getBytes(body);
  return hexlify(concat([u(version, 1), u(kind, 1), u(EVM_A, 4), u(COSMOS, 4), u(1, 8), u(b.length, 4), b]));
};
const str = (bytes: Uint8Array | string): Uint8Array => {
  const b = getBytes(bytes);
  return getBytes(concat([u(b.length, 2), b]));
};
const acct = (family: number, len: number): Uint8Array =>
  getBytes(concat([u(family, 1), u(len, 1), new Uint8Array(len).fill(0x42)]));
const byName = (n: string): string => enc(messages.find((x) => x.name === n)!.m);
const keyMintedHex = byName("key-minted-evm");
const keyMintedBody = getBytes(keyMintedHex).subarray(HEADER_LENGTH);
const leaseBody = (provider: Uint8Array, reason: Uint8Array): Uint8Array =>
  getBytes(concat([u(1, 8), u(0, 1), u(0, 8), u(0, 4), u(0, 4), provider, reason]));

const rejections: { name: string; note: string; hex: string; error: CodecErrorCode }[] = [];
function reject(name: string, note: string, hex: string, error: CodecErrorCode): void {
  expectError(() => decodeMessage(hex), error, name);
  rejections.push({ name, note, hex: hexlify(getBytes(hex)), error });
}

reject("empty", "no bytes at all", "0x", "Truncated");
reject("version-0", "version byte 0", raw(Kind.KeyBurned, u(1, 8), 0), "UnsupportedVersion");
reject("version-2", "future version", raw(Kind.KeyBurned, u(1, 8), 2), "UnsupportedVersion");
reject("version-only", "a valid version byte and nothing else", "0x01", "Truncated");
reject("kind-0", "kind 0 is not assigned", raw(0, u(1, 8)), "UnknownKind");
const UNASSIGNED = Math.max(...KINDS) + 1; // computed: a new kind moves it
reject(`kind-${UNASSIGNED}`, "first unassigned kind", raw(UNASSIGNED, u(1, 8)), "UnknownKind");
reject("kind-255", "kind 255", raw(255, u(1, 8)), "UnknownKind");
reject("header-truncated", "header cut after 21 bytes", hexlify(getBytes(keyMintedHex).subarray(0, 21)), "Truncated");
reject(
  "header-only",
  "header claims a body that is missing",
  hexlify(getBytes(keyMintedHex).subarray(0, HEADER_LENGTH)),
  "Truncated",
);
reject(
  "body-truncated",
  "last body byte missing",
  hexlify(getBytes(keyMintedHex).subarray(0, getBytes(keyMintedHex).length - 1)),
  "Truncated",
);
reject("trailing-byte", "one byte after the body", hexlify(concat([keyMintedHex, "0x00"])), "TrailingBytes");
reject(
  "body-length-short",
  "body length field one less than the body; the body decoder runs out",
  hexlify(
    concat([
      getBytes(keyMintedHex).subarray(0, 18),
      u(keyMintedBody.length - 1, 4),
      keyMintedBody.subarray(0, keyMintedBody.length - 1),
    ]),
  ),
  "Truncated",
);
reject(
  "body-trailing",
  "KeyBurned body with an extra byte inside the declared body",
  raw(Kind.KeyBurned, concat([u(1, 8), u(2, 8), acct(1, 20), "0x00"])),
  "TrailingBytes",
);
reject(
  "account-evm-32",
  "EVM account with 32 bytes",
  raw(Kind.KeyTransferred, concat([u(1, 8), u(2, 8), acct(1, 32), acct(1, 20)])),
  "BadAccountLength",
);
reject(
  "account-cosmos-32",
  "Cosmos account with 32 bytes",
  raw(Kind.KeyTransferred, concat([u(1, 8), u(2, 8), acct(2, 20), acct(2, 32)])),
  "BadAccountLength",
);
reject(
  "account-contract-20",
  "CosmWasm contract with 20 bytes",
  raw(Kind.KeyMinted, concat([u(1, 8), u(2, 8), acct(3, 20), u(0, 8), u(0, 1)])),
  "BadAccountLength",
);
reject(
  "account-family-0",
  "family 0",
  raw(Kind.KeyMinted, concat([u(1, 8), u(2, 8), acct(0, 20), u(0, 8), u(0, 1)])),
  "UnknownAccountFamily",
);
reject(
  "account-family-4",
  "family 4",
  raw(Kind.KeyMinted, concat([u(1, 8), u(2, 8), acct(4, 20), u(0, 8), u(0, 1)])),
  "UnknownAccountFamily",
);
reject("bool-2", "locked = 2", raw(Kind.KeyMinted, concat([u(1, 8), u(2, 8), acct(1, 20), u(0, 8), u(2, 1)])), "InvalidBool");
reject(
  "string-1025",
  "provider string one byte over the maximum",
  raw(Kind.LeaseReported, leaseBody(str(new Uint8Array(MAX_STRING_LENGTH + 1).fill(0x61)), str("0x"))),
  "StringTooLong",
);
reject(
  "utf8-invalid-byte",
  "0xff is never valid UTF-8",
  raw(Kind.LeaseReported, leaseBody(str("0x61ff62"), str("0x"))),
  "InvalidUtf8",
);
reject(
  "utf8-overlong",
  "overlong encoding of '/' (c0 af)",
  raw(Kind.LeaseReported, leaseBody(str("0x"), str("0xc0af"))),
  "InvalidUtf8",
);
reject(
  "utf8-surrogate",
  "UTF-16 surrogate U+D800 (ed a0 80)",
  raw(Kind.LeaseReported, leaseBody(str("0xeda080"), str("0x"))),
  "InvalidUtf8",
);
reject(
  "utf8-cut-sequence",
  "string ends inside a 4-byte sequence (f0 9f 98)",
  raw(Kind.LeaseReported, leaseBody(str("0xf09f98"), str("0x"))),
  "InvalidUtf8",
);
reject(
  "utf8-above-max",
  "code point above U+10FFFF (f4 90 80 80)",
  raw(Kind.LeaseReported, leaseBody(str("0xf4908080"), str("0x"))),
  "InvalidUtf8",
);
reject(
  "utf8-stray-continuation",
  "continuation byte without a lead (80)",
  raw(Kind.LeaseReported, leaseBody(str("0x"), str("0x41804142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e"))),
  "InvalidUtf8",
);
reject(
  "currency-129",
  "currency one byte over the maximum",
  raw(
    Kind.PurchaseSettled,
    concat([u(1, 8), u(2, 8), u(3, 8), acct(1, 20), str(new Uint8Array(MAX_CURRENCY_LENGTH + 1)), u(1, 16), u(0, 1), str("0x")]),
  ),
  "BytesTooLong",
);
reject(
  "deployment-params-4097",
  "deployment params one byte over the maximum",
  raw(
    Kind.PurchaseSettled,
    concat([u(1, 8), u(2, 8), u(3, 8), acct(1, 20), str("0x"), u(1, 16), u(1, 1), str(new Uint8Array(MAX_BYTES_LENGTH + 1))]),
  ),
  "BytesTooLong",
);
reject(
  "prices-17",
  "17 prices",
  raw(
    Kind.ModelUpdated,
    concat([
      u(1, 8),
      u(1, 8),
      u(0, 1),
      ZERO32,
      str("0x"),
      str("0x"),
      u(MAX_PRICES + 1, 1),
      ...Array.from({ length: MAX_PRICES + 1 }, () => concat([str("0x"), u(1, 16)])),
    ]),
  ),
  "TooManyPrices",
);
reject(
  "string-length-past-end",
  "string length points past the end of the body",
  raw(Kind.LeaseReported, concat([u(1, 8), u(0, 1), u(0, 8), u(0, 4), u(0, 4), u(10, 2), "0x6162"])),
  "Truncated",
);

// ---------------------------------------------------------------- output
function checkRoundTrip(name: string, m: Message): { hex: string; digest: string } {
  const bytes = encodeMessage(m);
  const back = decodeMessage(bytes);
  if (hexlify(encodeMessage(back)) !== hexlify(bytes)) throw new Error(`${name}: round trip differs`);
  if (JSON.stringify(messageToJson(back)) !== JSON.stringify(messageToJson(m))) throw new Error(`${name}: json differs`);
  return { hex: hexlify(bytes), digest: messageDigest(bytes) };
}

const doc: { [k: string]: JsonValue } = {
  description:
    "Hexs message codec golden vectors (docs/messages.md). Generated by codec/gen-vectors.ts from codec; " +
    "the Solidity (contracts/evm/libraries/HexsCodec.sol) and Rust (contracts/cosmwasm/codec) codecs are tested against this file.",
  constants: {
    version: CODEC_VERSION,
    headerLength: HEADER_LENGTH,
    maxStringLength: MAX_STRING_LENGTH,
    maxBytesLength: MAX_BYTES_LENGTH,
    maxCurrencyLength: MAX_CURRENCY_LENGTH,
    maxPrices: MAX_PRICES,
    batchTag: BATCH_TAG,
  },
  accounts: [ALICE, CAROL_COSMOS, DAO_CONTRACT].map((a) => ({
    family: a.family,
    address: a.address,
    encoded: hexlify(encodeAccount(a)),
  })),
  messages: messages.map(({ name, note, m }) => {
    const { hex, digest } = checkRoundTrip(name, m);
    return { name, note, message: messageToJson(m), length: getBytes(hex).length, hex, digest };
  }),
  batches,
  batchRejections,
  rejections,
};

const text = JSON.stringify(doc, null, 2) + "\n";
if (process.argv.includes("--check")) {
  const current = fs.existsSync(OUT) ? fs.readFileSync(OUT, "utf8") : "";
  if (current !== text) {
    console.error(`${OUT} is out of date: run npx ts-node codec/gen-vectors.ts`);
    process.exit(1);
  }
  console.log(`${OUT} is up to date`);
} else {
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, text);
  console.log(
    `wrote ${OUT}: ${messages.length} messages, ${batches.length} batches, ${rejections.length + batchRejections.length} rejections`,
  );
}
