// Canonical encoder/decoder for Hexs cross-chain messages (spec: docs/messages.md).
import { BytesLike, getBytes, hexlify, keccak256, toUtf8Bytes } from "ethers";
import {
  Account,
  AccountFamily,
  ACCOUNT_LENGTH,
  BodyByKind,
  CODEC_VERSION,
  CodecError,
  HEADER_LENGTH,
  Header,
  Kind,
  MAX_CURRENCY_LENGTH,
  MAX_PRICES,
  MAX_STRING_LENGTH,
  Message,
  Price,
} from "./messages";
import { Field, LIMITS, SCHEMA } from "./schema";

/** keccak256("HEXS_BATCH_V1"): domain tag of a batch root preimage. */
export const BATCH_TAG = keccak256(toUtf8Bytes("HEXS_BATCH_V1"));

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function hasLoneSurrogate(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const n = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (n < 0xdc00 || n > 0xdfff) return true;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------- writer

class Writer {
  private readonly parts: Uint8Array[] = [];
  private size = 0;

  raw(b: Uint8Array): void {
    this.parts.push(b);
    this.size += b.length;
  }

  uint(value: bigint | number, bytes: number, field: string): void {
    const v = BigInt(value);
    if (v < 0n || v >= 1n << BigInt(bytes * 8)) {
      throw new CodecError("ValueOutOfRange", `${field}=${v} does not fit uint${bytes * 8}`);
    }
    const out = new Uint8Array(bytes);
    let x = v;
    for (let i = bytes - 1; i >= 0; i--) {
      out[i] = Number(x & 0xffn);
      x >>= 8n;
    }
    this.raw(out);
  }

  bool(v: boolean): void {
    this.raw(Uint8Array.of(v ? 1 : 0));
  }

  fixed(hex: string, bytes: number, field: string): void {
    const b = getBytes(hex);
    if (b.length !== bytes) throw new CodecError("ValueOutOfRange", `${field} must be ${bytes} bytes, got ${b.length}`);
    this.raw(b);
  }

  bytes(hex: string, max: number): void {
    const b = getBytes(hex);
    if (b.length > max) throw new CodecError("BytesTooLong", `${b.length} > ${max}`);
    this.uint(b.length, 2, "length");
    this.raw(b);
  }

  string(s: string): void {
    if (hasLoneSurrogate(s)) throw new CodecError("InvalidUtf8", "string has a lone surrogate");
    const b = toUtf8Bytes(s);
    if (b.length > MAX_STRING_LENGTH) throw new CodecError("StringTooLong", `${b.length} > ${MAX_STRING_LENGTH}`);
    this.uint(b.length, 2, "length");
    this.raw(b);
  }

  account(a: Account): void {
    const expected = ACCOUNT_LENGTH[a.family];
    if (expected === undefined) throw new CodecError("UnknownAccountFamily", `family ${a.family}`);
    const b = getBytes(a.address);
    if (b.length !== expected) {
      throw new CodecError("BadAccountLength", `family ${a.family} needs ${expected} bytes, got ${b.length}`);
    }
    this.raw(Uint8Array.of(a.family, b.length));
    this.raw(b);
  }

  prices(prices: readonly Price[]): void {
    if (prices.length > MAX_PRICES) throw new CodecError("TooManyPrices", `${prices.length} > ${MAX_PRICES}`);
    this.uint(prices.length, 1, "priceCount");
    for (const p of prices) {
      this.bytes(p.currency, MAX_CURRENCY_LENGTH);
      this.uint(p.amount, 16, "amount");
    }
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

// ---------------------------------------------------------------- reader

class Reader {
  private pos = 0;
  constructor(private readonly data: Uint8Array) {}

  private take(n: number): Uint8Array {
    if (this.pos + n > this.data.length) {
      throw new CodecError("Truncated", `need ${n} bytes at offset ${this.pos}, have ${this.data.length - this.pos}`);
    }
    const out = this.data.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  remaining(): number {
    return this.data.length - this.pos;
  }

  end(): void {
    if (this.pos !== this.data.length) {
      throw new CodecError("TrailingBytes", `${this.data.length - this.pos} unread bytes at offset ${this.pos}`);
    }
  }

  uintBig(bytes: number): bigint {
    const b = this.take(bytes);
    let v = 0n;
    for (const x of b) v = (v << 8n) | BigInt(x);
    return v;
  }

  uintNum(bytes: number): number {
    const b = this.take(bytes);
    let v = 0;
    for (const x of b) v = v * 256 + x;
    return v;
  }

  bool(): boolean {
    const v = this.take(1)[0];
    if (v > 1) throw new CodecError("InvalidBool", `byte ${v}`);
    return v === 1;
  }

  fixed(bytes: number): string {
    return hexlify(this.take(bytes));
  }

  bytes(max: number): string {
    const len = this.uintNum(2);
    if (len > max) throw new CodecError("BytesTooLong", `${len} > ${max}`);
    return hexlify(this.take(len));
  }

  string(): string {
    const len = this.uintNum(2);
    if (len > MAX_STRING_LENGTH) throw new CodecError("StringTooLong", `${len} > ${MAX_STRING_LENGTH}`);
    const b = this.take(len);
    try {
      return UTF8.decode(b);
    } catch {
      throw new CodecError("InvalidUtf8");
    }
  }

  account(): Account {
    const family = this.uintNum(1);
    const len = this.uintNum(1);
    const expected = ACCOUNT_LENGTH[family as AccountFamily];
    if (expected === undefined) throw new CodecError("UnknownAccountFamily", `family ${family}`);
    if (len !== expected) throw new CodecError("BadAccountLength", `family ${family} needs ${expected} bytes, got ${len}`);
    return { family: family as AccountFamily, address: hexlify(this.take(len)) };
  }

  prices(): Price[] {
    const count = this.uintNum(1);
    if (count > MAX_PRICES) throw new CodecError("TooManyPrices", `${count} > ${MAX_PRICES}`);
    const prices: Price[] = [];
    for (let i = 0; i < count; i++) prices.push({ currency: this.bytes(MAX_CURRENCY_LENGTH), amount: this.uintBig(16) });
    return prices;
  }
}

// ---------------------------------------------------------------- bodies (walking the schema)

function bytesMax(field: Field): number {
  const max = field[2]?.max;
  if (max === undefined) throw new Error(`schema: bytes field ${field[0]} has no max`);
  return LIMITS[max];
}

function writeField(w: Writer, field: Field, v: unknown): void {
  const [name, type] = field;
  switch (type) {
    case "u16":
      return w.uint(v as number, 2, name);
    case "u32":
      return w.uint(v as number, 4, name);
    case "u64":
      return w.uint(v as bigint, 8, name);
    case "u128":
      return w.uint(v as bigint, 16, name);
    case "bool":
      return w.bool(v as boolean);
    case "b32":
      return w.fixed(v as string, 32, name);
    case "bytes":
      return w.bytes(v as string, bytesMax(field));
    case "string":
      return w.string(v as string);
    case "account":
      return w.account(v as Account);
    case "prices":
      return w.prices(v as Price[]);
  }
}

function readField(r: Reader, field: Field): unknown {
  switch (field[1]) {
    case "u16":
      return r.uintNum(2);
    case "u32":
      return r.uintNum(4);
    case "u64":
      return r.uintBig(8);
    case "u128":
      return r.uintBig(16);
    case "bool":
      return r.bool();
    case "b32":
      return r.fixed(32);
    case "bytes":
      return r.bytes(bytesMax(field));
    case "string":
      return r.string();
    case "account":
      return r.account();
    case "prices":
      return r.prices();
  }
}

function isKind(k: number): k is Kind {
  return Object.prototype.hasOwnProperty.call(SCHEMA, k);
}

function fieldsOf(kind: Kind): readonly Field[] {
  return SCHEMA[kind];
}

// ---------------------------------------------------------------- public API

/** Encodes only the body of a message of the given kind. */
export function encodeBody<K extends Kind>(kind: K, body: BodyByKind[K]): Uint8Array {
  if (!isKind(kind)) throw new CodecError("UnknownKind", `kind ${kind}`);
  const w = new Writer();
  const values = body as unknown as Record<string, unknown>;
  for (const field of fieldsOf(kind)) writeField(w, field, values[field[0]]);
  return w.finish();
}

/** Canonical encoding of a whole message (envelope + body). */
export function encodeMessage(m: Message): Uint8Array {
  if (m.version !== CODEC_VERSION) throw new CodecError("UnsupportedVersion", `version ${m.version}`);
  const body = encodeBody(m.kind, m.body as BodyByKind[typeof m.kind]);
  const w = new Writer();
  w.uint(m.version, 1, "version");
  w.uint(m.kind, 1, "kind");
  w.uint(m.srcChain, 4, "srcChain");
  w.uint(m.dstChain, 4, "dstChain");
  w.uint(m.nonce, 8, "nonce");
  w.uint(body.length, 4, "bodyLength");
  w.raw(body);
  return w.finish();
}

/**
 * Envelope an already-encoded body (as a source chain recorded it): the body is decoded first,
 * so only a well-formed body of `kind` is ever wrapped.
 */
export function encodeEnvelope(h: Omit<Header, "version"> & { kind: Kind }, body: BytesLike): Uint8Array {
  const bytes = getBytes(body);
  decodeBody(h.kind, bytes);
  const w = new Writer();
  w.uint(CODEC_VERSION, 1, "version");
  w.uint(h.kind, 1, "kind");
  w.uint(h.srcChain, 4, "srcChain");
  w.uint(h.dstChain, 4, "dstChain");
  w.uint(h.nonce, 8, "nonce");
  w.uint(bytes.length, 4, "bodyLength");
  w.raw(bytes);
  return w.finish();
}

export function encodeMessageHex(m: Message): string {
  return hexlify(encodeMessage(m));
}

export interface DecodedHeader extends Header {
  kind: Kind;
  /** The body bytes (a view into the input). */
  body: Uint8Array;
}

/** Decodes and checks the envelope only (version, kind, body length); the body is not parsed. */
export function decodeHeader(data: BytesLike): DecodedHeader {
  const bytes = getBytes(data);
  const r = new Reader(bytes);
  const version = r.uintNum(1);
  if (version !== CODEC_VERSION) throw new CodecError("UnsupportedVersion", `version ${version}`);
  const kind = r.uintNum(1);
  if (!isKind(kind)) throw new CodecError("UnknownKind", `kind ${kind}`);
  const srcChain = r.uintNum(4);
  const dstChain = r.uintNum(4);
  const nonce = r.uintBig(8);
  const len = r.uintNum(4);
  if (len > r.remaining()) throw new CodecError("Truncated", `body length ${len} > ${r.remaining()} available`);
  if (len < r.remaining()) throw new CodecError("TrailingBytes", `${r.remaining() - len} bytes after the body`);
  return { version, kind, srcChain, dstChain, nonce, body: bytes.subarray(HEADER_LENGTH) };
}

/** Decodes the body of a message of the given kind; the whole input must be consumed. */
export function decodeBody<K extends Kind>(kind: K, data: BytesLike): BodyByKind[K] {
  if (!isKind(kind)) throw new CodecError("UnknownKind", `kind ${kind}`);
  const r = new Reader(getBytes(data));
  const body: Record<string, unknown> = {};
  for (const field of fieldsOf(kind)) body[field[0]] = readField(r, field);
  r.end();
  return body as BodyByKind[K];
}

/** Decodes a whole message, rejecting anything that is not the canonical encoding of a valid message. */
export function decodeMessage(data: BytesLike): Message {
  const h = decodeHeader(data);
  const body = decodeBody(h.kind, h.body);
  return { version: h.version, kind: h.kind, srcChain: h.srcChain, dstChain: h.dstChain, nonce: h.nonce, body } as Message;
}

/** The digest relayers sign: keccak256 of the canonical encoding. Accepts a message or its encoding (validated). */
export function messageDigest(m: Message | BytesLike): string {
  if (typeof m === "object" && m !== null && "kind" in m) return keccak256(encodeMessage(m));
  const bytes = getBytes(m);
  decodeMessage(bytes);
  return keccak256(bytes);
}

export interface BatchLane {
  srcChain: number;
  dstChain: number;
  firstNonce: bigint;
}

/**
 * Batch root over message digests of one lane with contiguous nonces firstNonce, firstNonce+1, ...:
 * keccak256(BATCH_TAG ‖ srcChain u32 ‖ dstChain u32 ‖ firstNonce u64 ‖ count u32 ‖ digest_0 ‖ … ‖ digest_{n-1}).
 */
export function batchRoot(lane: BatchLane, digests: readonly string[]): string {
  if (digests.length === 0) throw new CodecError("EmptyBatch");
  const w = new Writer();
  w.raw(getBytes(BATCH_TAG));
  w.uint(lane.srcChain, 4, "srcChain");
  w.uint(lane.dstChain, 4, "dstChain");
  w.uint(lane.firstNonce, 8, "firstNonce");
  w.uint(digests.length, 4, "count");
  for (const d of digests) w.fixed(d, 32, "digest");
  return keccak256(w.finish());
}

export interface BatchResult extends BatchLane {
  root: string;
  digests: string[];
}

/** Validates a batch of encoded messages (one lane, contiguous nonces) and returns its root. */
export function batchRootOfMessages(messages: readonly BytesLike[]): BatchResult {
  if (messages.length === 0) throw new CodecError("EmptyBatch");
  const digests: string[] = [];
  let lane: BatchLane | undefined;
  messages.forEach((raw, i) => {
    const bytes = getBytes(raw);
    const m = decodeMessage(bytes);
    if (lane === undefined) {
      lane = { srcChain: m.srcChain, dstChain: m.dstChain, firstNonce: m.nonce };
    } else {
      if (m.srcChain !== lane.srcChain || m.dstChain !== lane.dstChain) {
        throw new CodecError("BatchLaneMismatch", `message ${i}`);
      }
      if (m.nonce !== lane.firstNonce + BigInt(i)) throw new CodecError("BatchNonceGap", `message ${i}`);
    }
    digests.push(keccak256(bytes));
  });
  const l = lane as BatchLane;
  return { ...l, root: batchRoot(l, digests), digests };
}

/** Canonical encoding of an account word: family u8 ‖ length u8 ‖ address bytes. */
export function encodeAccount(a: Account): Uint8Array {
  const w = new Writer();
  w.account(a);
  return w.finish();
}

/** Global id of a model, key or purchase: (originChain << 32) | localSerial. */
export function globalId(originChain: number, localSerial: number): bigint {
  if (!Number.isInteger(originChain) || originChain < 0 || originChain > 0xffffffff) {
    throw new CodecError("ValueOutOfRange", `originChain ${originChain}`);
  }
  if (!Number.isInteger(localSerial) || localSerial < 0 || localSerial > 0xffffffff) {
    throw new CodecError("ValueOutOfRange", `localSerial ${localSerial}`);
  }
  return (BigInt(originChain) << 32n) | BigInt(localSerial);
}

export function splitGlobalId(id: bigint): { originChain: number; localSerial: number } {
  if (id < 0n || id >= 1n << 64n) throw new CodecError("ValueOutOfRange", `id ${id}`);
  return { originChain: Number(id >> 32n), localSerial: Number(id & 0xffffffffn) };
}
