// The delivery loop: claim a lane, ask the destination what it already applied (confirming
// those operations), take the next contiguous run, collect threshold signatures over its batch
// root and submit. A step does not wait for the receipt: the lane is released and later steps
// check the oldest submitted batch (receipt, fee bumping) while the lane's designated submitter
// keeps up to `delivery.pipeline` batches in flight (explicit transaction nonces / account
// sequences; batches behind others are sent without simulation). If the oldest batch fails,
// it and every later one go back to observed. Every step is persisted before the next, so a
// crash at any point resumes without a second application: the destination's own nonce check
// is the final guard, and "already delivered?" is asked before every batch sent at the lane's head.
import { batchRootOfMessages } from "../codec";
import { Collector, type RelayerSet } from "./attest";
import type { RelayerConfig } from "./config";
import { logger } from "./log";
import type { Metrics } from "./metrics";
import { nextAttemptDelayMs, retry } from "./retry";
import { RejectedError, StaleBatchError, type Sink } from "./sinks/types";
import type { LaneRef, Op, OpStore } from "./store";

export type StepResult = "idle" | "delivered" | "waiting" | "failed";

/** how long a relayer that stood in for a lane's silent designated submitter keeps submitting */
const TAKEOVER_HOLD_MS = 30_000;

export class Deliverer {
  private readonly log = logger("deliver");
  private readonly sets = new Map<number, { set: RelayerSet; at: number }>();

  constructor(
    private readonly store: OpStore,
    private readonly sinks: Map<number, Sink>,
    private readonly collector: Collector,
    private readonly metrics: Metrics,
    private readonly cfg: RelayerConfig["delivery"],
    private readonly owner: string,
  ) {}

  private async relayerSet(sink: Sink): Promise<RelayerSet> {
    const c = this.sets.get(sink.hexsChainId);
    if (c && Date.now() - c.at < 30_000) return c.set;
    const set = await sink.relayerSet();
    this.sets.set(sink.hexsChainId, { set, at: Date.now() });
    return set;
  }

  /** One unit of work (one lane). */
  async step(): Promise<StepResult> {
    const lane = await this.store.claimLane(this.owner, this.cfg.claimMs);
    if (!lane) return "idle";
    let retryAt = 0;
    try {
      const r = await this.deliverLane(lane);
      retryAt = r.retryAt;
      return r.result;
    } finally {
      // stamped with the release time when due at once, so the least recently served lane is claimed next
      await this.store.releaseLane(lane, this.owner, retryAt || Date.now());
    }
  }

  /**
   * Our transactions whose operations the destination applied before their own outcome was known
   * (a pipelined batch overtaken by another submitter's, or put back after the oldest failed):
   * their outcome is still read, so a submission the destination refused is counted.
   */
  private readonly watched = new Map<string, { lane: LaneRef; first: number; since: number; next: number }>();

  private watch(lane: LaneRef, ops: readonly Op[], through: number, except?: string): void {
    for (const o of ops) {
      if (o.state !== "submitted" || !o.txHash || o.nonce > through || o.txHash === except || this.watched.has(o.txHash))
        continue;
      if (this.watched.size >= 1000) this.watched.delete(this.watched.keys().next().value!);
      this.watched.set(o.txHash, { lane, first: o.nonce, since: Date.now(), next: 0 });
    }
  }

  private async checkWatched(lane: LaneRef, sink: Sink, inbound: number): Promise<void> {
    const now = Date.now();
    for (const [hash, w] of this.watched) {
      if (w.lane.src !== lane.src || w.lane.dst !== lane.dst || w.next > now) continue;
      w.next = now + 1_000;
      const st = await sink.status(hash).catch(() => undefined);
      if (!st || (st.status === "pending" && now - w.since < 120_000)) continue;
      this.watched.delete(hash);
      if (st.status !== "failed") continue;
      if (inbound >= w.first) this.metrics.duplicateSubmissions.inc({ src: lane.src, dst: lane.dst });
      else this.metrics.failures.inc({ stage: "pipelined", chain: lane.dst });
      this.log.info(
        { lane, txHash: hash, first: w.first, inbound, err: st.error },
        inbound >= w.first
          ? "destination refused our submission of a batch it had applied (duplicate)"
          : "pipelined batch refused after an earlier one failed",
      );
    }
  }

