// Content addressing: CIDv1, raw codec, sha256 multihash (the `bafkrei…` form IPFS gives a single
// raw block). Written out here (a four-byte prefix and RFC 4648 base32) rather than through
// `multiformats`, which is ESM-only and could only be loaded here with a runtime dynamic import that
// a browser bundle cannot follow; test/keys/browser-safe.test.ts checks it against multiformats.
// Runs in Node and in the browser. The on-disk store is content-store.ts (Node).
import { sha256 as nobleSha256 } from "@noble/hashes/sha256";
import { concatBytes, equalBytes } from "./bytes";
import { refuse } from "./errors";

/** CIDv1 (0x01), raw codec (0x55), sha2-256 multihash (0x12, 32 bytes). */
const RAW_SHA256_PREFIX = Uint8Array.of(0x01, 0x55, 0x12, 0x20);
const OTHER_MULTIBASE = /^[QzZfFmMuU]/;
const B32 = "abcdefghijklmnopqrstuvwxyz234567";

function base32(bytes: Uint8Array): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}

function unbase32(text: string): Uint8Array | undefined {
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of text) {
    const v = B32.indexOf(ch);
    if (v < 0) return undefined;
    value = ((value << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Uint8Array.from(out);
}

export function sha256(bytes: Uint8Array): Uint8Array {
  return nobleSha256(bytes);
}

/** CIDv1 (raw, sha256) of `bytes`, base32 text (`bafkrei…`). */
export async function cidOf(bytes: Uint8Array): Promise<string> {
  return "b" + base32(concatBytes(RAW_SHA256_PREFIX, sha256(bytes)));
}

/**
 * Parse a CID we can verify locally: CIDv1, raw codec, sha256. Returns the sha256 digest it
 * commits to. Anything else (CIDv0 `Qm…` DAG-PB, other hashes) is refused with the reason.
 */
export async function parseRawCid(text: string): Promise<{ cid: string; digest: Uint8Array }> {
  const lower = text.startsWith("B") ? "b" + text.slice(1).toLowerCase() : text;
  const bytes = lower.startsWith("b") ? unbase32(lower.slice(1)) : undefined;
  if (!bytes) {
    if (/^Qm[1-9A-HJ-NP-Za-km-z]{44}$/.test(text) || (OTHER_MULTIBASE.test(text) && text.length > 8))
      refuse(
        "unsupported",
        `CID ${text} is not CIDv1/raw/sha256: only single raw blocks can be verified against their bytes here`,
      );
    refuse("bad_request", `'${text}' is not a CID`);
  }
  if (bytes.length !== 36 || !equalBytes(bytes.subarray(0, 4), RAW_SHA256_PREFIX)) {
    if (bytes[0] !== 0x01) refuse("bad_request", `'${text}' is not a CID (unknown version ${bytes[0]})`);
    refuse("unsupported", `CID ${text} is not CIDv1/raw/sha256: only single raw blocks can be verified against their bytes here`);
  }
  const digest = bytes.slice(4);
  return { cid: "b" + base32(bytes), digest };
}

/** Check that `bytes` are what `cid` names; throws an integrity error otherwise. */
export async function verifyCid(cid: string, bytes: Uint8Array): Promise<void> {
  const { digest } = await parseRawCid(cid);
  if (!equalBytes(digest, sha256(bytes))) {
    refuse("integrity", `content served for ${cid} does not hash to that CID: refusing tampered or truncated bytes`);
  }
}
