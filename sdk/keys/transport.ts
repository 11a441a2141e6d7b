// The Hexs transport between a client and one shard store, with no front in between.
//
//   * Sealing: X25519 ECDH (an ephemeral key of the sender and the recipient's key) → HKDF-SHA256
//     → AES-256-GCM, with the store, the CID and the direction as associated data. Uploads are
//     sealed to the store's long-term transport key; a retrieval carries a reply key the client
//     generated for that request, and the store seals the shard to it. Implemented with @noble/* (X25519, HKDF, AES-GCM), so the
//     same code runs in Node (the stores) and in the browser (the app's client).
//   * Request challenges: the client writes and signs one challenge per store and request. It
//     names the account, the store (index and transport key), the CID, the operation, the
//     sha256 of the request body, a random nonce and an expiry. A store accepts it once (its own
//     SQLite nonce ledger) and only if every binding matches the request it came with.
import { x25519 } from "@noble/curves/ed25519";
import { gcm } from "@noble/ciphers/aes";
import { hkdf } from "@noble/hashes/hkdf";
import { sha256 } from "@noble/hashes/sha256";
import { bytesToHex, concatBytes, fromBase64, hexToBytes, fromBase64url, randomBytes, toBase64url, utf8ToBytes } from "./bytes";
import { refuse } from "./errors";

// ------------------------------------------------------------------ X25519 keys

/** PKCS#8 DER of an X25519 private key is this prefix and the 32 raw bytes (what node:crypto writes). */
const PKCS8_PREFIX = "302e020100300506032b656e04220420";

export interface TransportKeyPair {
  /** the raw 32-byte X25519 private key */
  privateKey: Uint8Array;
  /** the raw 32-byte public key, base64url */
  publicKey: string;
}

function rawKey(text: string): Uint8Array {
  const bytes = fromBase64url(text);
  if (!bytes || bytes.length !== 32) refuse("bad_request", "a transport key must be 32 bytes (X25519, base64url)");
  return bytes;
}

function pairOf(privateKey: Uint8Array): TransportKeyPair {
  return { privateKey, publicKey: toBase64url(x25519.getPublicKey(privateKey)) };
}

export function newTransportKey(): TransportKeyPair {
  return pairOf(x25519.utils.randomPrivateKey());
}

/** Read a PKCS#8 PEM X25519 key (the stores' key files, written by earlier versions with node:crypto too). */
export function transportKeyFromPem(pem: string): TransportKeyPair {
  const der = fromBase64(pem.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, "").replace(/\s+/g, ""));
  if (der.length !== 48 || bytesToHex(der.subarray(0, 16)) !== PKCS8_PREFIX)
    refuse("bad_request", "the transport key file is not a PKCS#8 X25519 private key");
  return pairOf(der.slice(16));
}

export function transportKeyToPem(k: TransportKeyPair): string {
  const b64 = btoa(String.fromCharCode(...concatBytes(hexToBytes(PKCS8_PREFIX), k.privateKey)));
  return `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`;
}

// ------------------------------------------------------------------ sealing

function aeadKey(shared: Uint8Array, epk: string, recipient: string, info: string): Uint8Array {
  return hkdf(sha256, shared, utf8ToBytes(`${epk}|${recipient}`), utf8ToBytes(info), 32);
}

const bytesOf = (v: Uint8Array | string) => (typeof v === "string" ? utf8ToBytes(v) : v);

/** Seal `plaintext` to the X25519 key `recipient` (base64url); the result is `v1.<epk>.<iv>.<ciphertext+tag>`. */
export function seal(recipient: string, plaintext: Uint8Array | string, info: string): string {
  const eph = newTransportKey();
  const key = aeadKey(x25519.getSharedSecret(eph.privateKey, rawKey(recipient)), eph.publicKey, recipient, info);
  const iv = randomBytes(12);
  const body = gcm(key, iv, utf8ToBytes(info)).encrypt(bytesOf(plaintext));
  return ["v1", eph.publicKey, toBase64url(iv), toBase64url(body)].join(".");
}

/** Open what `seal` made for `me` with the same `info`; refuses anything else. */
export function open(me: TransportKeyPair, sealed: unknown, info: string): Uint8Array {
  const parts = typeof sealed === "string" ? sealed.split(".") : [];
  if (parts.length !== 4 || parts[0] !== "v1") refuse("bad_request", "a sealed shard must be 'v1.<epk>.<iv>.<ciphertext>'");
  const [, epk, ivText, bodyText] = parts;
  const iv = fromBase64url(ivText);
  const body = fromBase64url(bodyText);
  if (!iv || iv.length !== 12 || !body) refuse("bad_request", "a sealed shard's iv or body is not base64url");
  if (body.length < 16) refuse("integrity", "the sealed shard is too short");
  let shared: Uint8Array;
  try {
    shared = x25519.getSharedSecret(me.privateKey, rawKey(epk));
  } catch {
    refuse("integrity", "a sealed shard's ephemeral key is not a usable X25519 key");
  }
  try {
    return gcm(aeadKey(shared, epk, me.publicKey, info), iv, utf8ToBytes(info)).decrypt(body);
  } catch {
    refuse("integrity", "a sealed shard does not open (AES-GCM tag mismatch): wrong key, store or CID, or tampered");
  }
}

export const uploadInfo = (storeId: string, cid: string) => `hexs-shard-upload-v1|${storeId}|${cid}`;
export const replyInfo = (storeId: string, cid: string, nonce: string) => `hexs-shard-reply-v1|${storeId}|${cid}|${nonce}`;

// ------------------------------------------------------------------ request challenges