  /** when this process last saw the lane's destination nonce move (takeover from a silent designated submitter) */
  private readonly progress = new Map<string, { inbound: number; at: number; takeoverUntil: number }>();

  private noteProgress(lane: LaneRef, inbound: number): void {
    const key = `${lane.src}-${lane.dst}`;
    const p = this.progress.get(key);
    if (!p || p.inbound !== inbound) this.progress.set(key, { inbound, at: Date.now(), takeoverUntil: p?.takeoverUntil ?? 0 });
  }

  /** not the designated submitter: stand in once the lane made no progress for `takeoverMs` (then for a while) */
  private standIn(lane: LaneRef): boolean {
    const p = this.progress.get(`${lane.src}-${lane.dst}`);
    if (!p) return false;
    const now = Date.now();
    if (p.takeoverUntil >= now) return true;
    if (now - p.at < this.cfg.takeoverMs) return false;
    p.takeoverUntil = now + TAKEOVER_HOLD_MS;
    this.log.info(
      { lane, inbound: p.inbound, stalledMs: now - p.at },
      "lane made no progress: submitting although not its designated submitter",
    );
    return true;
  }

  /**
   * One submitter per lane: the relayer-set member (sorted by address) at index (src + dst) mod n.
   * A relayer outside the set (or an empty set) submits itself.
   */
  private designated(lane: LaneRef, set: RelayerSet): boolean {
    const me = this.collector.address.toLowerCase();
    const members = set.members.map((m) => m.toLowerCase()).sort();
    if (!members.length || !members.includes(me)) return true;
    return members[(lane.src + lane.dst) % members.length] === me;
  }

