// Local checks of an x402 exact (EIP-3009) payment, fast enough for the request path.
//
// The EIP-712 digest of a TransferWithAuthorization is built from its fixed type hash and a domain
// separator computed once per token (viem's hashTypedData re-derives both on every call).
// The signature check gives the answer the token's own check (OpenZeppelin SignatureChecker:
// ecrecover with low-s) would give for an EOA:
//   * the first signature of a payer is recovered in full (@noble/curves) and, if it names the
//     payer, the payer's public key P is kept, with a small precomputed table (window 4, ~3 ms once,
//     built after the answer);
//   * later signatures are checked against P: R = u1·G + u2·P must have x = r and the y parity v
//     names (what ecrecover's result being P means), ~0.8 ms instead of ~2.5 ms for a recovery;
//     any mismatch is re-checked by full recovery, so a cached key never refuses a good signature.
// When libsecp256k1 is there (the `secp256k1` package's native build, loaded without its JS
// fallback), every signature is instead recovered natively (~0.07 ms) and the result compared with
// the payer's kept public key bytes (the address is hashed only for a payer's first signature).
// Signatures the token might judge differently (not 65 bytes, v not 27/28, high s, r or s out of
// range) are "unsupported": the caller then verifies them the slow way (on chain).
// Keccak-256 (the digest's two hashes, a payer's address) runs in the `keccak` package's native
// binding when it loads (~5 µs a hash against ~25–35 µs in @noble/hashes here), else in JS.
import { keccak_256 as keccakJs } from "@noble/hashes/sha3";
import { secp256k1 } from "@noble/curves/secp256k1";
import { domainSeparator, type Hex } from "viem";

type NativeKeccak = (algorithm: "keccak256") => { update(data: Uint8Array): { digest(): Buffer } };
let nativeKeccak: NativeKeccak | null | undefined;
/** keccak256 of `data`: native when the `keccak` package's binding loads (never its JS fallback), else @noble/hashes. */
export function keccak_256(data: Uint8Array): Uint8Array {
  if (nativeKeccak === undefined)
    try {
      nativeKeccak = require("keccak/bindings") as NativeKeccak;
    } catch {
      nativeKeccak = null;
    }
  if (!nativeKeccak) return keccakJs(data);
  // the binding takes Buffers only: view other byte arrays without copying
  const b = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return nativeKeccak("keccak256").update(b).digest();
}

const N = secp256k1.CURVE.n;
const HALF_N = N >> 1n;
const Point = secp256k1.ProjectivePoint;
type PointT = InstanceType<typeof Point>;

const TRANSFER_TYPE =
  "TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)";
const TRANSFER_TYPEHASH = `0x${Buffer.from(keccak_256(Buffer.from(TRANSFER_TYPE))).toString("hex")}` as Hex;

export interface TransferAuthorization {
  from: string;
  to: string;
  value: string;
  validAfter: string;
  validBefore: string;
  nonce: string;
}

/** The token's EIP-712 domain separator (name, version, chain id, token address). */
export function tokenDomainSeparator(name: string, version: string, chainId: number, token: string): Hex {
  return domainSeparator({ domain: { name, version, chainId, verifyingContract: token as Hex } });
}

const MAX_UINT = (1n << 256n) - 1n;
const uintWord = (n: string): string => {
  const x = BigInt(n);
  if (x < 0n || x > MAX_UINT) throw new Error(`${n} is not a uint256`);
  return x.toString(16).padStart(64, "0");
};
const hexWord = (h: string, bytes: number, what: string): string => {
  if (h.length !== 2 + 2 * bytes || !/^0x[0-9a-fA-F]*$/.test(h)) throw new Error(`${what} ${h} is not ${bytes} bytes`);
  return h.slice(2).padStart(64, "0");
};

/**
 * The digest the payer signs for `a` under the domain separator `domain` (32 bytes). The struct is
 * ABI-encoded by hand (seven 32-byte words): viem's encodeAbiParameters costs more than both hashes.
 */
export function transferDigest(domain: Hex, a: TransferAuthorization): Uint8Array {
  const struct = keccak_256(
    Buffer.from(
      TRANSFER_TYPEHASH.slice(2) +
        hexWord(a.from, 20, "from") +
        hexWord(a.to, 20, "to") +
        uintWord(a.value) +
        uintWord(a.validAfter) +
        uintWord(a.validBefore) +
        hexWord(a.nonce, 32, "nonce"),
      "hex",
    ),
  );
  const buf = Buffer.allocUnsafe(66);
  buf[0] = 0x19;
  buf[1] = 0x01;
  buf.write(domain.slice(2), 2, "hex");
  buf.set(struct, 34);
  return keccak_256(buf);
}

const addressOf = (p: PointT): string =>
  `0x${Buffer.from(keccak_256(p.toRawBytes(false).subarray(1)).subarray(12)).toString("hex")}`;

