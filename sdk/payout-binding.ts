// Payout-binding signatures: the one place that builds what a creator signs to name its payout
// account on a chain, and the signature blob carried in PayoutAddressBound.signature.
//
// Blob (byte 0 = scheme):
//   1, EIP-712 (EVM creator):    u64 BE evmChainId ‖ 20-byte verifyingContract ‖ r‖s‖v (v 27/28)  = 94 bytes
//   2, ADR-36 (Cosmos creator):  64-byte pubkey x‖y ‖ r‖s (low-s) ‖ recovery id (0/1)            = 130 bytes
// Both sign the same struct hash:
//   keccak256(abi.encode(TYPEHASH, keccak256(creatorWire), chain, keccak256(payoutWire), nonce))
// with the codec's account wire (family u8 ‖ len u8 ‖ address). Browser-safe (no Node built-ins).
import type { OfflineAminoSigner } from "@cosmjs/amino";
import { fromBase64, toBase64, toBech32 } from "@cosmjs/encoding";
import {
  AbiCoder,
  concat,
  getAddress,
  getBytes,
  hexlify,
  keccak256,
  recoverAddress,
  ripemd160,
  sha256,
  Signature,
  SigningKey,
  toBeHex,
  toUtf8Bytes,
  TypedDataEncoder,
  type BytesLike,
  type TypedDataDomain,
} from "ethers";
import { AccountFamily, encodeAccount, type Account } from "../codec";

export const PAYOUT_BINDING_TYPE = "PayoutBinding(bytes creator,uint32 chain,bytes payout,uint64 nonce)";
export const PAYOUT_BINDING_TYPEHASH = keccak256(toUtf8Bytes(PAYOUT_BINDING_TYPE));
export const PAYOUT_BINDING_TYPES = {
  PayoutBinding: [
    { name: "creator", type: "bytes" },
    { name: "chain", type: "uint32" },
    { name: "payout", type: "bytes" },
    { name: "nonce", type: "uint64" },
  ],
};
export const PAYOUT_DOMAIN_NAME = "Hexs";
export const PAYOUT_DOMAIN_VERSION = "1";

export enum BindingScheme {
  Eip712 = 1,
  Adr36 = 2,
}
export const EIP712_BLOB_LENGTH = 94;
export const ADR36_BLOB_LENGTH = 130;

export interface PayoutBinding {
  creator: Account;
  /** Hexs chain id the payout account is for. */
  chain: number;
  payout: Account;
  nonce: bigint;
}

/** The EIP-712 domain of the contract that accepts bindings at their source. */
export function payoutDomain(evmChainId: bigint | number, verifyingContract: string): TypedDataDomain {
  return {
    name: PAYOUT_DOMAIN_NAME,
    version: PAYOUT_DOMAIN_VERSION,
    chainId: BigInt(evmChainId),
    verifyingContract: getAddress(verifyingContract),
  };
}

/** What ethers' `signer.signTypedData(domain, PAYOUT_BINDING_TYPES, value)` takes. */
export function payoutTypedValue(b: PayoutBinding): Record<string, unknown> {
  return { creator: hexlify(encodeAccount(b.creator)), chain: b.chain, payout: hexlify(encodeAccount(b.payout)), nonce: b.nonce };
}

export function payoutStructHash(b: PayoutBinding): string {
  return keccak256(
    AbiCoder.defaultAbiCoder().encode(
      ["bytes32", "bytes32", "uint32", "bytes32", "uint64"],
      [PAYOUT_BINDING_TYPEHASH, keccak256(encodeAccount(b.creator)), b.chain, keccak256(encodeAccount(b.payout)), b.nonce],
    ),
  );
}

export function payoutDomainSeparator(evmChainId: bigint | number, verifyingContract: string): string {
  return TypedDataEncoder.hashDomain(payoutDomain(evmChainId, verifyingContract));
}

/** keccak256(0x1901 ‖ domainSeparator ‖ structHash): what an EVM creator's wallet signs. */
export function payoutEip712Digest(b: PayoutBinding, evmChainId: bigint | number, verifyingContract: string): string {
  return keccak256(concat(["0x1901", payoutDomainSeparator(evmChainId, verifyingContract), payoutStructHash(b)]));
}

/** The ADR-36 amino sign doc (as cosmjs `makeSignDoc` builds it) for a Cosmos creator. */
export function adr36SignDoc(b: PayoutBinding, hrp: string) {
  return adr36SignDocOf(b.creator, hrp, payoutStructHash(b));
}

/** The ADR-36 sign doc of a Cosmos `signer` over a 32-byte struct hash (base64 in `data`). */
export function adr36SignDocOf(signer: Account, hrp: string, hash: string) {
  if (signer.family !== AccountFamily.Cosmos) throw new Error("ADR-36 signatures are for Cosmos (20-byte) accounts");
  return {
    chain_id: "",
    account_number: "0",
    sequence: "0",
    fee: { gas: "0", amount: [] as never[] },
    msgs: [
      {
        type: "sign/MsgSignData",
        value: { signer: toBech32(hrp, getBytes(signer.address)), data: toBase64(getBytes(hash)) },
      },
    ],
    memo: "",
  };
}