  private async deliverLane(lane: LaneRef): Promise<{ result: StepResult; retryAt: number }> {
    const sink = this.sinks.get(lane.dst);
    const depth = Math.max(1, this.cfg.pipeline ?? 1);
    const ops = await this.store.pendingOps(lane, this.cfg.maxBatch * (depth + 1));
    if (!sink) {
      await this.store.fail(
        ops.slice(0, this.cfg.maxBatch).map((o) => o.id),
        `no sink for destination chain ${lane.dst} in this relayer's config`,
        Date.now() + 60_000,
        true,
      );
      return { result: "failed", retryAt: 0 };
    }
    let attemptedFirst = Infinity; // first nonce of the batch being submitted
    let broadcast = false; // a transaction for it went out
    let pipelined = false;
    let attempted: Op[] = [];
    let sentHash: string | undefined; // the transaction of the batch being submitted
    try {
      await sink.init();
      // "Already delivered?" — before anything else, every time.
      const inbound = await this.inboundOf(sink, lane.src);
      this.watch(lane, ops, inbound);
      await this.confirmed(lane, inbound, false);
      if (this.watched.size) await this.checkWatched(lane, sink, inbound);
      let pending = ops.filter((o) => o.nonce > inbound);
      if (!pending.length) return { result: "delivered", retryAt: 0 };
      if (pending[0].nonce !== inbound + 1) {
        return this.failure(
          lane,
          pending.slice(0, this.cfg.maxBatch),
          `gap: destination applied nonce ${inbound} but the next observed is ${pending[0].nonce}; replay the source (relayer replay --chain <src> --from <height>)`,
          false,
        );
      }
      for (let i = 1; i < pending.length; i++)
        if (pending[i].nonce !== pending[i - 1].nonce + 1) {
          pending = pending.slice(0, i);
          break;
        }
      this.noteProgress(lane, inbound);

      // Submissions we already made (in nonce order, one transaction each): wait for them instead
      // of sending them again. Only the oldest is asked about: the later ones cannot be applied
      // before it, and if it failed they go back to observed with it (their own failures would
      // only be its consequence: the destination refuses their nonces).
      let inFlight = 0;
      while (inFlight < pending.length && pending[inFlight].state === "submitted" && pending[inFlight].txHash) inFlight++;
      let groups = new Set(pending.slice(0, inFlight).map((o) => o.txHash)).size;
      if (inFlight > 0) {
        const hash = pending[0].txHash!;
        const head = pending.slice(0, inFlight).filter((o) => o.txHash === hash);
        const st = await retry(() => sink.status(hash), { policy: { baseMs: 100, maxMs: 2_000, maxAttempts: 5 } });
        if (st.txHash && st.txHash !== hash)
          await this.store.transition(
            head.map((o) => o.id),
            "submitted",
            { txHash: st.txHash },
          );
        if (st.status !== "pending") {
          const after = await this.inboundOf(sink, lane.src);
          this.watch(lane, pending.slice(0, inFlight), after, hash);
          await this.confirmed(lane, after, true);
          if (after >= head[0].nonce) {
            if (st.status === "failed") this.metrics.duplicateSubmissions.inc({ src: lane.src, dst: lane.dst });
            return { result: "delivered", retryAt: 0 };
          }
          // not applied: this batch and every later in-flight one go back to observed
          this.watch(lane, pending.slice(0, inFlight), Infinity, hash);
          await this.store.transition(
            pending
              .slice(0, inFlight)
              .filter((o) => o.nonce > after)
              .map((o) => o.id),
            "observed",
          );
          if (st.status === "failed")
            return this.failure(
              lane,
              head.filter((o) => o.nonce > after),
              st.error ?? "submission failed",
              false,
            );
          return { result: "waiting", retryAt: Date.now() + 100 };
        }
      }
      const set = await this.relayerSet(sink);
      const mine = this.designated(lane, set);
      // the designated submitter keeps up to `pipeline` batches in flight; a relayer standing in for it, one
      const limit = mine ? depth : 1;
      if (inFlight > 0 && groups >= limit) return { result: "waiting", retryAt: Date.now() + 100 };
      if (!mine && !this.standIn(lane)) return { result: "waiting", retryAt: Date.now() + Math.min(500, this.cfg.takeoverMs) };

      // Below the limit, send run after run in this one step (no new reads of the destination in
      // between: the batches behind the first are pipelined anyway).
      let sent = 0;
      for (;;) {
        const batch = pending.slice(inFlight, inFlight + this.cfg.maxBatch);
        if (!batch.length) return sent ? { result: "delivered", retryAt: 0 } : { result: "waiting", retryAt: Date.now() + 100 };
        pipelined = inFlight > 0;
        broadcast = false;
        sentHash = undefined;
        attempted = [];
        attemptedFirst = Infinity;
        const messages = batch.map((o) => o.message);
        const { root } = batchRootOfMessages(messages);
        const { signatures } = await this.collector.collect(lane, batch[0].nonce, batch.length, root, set);
        if (signatures.size < set.threshold) {
          this.log.debug(
            { lane, first: batch[0].nonce, have: signatures.size, need: set.threshold },
            "waiting for peer attestations",
          );
          return sent
            ? { result: "delivered", retryAt: 0 }
            : { result: "waiting", retryAt: Date.now() + Math.min(this.cfg.attestTimeoutMs, 1000) };
        }
        const ids = batch.map((o) => o.id);
        await this.store.transition(ids, "attested");
        attempted = batch;
        if (!pipelined) {
          // Ask once more right before sending (another instance or a self-relayer may have delivered).
          const before = await this.inboundOf(sink, lane.src);
          if (before >= batch[0].nonce) {
            await this.confirmed(lane, before, true);
            return { result: "delivered", retryAt: 0 };
          }
        }
        attemptedFirst = batch[0].nonce;
        const txHash = await sink.submit(messages, signatures, set, { pipelined });
        broadcast = true;
        sentHash = txHash;
        await this.store.transition(ids, "submitted", { txHash });
        for (const o of batch) Object.assign(o, { state: "submitted", txHash });
        groups++;
        sent++;
        inFlight += batch.length;
        this.log.info({ lane, first: batch[0].nonce, count: batch.length, txHash, inFlight: groups }, "batch submitted");
        // not waiting for the receipt: a later step on this lane checks it
        if (groups >= limit) return { result: "delivered", retryAt: 0 };
      }
    } catch (e) {
      // Lost a race (another instance, operator or self-relayer delivered the same range)? The
      // read is retried: a transport fault here must not turn a lost race into a refusal.
      const now = await this.inboundOf(sink, lane.src).catch(() => -1);
      if (now >= 0) this.watch(lane, ops, now, sentHash);
      if (now >= attemptedFirst) {
        await this.confirmed(lane, now, true);
        if (broadcast) this.metrics.duplicateSubmissions.inc({ src: lane.src, dst: lane.dst });
        this.log.info(
          { lane, inbound: now, err: (e as Error).message },
          "destination already applied the batch (duplicate refused)",
        );
        return { result: "delivered", retryAt: 0 };
      }
      if (e instanceof StaleBatchError) {
        // The destination said so itself (UnexpectedNonce past the first nonce) but its lane
        // nonce could not be read: not a refusal; the next step reads it and confirms.
        this.metrics.failures.inc({ stage: "race", chain: lane.dst });
        this.log.info(
          { lane, expected: e.expected, err: e.message },
          "destination is past this batch (lost race); re-reading its lane nonce",
        );
        return { result: "waiting", retryAt: Date.now() + 200 };
      }
      if (pipelined && !broadcast && !(e instanceof RejectedError)) {
        // a batch behind others in flight could not be sent (transport, nonce): the lane's head decides
        this.log.info(
          { lane, first: attemptedFirst, err: (e as Error).message },
          "pipelined batch not sent; retrying after the batches in flight",
        );
        return { result: "waiting", retryAt: Date.now() + 500 };
      }
      const failed = attempted.length
        ? attempted
        : (await this.store.pendingOps(lane, this.cfg.maxBatch)).filter((o) => o.state !== "submitted");
      return this.failure(lane, failed, (e as Error).message ?? String(e), e instanceof RejectedError);
    }
  }

