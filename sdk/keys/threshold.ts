// Threshold custody: a 3-of-5 Shamir split of the master key over the BLS12-381 scalar field, in
// the format of kavach (the Lighthouse SDK's BLS library): shards are {key, index}, both 32-byte
// big-endian hex scalars, so shards made by either side recover on the other
// (test/keys/browser-safe.test.ts checks both directions against kavach). Implemented with
// @noble/curves' field arithmetic so the same code runs in Node and in the browser (kavach needs
// a WASM build per platform). It keeps kavach's known defects out:
//   * combining fewer shards than the threshold yields a WRONG key with no error (interpolation
//     cannot tell). We demand at least THRESHOLD shards with distinct indices and check the result
//     against the key check value recorded at upload (and, downstream, AES-GCM's tag).
//   * every split is verified before it is used.
import { Field } from "@noble/curves/abstract/modular";
import { sha256 } from "@noble/hashes/sha256";
import { bytesToHex, concatBytes, randomBytes, utf8ToBytes } from "./bytes";
import { refuse } from "./errors";

export const THRESHOLD = 3;
export const SHARES = 5;

export interface KeyShard {
  key: string;
  index: string;
}

/** The order r of BLS12-381's prime-order subgroup: the scalar field the shares live in. */
const Fr = Field(0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001n);
const HEX64 = /^[0-9a-f]{64}$/i;

const toHex = (v: bigint) => v.toString(16).padStart(64, "0");

function scalar(hex: string, what: string): bigint {
  if (!HEX64.test(hex)) refuse("threshold", `${what} is not 32 bytes of hex`);
  const v = BigInt("0x" + hex);
  if (v >= Fr.ORDER) refuse("threshold", `${what} is not a BLS12-381 scalar`);
  return v;
}

/** A uniformly random non-zero scalar (64 random bytes reduced mod r: bias below 2^-250). */
function randomScalar(): bigint {
  for (;;) {
    const v = Fr.create(BigInt("0x" + bytesToHex(randomBytes(64))));
    if (v !== 0n) return v;
  }
}

/** Commitment to a master key that reveals nothing usable (domain-separated sha256). */
export function keyCheck(masterKey: string): string {
  return "0x" + bytesToHex(sha256(concatBytes(utf8ToBytes("hexs-key-check-v1\0"), utf8ToBytes(masterKey.toLowerCase()))));
}

function subsets<T>(items: T[], k: number): T[][] {
  if (k === 0) return [[]];
  if (items.length < k) return [];
  const [first, ...rest] = items;
  return [...subsets(rest, k - 1).map((s) => [first, ...s]), ...subsets(rest, k)];
}

/** Lagrange interpolation at 0 of the given points (no threshold check: callers do that). */
function interpolate(shards: KeyShard[]): string {
  const pts = shards.map((s, i) => ({ x: scalar(s.index, `shard ${i + 1}'s index`), y: scalar(s.key, `shard ${i + 1}'s key`) }));
  let secret = 0n;
  for (const p of pts) {
    let num = 1n;
    let den = 1n;
    for (const q of pts) {
      if (q === p) continue;
      num = Fr.mul(num, q.x);
      den = Fr.mul(den, Fr.sub(q.x, p.x));
    }
    if (den === 0n) refuse("threshold", "shard indices repeat");
    secret = Fr.add(secret, Fr.mul(p.y, Fr.div(num, den)));
  }
  return toHex(secret);
}

/** Split `masterKey` into SHARES shards, any THRESHOLD of which recover it (fresh random indices). */
function split(masterKey: string): KeyShard[] {
  const coeffs = [scalar(masterKey, "the master key"), ...Array.from({ length: THRESHOLD - 1 }, randomScalar)];
  const xs = new Set<bigint>();
  while (xs.size < SHARES) xs.add(randomScalar());
  return [...xs].map((x) => {
    let y = 0n;
    for (let k = coeffs.length - 1; k >= 0; k--) y = Fr.add(Fr.mul(y, x), coeffs[k]);
    return { key: toHex(y), index: toHex(x) };
  });
}

/**
 * Check that `shards` are a THRESHOLD-of-SHARES split of `masterKey`: every THRESHOLD-subset
 * recovers it and no smaller subset does.
 */
export async function verifySplit(masterKey: string, shards: KeyShard[]): Promise<void> {
  if (shards.length !== SHARES) refuse("threshold", `expected ${SHARES} shards, got ${shards.length}`);
  if (new Set(shards.map((s) => s.index.toLowerCase())).size !== SHARES) refuse("threshold", "shard indices repeat");
  const want = masterKey.toLowerCase();
  for (const set of subsets(shards, THRESHOLD)) {
    if (interpolate(set) !== want) refuse("threshold", `a ${THRESHOLD}-shard subset does not recover the key`);
  }
  for (const set of subsets(shards, THRESHOLD - 1)) {
    if (interpolate(set) === want) refuse("threshold", `${THRESHOLD - 1} shards already recover the key`);
  }
}

/** A fresh master key and its verified 3-of-5 split. */
export async function generateKey(): Promise<{ masterKey: string; shards: KeyShard[]; keyCheck: string }> {
  const masterKey = toHex(randomScalar());
  const shards = split(masterKey);
  await verifySplit(masterKey, shards);
  return { masterKey, shards, keyCheck: keyCheck(masterKey) };
}

/** Re-split an existing master key (e.g. to replace a shard store) into a fresh, verified 3-of-5 split. */
export async function reshare(masterKey: string): Promise<KeyShard[]> {
  const shards = split(masterKey.toLowerCase());
  await verifySplit(masterKey.toLowerCase(), shards);
  return shards;
}

/**
 * Recover the master key from shards fetched from the stores. Refuses fewer than THRESHOLD
 * distinct shards (interpolation would silently return a wrong key). With `expectedCheck`, tries
 * THRESHOLD-subsets until one matches, so a single corrupted or lying store is tolerated when
 * more shards are at hand; without it, the AES-GCM tag is the only check left.
 */
export async function recoverMasterKey(shards: KeyShard[], expectedCheck?: string): Promise<string> {
  const distinct = new Map<string, KeyShard>();
  for (const s of shards) {
    if (typeof s?.key !== "string" || typeof s?.index !== "string") refuse("threshold", "a shard is not {key, index}");
    distinct.set(s.index.toLowerCase(), s);
  }
  if (distinct.size < THRESHOLD) {
    refuse(
      "threshold",
      `need ${THRESHOLD} distinct key shards to recover the key, got ${distinct.size}: ` +
        "with fewer, interpolation returns a wrong key without an error",
    );
  }
  const unique = [...distinct.values()];
  if (!expectedCheck) return interpolate(unique.slice(0, THRESHOLD));
  for (const set of subsets(unique, THRESHOLD)) {
    let key: string;
    try {
      key = interpolate(set);
    } catch {
      continue; // a malformed shard: try the other subsets
    }
    if (keyCheck(key) === expectedCheck.toLowerCase()) return key;
  }
  refuse(
    "integrity",
    `the ${unique.length} shards received do not combine to the key recorded at upload (key check ${expectedCheck}): ` +
      "a shard store returned a wrong shard",
  );
}
