// The delivery loop: claim a lane, ask the destination what it already applied (confirming
// those operations), take the next contiguous run, collect threshold signatures over its batch
// root, submit, and confirm by receipt and by the destination's lane nonce. Every step is
// persisted before the next, so a crash at any point resumes without a second application:
// the destination's own nonce check is the final guard, and "already delivered?" is asked
// before every submission.
import { batchRootOfMessages } from "./codec";
import { Collector, type RelayerSet } from "./attest";
import type { RelayerConfig } from "./config";
import { logger } from "./log";
import type { Metrics } from "./metrics";
import { nextAttemptDelayMs, retry, sleep } from "./retry";
import { RejectedError, StaleBatchError, type Sink } from "./sinks/types";
import type { LaneRef, Op, OpStore } from "./store";

export type StepResult = "idle" | "delivered" | "waiting" | "failed";

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
      await this.store.releaseLane(lane, this.owner, retryAt);
    }
  }

  private async deliverLane(lane: LaneRef): Promise<{ result: StepResult; retryAt: number }> {
    const sink = this.sinks.get(lane.dst);
    const ops = await this.store.pendingOps(lane, this.cfg.maxBatch);
    if (!sink) {
      await this.store.fail(ops.map((o) => o.id), `no sink for destination chain ${lane.dst} in this relayer's config`, Date.now() + 60_000, true);
      return { result: "failed", retryAt: 0 };
    }
    let attemptedFirst = Infinity; // first nonce of the batch being submitted
    let broadcast = false; // a transaction for it went out
    try {
      await sink.init();
      // "Already delivered?" — before anything else, every time.
      const inbound = await this.inboundOf(sink, lane.src);
      await this.confirmed(lane, inbound, false);
      let batch = ops.filter((o) => o.nonce > inbound);
      if (!batch.length) return { result: "delivered", retryAt: 0 };
      if (batch[0].nonce !== inbound + 1) {
        return this.failure(lane, batch, `gap: destination applied nonce ${inbound} but the next observed is ${batch[0].nonce}; replay the source (relayer replay --chain <src> --from <height>)`, false);
      }
      // A submission we already made: wait for it instead of sending a second one.
      const inFlight = batch.find((o) => o.state === "submitted" && o.txHash);
      if (inFlight) {
        const st = await retry(() => sink.status(inFlight.txHash!), { policy: { baseMs: 100, maxMs: 2_000, maxAttempts: 5 } });
        if (st.txHash && st.txHash !== inFlight.txHash) await this.store.transition(batch.filter((o) => o.txHash === inFlight.txHash).map((o) => o.id), "submitted", { txHash: st.txHash });
        if (st.status === "pending") return { result: "waiting", retryAt: Date.now() + 500 };
        const after = await this.inboundOf(sink, lane.src);
        await this.confirmed(lane, after, true);
        if (after >= inFlight.nonce) {
          if (st.status === "failed") this.metrics.duplicateSubmissions.inc({ src: lane.src, dst: lane.dst });
          return { result: "delivered", retryAt: 0 };
        }
        batch = batch.filter((o) => o.nonce > after);
        await this.store.transition(batch.map((o) => o.id), "observed");
        if (st.status === "failed") return this.failure(lane, batch, st.error ?? "submission failed", false);
      }
      for (let i = 1; i < batch.length; i++) if (batch[i].nonce !== batch[i - 1].nonce + 1) { batch = batch.slice(0, i); break; }
      const messages = batch.map((o) => o.message);
      const { root } = batchRootOfMessages(messages);
      const set = await this.relayerSet(sink);
      const { signatures } = await this.collector.collect(lane, batch[0].nonce, batch.length, root, set);
      if (signatures.size < set.threshold) {
        this.log.debug({ lane, first: batch[0].nonce, have: signatures.size, need: set.threshold }, "waiting for peer attestations");
        return { result: "waiting", retryAt: Date.now() + Math.min(this.cfg.attestTimeoutMs, 1000) };
      }
      const ids = batch.map((o) => o.id);
      await this.store.transition(ids, "attested");
      // Ask once more right before sending (another instance or a self-relayer may have delivered).
      const before = await this.inboundOf(sink, lane.src);
      if (before >= batch[0].nonce) {
        await this.confirmed(lane, before, true);
        return { result: "delivered", retryAt: 0 };
      }
      attemptedFirst = batch[0].nonce;
      let txHash = await sink.submit(messages, signatures, set);
      broadcast = true;
      await this.store.transition(ids, "submitted", { txHash });
      this.log.info({ lane, first: batch[0].nonce, count: batch.length, txHash }, "batch submitted");
      const deadline = Date.now() + 60_000;
      for (;;) {
        // a failed status read is a transport fault, not news about the transaction: ask again
        const st = await sink.status(txHash).catch((): { status: "pending"; error?: string; txHash?: string } => ({ status: "pending" }));
        if (st.txHash && st.txHash !== txHash) {
          // replaced with higher fees: the stored hash follows, so a restart waits for the right one
          txHash = st.txHash;
          await this.store.transition(ids, "submitted", { txHash });
        }
        if (st.status === "confirmed") break;
        if (st.status === "failed") throw new Error(st.error);
        if (Date.now() > deadline) return { result: "waiting", retryAt: Date.now() + 1000 };
        await sleep(200);
      }
      const done = await this.inboundOf(sink, lane.src);
      await this.confirmed(lane, done, false);
      return { result: "delivered", retryAt: 0 };
    } catch (e) {
      // Lost a race (another instance, operator or self-relayer delivered the same range)? The
      // read is retried: a transport fault here must not turn a lost race into a refusal.
      const now = await this.inboundOf(sink, lane.src).catch(() => -1);
      if (now >= attemptedFirst) {
        await this.confirmed(lane, now, true);
        if (broadcast) this.metrics.duplicateSubmissions.inc({ src: lane.src, dst: lane.dst });
        this.log.info({ lane, inbound: now, err: (e as Error).message }, "destination already applied the batch (duplicate refused)");
        return { result: "delivered", retryAt: 0 };
      }
      if (e instanceof StaleBatchError) {
        // The destination said so itself (UnexpectedNonce past the first nonce) but its lane
        // nonce could not be read: not a refusal; the next step reads it and confirms.
        this.metrics.failures.inc({ stage: "race", chain: lane.dst });
        this.log.info({ lane, expected: e.expected, err: e.message }, "destination is past this batch (lost race); re-reading its lane nonce");
        return { result: "waiting", retryAt: Date.now() + 200 };
      }
      const pending = (await this.store.pendingOps(lane, this.cfg.maxBatch)).filter((o) => o.state !== "submitted");
      return this.failure(lane, pending, (e as Error).message ?? String(e), e instanceof RejectedError);
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
      if (o.sourceTime > 0) this.metrics.latency.observe({ src: lane.src, dst: lane.dst }, Math.max(0, now - o.sourceTime) / 1000);
      if (foundBeforeReceipt || o.state === "observed") this.metrics.duplicates.inc({ src: lane.src, dst: lane.dst });
    }
  }

  private async failure(lane: LaneRef, ops: Op[], error: string, rejected: boolean): Promise<{ result: StepResult; retryAt: number }> {
    const attempts = (ops[0]?.attempts ?? 0) + 1;
    const park = rejected && attempts >= this.cfg.maxAttempts;
    const delay = nextAttemptDelayMs(attempts, { baseMs: this.cfg.backoffBaseMs, maxMs: this.cfg.backoffMaxMs, maxAttempts: this.cfg.maxAttempts });
    const retryAt = Date.now() + delay;
    await this.store.fail(ops.map((o) => o.id), error, retryAt, park);
    this.metrics.failures.inc({ stage: rejected ? "rejected" : "deliver", chain: lane.dst });
    this.log.warn({ lane, first: ops[0]?.nonce, attempts, parked: park, retryInMs: delay, error }, park ? "batch parked: fix the cause, then `relayer retry <op>`" : "delivery failed; will retry");
    return { result: "failed", retryAt };
  }
}