  /** the destination's lane nonce, with a few quick retries (transport faults) */
  private inboundOf(sink: Sink, src: number): Promise<number> {
    return retry(() => sink.inbound(src), { policy: { baseMs: 100, maxMs: 2_000, maxAttempts: 5 } });
  }

  private async confirmed(lane: LaneRef, inbound: number, foundBeforeReceipt: boolean): Promise<void> {
    const done = await this.store.confirmThrough(lane, inbound);
    const now = Date.now();
    for (const o of done) {
      this.metrics.deliveries.inc({ src: lane.src, dst: lane.dst });
      if (o.sourceTime > 0)
        this.metrics.latency.observe({ src: lane.src, dst: lane.dst }, Math.max(0, now - o.sourceTime) / 1000);
      if (foundBeforeReceipt || o.state === "observed") this.metrics.duplicates.inc({ src: lane.src, dst: lane.dst });
    }
  }

  private async failure(
    lane: LaneRef,
    ops: Op[],
    error: string,
    rejected: boolean,
  ): Promise<{ result: StepResult; retryAt: number }> {
    const attempts = (ops[0]?.attempts ?? 0) + 1;
    const park = rejected && attempts >= this.cfg.maxAttempts;
    const delay = nextAttemptDelayMs(attempts, {
      baseMs: this.cfg.backoffBaseMs,
      maxMs: this.cfg.backoffMaxMs,
      maxAttempts: this.cfg.maxAttempts,
    });
    const retryAt = Date.now() + delay;
    await this.store.fail(
      ops.map((o) => o.id),
      error,
      retryAt,
      park,
    );
    this.metrics.failures.inc({ stage: rejected ? "rejected" : "deliver", chain: lane.dst });
    this.log.warn(
      { lane, first: ops[0]?.nonce, attempts, parked: park, retryInMs: delay, error },
      park ? "batch parked: fix the cause, then `relayer retry <op>`" : "delivery failed; will retry",
    );
    return { result: "failed", retryAt };
  }
}
