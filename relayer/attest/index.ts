// Attestations: this operator signs the batch root of a run of one lane's messages it observed
// itself (raw 32-byte root, no prefix: 65-byte r‖s‖v for EVM, the first 64 bytes for CosmWasm),
// serves its signatures to peers over HTTP and collects theirs until the destination's threshold.
// A peer's signature counts only if it recovers, over the root *we* computed from our own
// observed messages, to a member of the destination's relayer set; anything else is ignored,
// logged and counted.
import { computeAddress, getAddress, recoverAddress, Signature, SigningKey } from "ethers";
import { batchRootOfMessages } from "../../codec";
import { logger } from "../log";
import type { LaneRef, OpStore } from "../store";

export interface RelayerSet {
  threshold: number;
  /** checksummed addresses; `pubkeys` maps them to the compressed keys CosmWasm stores */
  members: string[];
  pubkeys?: Map<string, string>;
}

export interface Attestation {
  lane: string;
  firstNonce: number;
  count: number;
  root: string;
  signer: string;
  /** 65-byte r‖s‖v */
  signature: string;
}

export const laneKey = (l: LaneRef): string => `${l.src}-${l.dst}`;

export function parseLane(s: string): LaneRef | undefined {
  const m = /^(\d{1,10})-(\d{1,10})$/.exec(s);
  return m ? { src: Number(m[1]), dst: Number(m[2]) } : undefined;
}

export class Signer {
  readonly address: string;
  readonly publicKey: string;
  constructor(private readonly key: SigningKey) {
    this.address = computeAddress(key.publicKey);
    this.publicKey = SigningKey.computePublicKey(key.publicKey, true);
  }
  sign(root: string): string {
    return this.key.sign(root).serialized;
  }
}

/**
 * The largest batch a relayer signs for a peer (chains[].maxBatch is at most this): it bounds the
 * hashing one request costs. A relayer before this limit signed at most 64, so every operator of a
 * set runs this version before any of them sets a chain's maxBatch above 64.
 */
export const MAX_ATTESTED_BATCH = 1024;

/**
 * This relayer's attestation of `count` messages from `firstNonce` on `lane`, or undefined when it
 * has not observed all of them (it never signs what it did not read from the source itself).
 */
export async function ownAttestation(
  store: OpStore,
  signer: Signer,
  lane: LaneRef,
  firstNonce: number,
  count: number,
): Promise<Attestation | undefined> {
  if (count < 1 || count > MAX_ATTESTED_BATCH || firstNonce < 1) return undefined;
  const ops = await store.opsRange(lane, firstNonce, count);
  if (ops.length !== count) return undefined;
  const { root } = batchRootOfMessages(ops.map((o) => o.message));
  return { lane: laneKey(lane), firstNonce, count, root, signer: signer.address, signature: signer.sign(root) };
}

export interface Peer {
  name: string;
  url: string;
}

export interface CollectResult {
  /** valid signatures by signer address (ours included) */
  signatures: Map<string, string>;
  forged: number;
}

/** Recover the signer of a 65-byte signature over `root`; undefined if malformed. */
export function recoverSigner(root: string, signature: string): string | undefined {
  try {
    return recoverAddress(root, Signature.from(signature));
  } catch {
    return undefined;
  }
}

export class Collector {
  private readonly log = logger("attest");
  /** signatures already verified, per lane/first/count/root */
  private readonly cache = new Map<string, Map<string, string>>();

  constructor(
    private readonly signer: Signer,
    private readonly peers: readonly Peer[],
    private readonly onForged: (peer: string) => void = () => undefined,
    private readonly timeoutMs = 3000,
  ) {}

  /** this relayer's signing address */
  get address(): string {
    return this.signer.address;
  }

  /** Gather signatures over `root` until `set.threshold` valid ones (or every peer answered once). */
  async collect(lane: LaneRef, firstNonce: number, count: number, root: string, set: RelayerSet): Promise<CollectResult> {
    const key = `${laneKey(lane)}/${firstNonce}/${count}/${root}`;
    const got = this.cache.get(key) ?? new Map<string, string>();
    this.cache.set(key, got);
    if (this.cache.size > 1000) this.cache.delete(this.cache.keys().next().value!);
    const members = new Set(set.members.map((m) => getAddress(m)));
    if (members.has(this.signer.address)) got.set(this.signer.address, this.signer.sign(root));
    let forged = 0;
    if (got.size >= set.threshold) return { signatures: got, forged };
    const ask = async (p: Peer): Promise<void> => {
      const a = await this.fetch(p, lane, firstNonce, count);
      if (!a) return;
      const who = recoverSigner(root, a.signature);
      const problem = !who
        ? "malformed signature"
        : !members.has(who)
          ? `signer ${who} is not in the destination's relayer set`
          : a.root.toLowerCase() !== root.toLowerCase()
            ? `peer signed root ${a.root}, we observed ${root}`
            : undefined;
      if (problem || !who) {
        forged++;
        this.onForged(p.name);
        this.log.warn({ peer: p.name, lane: laneKey(lane), firstNonce, count, problem }, "ignored an invalid peer attestation");
        return;
      }
      got.set(who, a.signature);
    };
    // Done at the threshold: the slowest peer's answer is not waited for (it still lands in the
    // cache for a later attempt at the same batch).
    await new Promise<void>((resolve) => {
      let left = this.peers.length;
      if (!left) return resolve();
      for (const p of this.peers)
        void ask(p)
          .catch(() => undefined)
          .finally(() => {
            if (--left === 0 || got.size >= set.threshold) resolve();
          });
    });
    return { signatures: got, forged };
  }

  private async fetch(p: Peer, lane: LaneRef, first: number, count: number): Promise<Attestation | undefined> {
    const url = `${p.url.replace(/\/$/, "")}/attestations/${laneKey(lane)}/${first}/${count}`;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs) });
      if (res.status === 404) return undefined; // the peer has not observed the range yet
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const a = (await res.json()) as Partial<Attestation>;
      if (typeof a.signature !== "string" || typeof a.root !== "string") throw new Error("response lacks root/signature");
      return a as Attestation;
    } catch (e) {
      this.log.debug({ peer: p.name, url, err: (e as Error).message }, "peer attestation not available");
      return undefined;
    }
  }
}

/** Signatures ordered by signer address (what the EVM gateway requires), at most `threshold`. */
export function orderedSignatures(sigs: Map<string, string>, threshold: number): { signer: string; signature: string }[] {
  return [...sigs]
    .map(([signer, signature]) => ({ signer, signature }))
    .sort((a, b) => (BigInt(a.signer) < BigInt(b.signer) ? -1 : 1))
    .slice(0, threshold);
}

export const addressOfPubkey = (pubkeyHex: string): string =>
  computeAddress(pubkeyHex.startsWith("0x") ? pubkeyHex : `0x${pubkeyHex}`);