/** The sign doc as signed: keys sorted, no spaces (amino JSON; no character here needs escaping). */
export function adr36SignBytes(b: PayoutBinding, hrp: string): Uint8Array {
  return signBytesOf(adr36SignDoc(b, hrp));
}

/** sha256 of the sign bytes: the digest the Cosmos creator's key signs. */
export function adr36Digest(b: PayoutBinding, hrp: string): string {
  return sha256(adr36SignBytes(b, hrp));
}

// Written out rather than @cosmjs/amino's serializeSignDoc: that package is CommonJS and would
// pull its wallets and crypto into every browser bundle of the SDK core.
function signBytesOf(doc: ReturnType<typeof adr36SignDocOf>): Uint8Array {
  return toUtf8Bytes(sortedJson(doc));
}

function sortedJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(sortedJson).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${sortedJson(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

export type DecodedBlob =
  | { scheme: BindingScheme.Eip712; evmChainId: bigint; verifyingContract: string; signature: string }
  | { scheme: BindingScheme.Adr36; publicKey: string; signature: string; recoveryId: number };

/** Scheme 1 blob from a 65-byte r‖s‖v signature (v 27/28; 0/1 is normalized). */
export function encodeEip712Blob(evmChainId: bigint | number, verifyingContract: string, signature: BytesLike): string {
  const sig = Signature.from(hexlify(signature)).serialized; // r‖s‖v with v 27/28
  return concat([toBeHex(BindingScheme.Eip712, 1), toBeHex(BigInt(evmChainId), 8), getAddress(verifyingContract), sig]);
}

/** Scheme 2 blob. `publicKey`: 64-byte x‖y or 65-byte 0x04‖x‖y or 33-byte compressed. */
export function encodeAdr36Blob(publicKey: BytesLike, signature: BytesLike, recoveryId: number): string {
  const raw = getBytes(publicKey);
  const xy = getBytes(SigningKey.computePublicKey(raw.length === 64 ? concat(["0x04", raw]) : raw, false)).slice(1);
  const rs = getBytes(signature);
  if (rs.length !== 64) throw new Error(`ADR-36 signature must be r‖s (64 bytes), got ${rs.length}`);
  if (recoveryId !== 0 && recoveryId !== 1) throw new Error(`bad recovery id ${recoveryId}`);
  return concat([toBeHex(BindingScheme.Adr36, 1), xy, rs, toBeHex(recoveryId, 1)]);
}

export function decodeBindingBlob(blob: BytesLike): DecodedBlob {
  const b = getBytes(blob);
  if (b[0] === BindingScheme.Eip712 && b.length === EIP712_BLOB_LENGTH) {
    return {
      scheme: BindingScheme.Eip712,
      evmChainId: BigInt(hexlify(b.slice(1, 9))),
      verifyingContract: getAddress(hexlify(b.slice(9, 29))),
      signature: hexlify(b.slice(29)),
    };
  }
  if (b[0] === BindingScheme.Adr36 && b.length === ADR36_BLOB_LENGTH) {
    return {
      scheme: BindingScheme.Adr36,
      publicKey: hexlify(b.slice(1, 65)),
      signature: hexlify(b.slice(65, 129)),
      recoveryId: b[129],
    };
  }
  throw new Error(`not a payout-binding signature blob (scheme ${b[0]}, ${b.length} bytes)`);
}

/** The recovery id (0/1) of a 64-byte r‖s signature of `digest` by `publicKey`. */
export function recoveryIdOf(digest: BytesLike, signature: BytesLike, publicKey: BytesLike): number {
  const rs = getBytes(signature);
  const want = SigningKey.computePublicKey(publicKey, false);
  for (const v of [27, 28]) {
    const sig = Signature.from({ r: hexlify(rs.slice(0, 32)), s: hexlify(rs.slice(32)), v });
    if (SigningKey.recoverPublicKey(digest, sig) === want) return v - 27;
  }
  throw new Error("the signature is not by this public key");
}

/** Sign a binding as a Cosmos creator (ADR-36) with a raw secp256k1 key; returns the blob. */
export function signAdr36Binding(b: PayoutBinding, hrp: string, privateKey: BytesLike): string {
  const key = new SigningKey(privateKey);
  const sig = key.sign(adr36Digest(b, hrp)); // low-s
  return encodeAdr36Blob(key.publicKey, concat([sig.r, sig.s]), sig.yParity);
}

/** What a Cosmos wallet offers for ADR-36: a cosmjs amino signer (Keplr's signer for a chain). */
export type AminoWallet = Pick<OfflineAminoSigner, "signAmino">;

/**
 * Sign a binding as a Cosmos creator with its wallet (the amino sign doc Keplr's signArbitrary
 * shows); returns the blob. The wallet's address must be the binding's creator.
 */
export async function signAdr36BindingWith(wallet: AminoWallet, b: PayoutBinding, hrp: string): Promise<string> {
  return signAdr36With(wallet, b.creator, hrp, payoutStructHash(b));
}

/** The scheme-2 blob of `signer`'s wallet signing the ADR-36 doc over `hash`. */
export async function signAdr36With(wallet: AminoWallet, signer: Account, hrp: string, hash: string): Promise<string> {
  const doc = adr36SignDocOf(signer, hrp, hash);
  const { signature } = await wallet.signAmino(doc.msgs[0].value.signer, doc);
  const publicKey = fromBase64(signature.pub_key.value);
  const rs = fromBase64(signature.signature);
  return encodeAdr36Blob(publicKey, rs, recoveryIdOf(sha256(signBytesOf(doc)), rs, publicKey));
}

// ---------------------------------------------------------------- signed price orders

export const PRICE_ORDER_TYPE =
  "PriceOrder(bytes creator,uint32 chain,uint64 modelId,address currency,uint128 keyPrice,uint120 deploymentPrice,bool listed,uint64 nonce)";
export const PRICE_ORDER_TYPEHASH = keccak256(toUtf8Bytes(PRICE_ORDER_TYPE));

/**
 * A price a Cosmos creator signs for its model on one EVM chain, where it has no account to call
 * setPrice with; anyone submits it to that chain's PayoutBindings (`setPriceSigned`).
 */
export interface PriceOrder {
  creator: Account;
  /** Hexs chain id the price is for. */
  chain: number;
  modelId: bigint;
  /** ERC-20 address, or the zero address for the native coin. */
  currency: string;
  keyPrice: bigint;
  deploymentPrice: bigint;
  listed: boolean;
  /** the creator's next order nonce on that chain (PayoutBindings.priceOrderNonce + 1) */
  nonce: bigint;
}

export function priceOrderHash(o: PriceOrder): string {
  return keccak256(
    AbiCoder.defaultAbiCoder().encode(
      ["bytes32", "bytes32", "uint32", "uint64", "address", "uint128", "uint120", "bool", "uint64"],
      [
        PRICE_ORDER_TYPEHASH,
        keccak256(encodeAccount(o.creator)),
        o.chain,
        o.modelId,
        o.currency,
        o.keyPrice,
        o.deploymentPrice,
        o.listed,
        o.nonce,
      ],
    ),
  );
}

/** The EIP-712 types of a price order (an EVM creator's order for the CosmWasm chain). */
export const PRICE_ORDER_TYPES = {
  PriceOrder: [
    { name: "creator", type: "bytes" },
    { name: "chain", type: "uint32" },
    { name: "modelId", type: "uint64" },
    { name: "currency", type: "address" },
    { name: "keyPrice", type: "uint128" },
    { name: "deploymentPrice", type: "uint120" },
    { name: "listed", type: "bool" },
    { name: "nonce", type: "uint64" },
  ],
};

export function priceOrderTypedValue(o: PriceOrder): Record<string, unknown> {
  return { ...o, creator: hexlify(encodeAccount(o.creator)) };
}

/** The digest an EVM creator signs for a price order, in the domain of its home chain's PayoutBindings. */
export function priceOrderEip712Digest(o: PriceOrder, evmChainId: bigint | number, verifyingContract: string): string {
  return keccak256(concat(["0x1901", payoutDomainSeparator(evmChainId, verifyingContract), priceOrderHash(o)]));
}

/** Sign a price order with the creator's Cosmos wallet (ADR-36); returns the scheme-2 blob. */
export async function signPriceOrderWith(wallet: AminoWallet, o: PriceOrder, hrp: string): Promise<string> {
  return signAdr36With(wallet, o.creator, hrp, priceOrderHash(o));
}

/**
 * Check a blob off-chain exactly as the contracts do (except the verifying contract, which the
 * receiver compares with its configured peer): the signer is the creator.
 */
export function verifyBindingBlob(b: PayoutBinding, blob: BytesLike, hrp?: string): boolean {
  let d: DecodedBlob;
  try {
    d = decodeBindingBlob(blob);
  } catch {
    return false;
  }
  if (d.scheme === BindingScheme.Eip712) {
    if (b.creator.family !== AccountFamily.Evm) return false;
    const signer = recoverAddress(payoutEip712Digest(b, d.evmChainId, d.verifyingContract), d.signature);
    return signer.toLowerCase() === b.creator.address.toLowerCase();
  }
  if (b.creator.family !== AccountFamily.Cosmos || hrp === undefined) return false;
  const pub = concat(["0x04", d.publicKey]);
  const rs = getBytes(d.signature);
  const s = BigInt(hexlify(rs.slice(32)));
  if (s > SECP256K1_HALF_N) return false;
  const compressed = SigningKey.computePublicKey(pub, true);
  if (ripemd160(sha256(compressed)).toLowerCase() !== b.creator.address.toLowerCase()) return false;
  const sig = Signature.from({ r: hexlify(rs.slice(0, 32)), s: hexlify(rs.slice(32)), v: 27 + d.recoveryId });
  return SigningKey.recoverPublicKey(adr36Digest(b, hrp), sig) === SigningKey.computePublicKey(pub, false);
}

const SECP256K1_HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;
