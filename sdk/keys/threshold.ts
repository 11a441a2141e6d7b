// Threshold custody with kavach (the Lighthouse SDK's BLS12-381 Shamir sharing), wrapped so
// its known defects cannot bite:
//   * recoverKey() with fewer shards than the threshold returns a WRONG key and `error: null`.
//     We demand at least THRESHOLD shards with distinct indices and check the result against
//     the key check value recorded at upload (and, downstream, AES-GCM's tag).
//   * shardKey(key, t) builds a degree-t polynomial, so it needs t+1 shards. We pass t-1 to
//     get a real THRESHOLD-of-SHARES split, and verify every split before it is used.
import { createHash } from "node:crypto";
import { generate, recoverKey, shardKey } from "@lighthouse-web3/kavach";
import { refuse } from "./errors";

export const THRESHOLD = 3;
export const SHARES = 5;

export interface KeyShard {
  key: string;
  index: string;
}

const HEX64 = /^[0-9a-f]{64}$/i;

/** Commitment to a master key that reveals nothing usable (domain-separated sha256). */
export function keyCheck(masterKey: string): string {
  return "0x" + createHash("sha256").update("hexs-key-check-v1\0").update(masterKey.toLowerCase()).digest("hex");
}

function subsets<T>(items: T[], k: number): T[][] {
  if (k === 0) return [[]];
  if (items.length < k) return [];
  const [first, ...rest] = items;
  return [...subsets(rest, k - 1).map((s) => [first, ...s]), ...subsets(rest, k)];
}

async function recoverExactly(shards: KeyShard[]): Promise<string | null> {
  const r = await recoverKey(shards);
  return r.error === null && typeof r.masterKey === "string" ? r.masterKey : null;
}

/**
 * Check that `shards` are a THRESHOLD-of-SHARES split of `masterKey`: every THRESHOLD-subset
 * recovers it and no smaller subset does (10 + 10 recoveries, ~20 ms).
 */
export async function verifySplit(masterKey: string, shards: KeyShard[]): Promise<void> {
  if (shards.length !== SHARES) refuse("threshold", `expected ${SHARES} shards, got ${shards.length}`);
  if (new Set(shards.map((s) => s.index.toLowerCase())).size !== SHARES) refuse("threshold", "shard indices repeat");
  for (const set of subsets(shards, THRESHOLD)) {
    if ((await recoverExactly(set)) !== masterKey) refuse("threshold", `a ${THRESHOLD}-shard subset does not recover the key`);
  }
  for (const set of subsets(shards, THRESHOLD - 1)) {
    if ((await recoverExactly(set)) === masterKey) refuse("threshold", `${THRESHOLD - 1} shards already recover the key`);
  }
}

/** A fresh master key and its verified 3-of-5 split. */
export async function generateKey(): Promise<{ masterKey: string; shards: KeyShard[]; keyCheck: string }> {
  const g = await generate(THRESHOLD, SHARES);
  if (!g.masterKey || !HEX64.test(g.masterKey)) refuse("threshold", "kavach.generate() returned no usable master key");
  await verifySplit(g.masterKey, g.keyShards);
  return { masterKey: g.masterKey, shards: g.keyShards, keyCheck: keyCheck(g.masterKey) };
}

/**
 * Re-split an existing master key (e.g. to replace a shard store) into a fresh, verified
 * 3-of-5 split. kavach's shardKey(key, t) needs t+1 shards, hence THRESHOLD - 1.
 */
export async function reshare(masterKey: string): Promise<KeyShard[]> {
  const r = await shardKey(masterKey, THRESHOLD - 1, SHARES);
  if (!r.isShardable) refuse("threshold", "kavach.shardKey() could not split the key");
  const shards: KeyShard[] = r.keyShards.map((s) => ({ key: String(s.key), index: String(s.index) }));
  await verifySplit(masterKey, shards);
  return shards;
}

/**
 * Recover the master key from shards fetched from the stores. Refuses fewer than THRESHOLD
 * distinct shards (kavach would silently return a wrong key). With `expectedCheck`, tries
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
        "with fewer, kavach returns a wrong key without an error",
    );
  }
  const unique = [...distinct.values()];
  if (!expectedCheck) {
    const key = await recoverExactly(unique.slice(0, THRESHOLD));
    if (!key) refuse("threshold", "kavach could not combine the shards");
    return key;
  }
  for (const set of subsets(unique, THRESHOLD)) {
    const key = await recoverExactly(set);
    if (key && keyCheck(key) === expectedCheck.toLowerCase()) return key;
  }
  refuse(
    "integrity",
    `the ${unique.length} shards received do not combine to the key recorded at upload (key check ${expectedCheck}): ` +
      "a shard store returned a wrong shard",
  );
}