const mod = (a: bigint) => ((a % N) + N) % N;

function invert(a: bigint): bigint {
  // extended Euclid (N is prime, a in [1, N-1])
  let [r0, r1, t0, t1] = [N, a, 0n, 1n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [t0, t1] = [t1, t0 - q * t1];
  }
  return mod(t0);
}

export type SignatureVerdict = "valid" | "invalid" | "unsupported";

/** The part of the `secp256k1` package's native binding used here. */
interface NativeSecp256k1 {
  /** ecrecover: the uncompressed public key (65 bytes) for a 64-byte r||s, recovery id and digest; throws if none */
  ecdsaRecover(sig: Uint8Array, recid: number, msg32: Uint8Array, compressed: boolean): Uint8Array;
}

let native: NativeSecp256k1 | null | undefined;
/** libsecp256k1 through the `secp256k1` package's prebuilt binding, if it loads (never its elliptic.js fallback). */
export function nativeSecp256k1(): NativeSecp256k1 | undefined {
  if (native === undefined)
    try {
      native = require("secp256k1/bindings") as NativeSecp256k1;
    } catch {
      native = null;
    }
  return native ?? undefined;
}

/** ECDSA (secp256k1) checks of EIP-3009 signatures with each payer's public key kept. */
export class PayerKeys {
  private readonly keys = new Map<string, PointT>();
  /** payers' uncompressed public keys (65 bytes) for the native check */
  private readonly rawKeys = new Map<string, Buffer>();
  /** full recoveries and checks against a kept key, for the bench and tests */
  readonly counts = { recovered: 0, kept: 0 };
  /** libsecp256k1 when it loads and `useNative` allows it, else @noble/curves */
  readonly native?: NativeSecp256k1;

  constructor(
    private readonly max = 10_000,
    useNative = true,
  ) {
    this.native = useNative ? nativeSecp256k1() : undefined;
  }

  /** Would the token accept `signature` by `address` (an EOA) over `digest`? */
  verify(digest: Uint8Array, signature: string, address: string): SignatureVerdict {
    if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) return "unsupported";
    const r = BigInt(`0x${signature.slice(2, 66)}`);
    const s = BigInt(`0x${signature.slice(66, 130)}`);
    const v = parseInt(signature.slice(130, 132), 16);
    if (v !== 27 && v !== 28) return "unsupported";
    if (r === 0n || r >= N || s === 0n || s > HALF_N) return "unsupported";
    const who = address.toLowerCase();
    if (this.native) return this.verifyNative(digest, signature, v, who);
    const kept = this.keys.get(who);
    if (kept) {
      this.counts.kept++;
      const z = mod(BigInt(`0x${Buffer.from(digest).toString("hex")}`));
      const w = invert(s);
      const u1 = mod(z * w);
      const u2 = mod(r * w);
      const a = u1 === 0n ? Point.ZERO : Point.BASE.multiply(u1);
      const R = a.add(kept.multiply(u2));
      if (!R.equals(Point.ZERO)) {
        const { x, y } = R.toAffine();
        if (x === r && Number(y & 1n) === v - 27) return "valid";
      }
      // not this key's signature: recovery below says whose it is
    }
    let key: PointT;
    try {
      this.counts.recovered++;
      key = new secp256k1.Signature(r, s).addRecoveryBit(v - 27).recoverPublicKey(digest) as PointT;
    } catch {
      return "invalid";
    }
    if (addressOf(key) !== who) return "invalid";
    if (!kept) this.keep(who, key);
    return "valid";
  }

  /** ecrecover in libsecp256k1; the key it gives is compared with the payer's kept key bytes. */
  private verifyNative(digest: Uint8Array, signature: string, v: number, who: string): SignatureVerdict {
    let key: Buffer;
    try {
      key = Buffer.from(this.native!.ecdsaRecover(Buffer.from(signature.slice(2, 130), "hex"), v - 27, digest, false));
    } catch {
      return "invalid"; // no point has x = r: ecrecover fails too
    }
    const kept = this.rawKeys.get(who);
    if (kept?.equals(key)) {
      this.counts.kept++;
      return "valid";
    }
    this.counts.recovered++;
    if (`0x${Buffer.from(keccak_256(key.subarray(1)).subarray(12)).toString("hex")}` !== who) return "invalid";
    if (this.rawKeys.size >= this.max) this.rawKeys.clear(); // bounded: a flood of payers only costs hashes
    this.rawKeys.set(who, key);
    return "valid";
  }

  private keep(who: string, key: PointT): void {
    if (this.keys.size >= this.max) this.keys.clear(); // bounded: a flood of payers only costs recoveries
    // the table is built after the current call's answer, not on its path
    setImmediate(() => {
      const p = Point.fromAffine(key.toAffine());
      secp256k1.utils.precompute(4, p);
      p.multiply(1n);
      this.keys.set(who, p);
    });
  }
}