export type StoreOperation = "upload" | "conditions" | "share" | "unshare" | "retrieve";
export const STORE_OPERATIONS: readonly StoreOperation[] = ["upload", "conditions", "share", "unshare", "retrieve"];

/** A store's identity in a challenge: its index and its transport key. */
export interface StoreId {
  index: number;
  transportKey: string;
}
export const storeIdText = (s: StoreId) => `${s.index} ${s.transportKey}`;

export interface RequestChallenge {
  address: string;
  store: string; // storeIdText
  cid: string;
  op: StoreOperation;
  bodySha256: string; // hex
  nonce: string;
  issuedAt: number; // unix seconds
  expiresAt: number;
}

export const REQUEST_HEADER =
  "Hexs key service request v2: sign to authorise this one request at one shard store. It moves no funds.";
/** The longest a request challenge may live (seconds); stores and clients refuse longer ones. */
export const MAX_REQUEST_TTL = 600;
/** Clock skew tolerated for the issue time (seconds). */
export const CLOCK_SKEW = 60;

export const bodySha256 = (body: Uint8Array | string) => bytesToHex(sha256(bytesOf(body)));

export function formatRequestChallenge(c: RequestChallenge): string {
  return [
    REQUEST_HEADER,
    `Account: ${c.address}`,
    `Store: ${c.store}`,
    `CID: ${c.cid}`,
    `Operation: ${c.op}`,
    `Body-SHA256: ${c.bodySha256}`,
    `Nonce: ${c.nonce}`,
    `Issued: ${new Date(c.issuedAt * 1000).toISOString()}`,
    `Expires: ${new Date(c.expiresAt * 1000).toISOString()}`,
  ].join("\n");
}

/** Parse a request challenge strictly: exactly the nine lines in order, nothing else. */
export function parseRequestChallenge(message: string): RequestChallenge {
  const lines = message.split("\n");
  if (lines[0] !== REQUEST_HEADER || lines.length !== 9)
    refuse("unauthenticated", "the signed message is not a Hexs key-service request challenge");
  const names = ["Account", "Store", "CID", "Operation", "Body-SHA256", "Nonce", "Issued", "Expires"];
  const v = names.map((n, i) => {
    const l = lines[i + 1];
    if (!l.startsWith(`${n}: `)) refuse("unauthenticated", `the request challenge's line ${i + 2} is not '${n}: …'`);
    return l.slice(n.length + 2);
  });
  const seconds = (iso: string, what: string) => {
    const t = Date.parse(iso);
    if (!Number.isFinite(t)) refuse("unauthenticated", `the request challenge's ${what} time is not a date`);
    return Math.floor(t / 1000);
  };
  if (!STORE_OPERATIONS.includes(v[3] as StoreOperation)) refuse("unauthenticated", `unknown operation '${v[3]}'`);
  if (!/^[0-9a-f]{64}$/.test(v[4])) refuse("unauthenticated", "Body-SHA256 must be 64 lower-case hex");
  if (!/^[A-Za-z0-9_-]{22,}$/.test(v[5])) refuse("unauthenticated", "the nonce must be ≥ 16 random bytes, base64url");
  return {
    address: v[0],
    store: v[1],
    cid: v[2],
    op: v[3] as StoreOperation,
    bodySha256: v[4],
    nonce: v[5],
    issuedAt: seconds(v[6], "issue"),
    expiresAt: seconds(v[7], "expiry"),
  };
}

export function newRequestChallenge(
  address: string,
  store: StoreId,
  cid: string,
  op: StoreOperation,
  body: Uint8Array | string,
  nowMs: number,
  ttlSeconds = 120,
): RequestChallenge {
  const issuedAt = Math.floor(nowMs / 1000);
  return {
    address,
    store: storeIdText(store),
    cid,
    op,
    bodySha256: bodySha256(body),
    nonce: toBase64url(randomBytes(16)),
    issuedAt,
    expiresAt: issuedAt + ttlSeconds,
  };
}

/**
 * Check a request challenge against what it must authorise: the account, the store, the CID,
 * the operation, the body, and a window that is open now and not longer than MAX_REQUEST_TTL.
 * Used by the stores on every request and by the client before it signs anything.
 */
export function checkRequestChallenge(
  c: RequestChallenge,
  want: { address?: string; store: string; cid: string; op: StoreOperation; body?: Uint8Array | string },
  nowMs: number,
): void {
  const nowS = Math.floor(nowMs / 1000);
  if (want.address !== undefined && c.address.toLowerCase() !== want.address.toLowerCase())
    refuse("unauthenticated", `the request challenge names ${c.address}, not ${want.address}`);
  if (c.store !== want.store)
    refuse("unauthenticated", `the request challenge is for shard store '${c.store}', not this one ('${want.store}')`);
  if (c.cid !== want.cid) refuse("unauthenticated", `the request challenge is for ${c.cid}, not ${want.cid}`);
  if (c.op !== want.op) refuse("unauthenticated", `the request challenge authorises '${c.op}', not '${want.op}'`);
  if (want.body !== undefined && c.bodySha256 !== bodySha256(want.body))
    refuse("unauthenticated", "the request body is not the one the challenge was signed for (Body-SHA256 differs)");
  if (c.expiresAt <= nowS)
    refuse("nonce_expired", `the request challenge expired at ${new Date(c.expiresAt * 1000).toISOString()}`);
  if (c.issuedAt > nowS + CLOCK_SKEW) refuse("unauthenticated", "the request challenge is issued in the future");
  if (c.expiresAt - Math.min(c.issuedAt, nowS) > MAX_REQUEST_TTL)
    refuse("unauthenticated", `the request challenge lives longer than ${MAX_REQUEST_TTL} s`);
}
