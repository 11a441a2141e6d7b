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
import { Collector, type CollectResult, type RelayerSet } from "./attest";
import { checkRelayerSet, type RelayerConfig } from "./config";
import { logger } from "./log";
import type { Metrics } from "./metrics";
import { nextAttemptDelayMs, retry } from "./retry";
import { RejectedError, type SignedSubmission, StaleBatchError, UnknownBroadcastError, type Sink } from "./sinks/types";
import { messageOf } from "../sdk/errors";
import type { LaneRef, Op, OpStore } from "./store";

export type StepResult = "idle" | "delivered" | "waiting" | "failed";

/**
 * The stages of one step on a lane, in order (`sign` → `submit` repeats while the pipeline has
 * room; toward a sink that signs apart from sending, `submit` only signs and persists each batch's
 * transaction and `broadcast` sends them all at the end of the step). A submitted batch is confirmed by a later step: `confirm` (the destination's lane nonce
 * moved past it) or `in-flight` (its receipt).
 */
type Stage = "confirm" | "in-flight" | "designate" | "sign" | "submit" | "broadcast";

/** What a stage decided: go on, or end the step (done, wait and come back, or count a failure). */
type Disposition =
  | { next: Stage }
  | { done: "delivered" | "already-delivered" }
  | { wait: string; ms: number }
  | {
      /** the error recorded on the operations */
      fail: string;
      ops: Op[];
      /** the destination refuses the batch as is: parked after `maxAttempts` (otherwise retried with backoff) */
      rejected: boolean;
    };

/** how a step ends */
type Outcome = Exclude<Disposition, { next: Stage }>;

/** The batch a step is sending, and how far it got (what a failure means depends on it). */
interface Attempt {
  batch: Op[];
  /** earlier batches of the lane are still in flight */
  pipelined: boolean;
  /** threshold signatures collected and the operations marked attested */
  signed: boolean;
  signatures?: Map<string, string>;
  /** handed to the sink (the destination may have applied it) */
  sending: boolean;
  /** the transaction went out */
  txHash?: string;
}

/** Everything one step knows about its lane; the stages read and advance it. */
interface LaneRun {
  lane: LaneRef;
  sink: Sink;
  /** the lane's pending operations, as loaded at the start of the step */
  ops: Op[];
  /** batches the designated submitter may keep in flight */
  depth: number;
  /** the destination's lane nonce */
  inbound: number;
  /** the contiguous run above `inbound` */
  pending: Op[];
  /** leading operations of `pending` already submitted, and their transactions */
  inFlight: number;
  groups: number;
  set?: RelayerSet;
  /** batches this relayer may have in flight on the lane */
  limit: number;
  /** batches sent in this step */
  sent: number;
  attempt?: Attempt;
  /** batches whose transactions this step signed and persisted (two-phase sinks), to broadcast together */
  prepared?: { attempt: Attempt; signed: SignedSubmission }[];
  /** signatures being gathered for the batches this step may still send, by first nonce */
  prefetched?: Map<number, { count: number; root: string; result: Promise<CollectResult | undefined> }>;
}

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
    private readonly devnet = false,
  ) {}

  private async relayerSet(sink: Sink): Promise<RelayerSet> {
    const c = this.sets.get(sink.hexsChainId);
    if (c && Date.now() - c.at < 30_000) return c.set;
    const set = await sink.relayerSet();
    checkRelayerSet(set, this.devnet, sink.name);
    this.sets.set(sink.hexsChainId, { set, at: Date.now() });
    return set;
  }

  /** One unit of work (one lane). */
  async step(): Promise<StepResult> {
    const lane = await this.store.claimLane(this.owner, this.cfg.claimMs);
    if (!lane) {
      await this.checkIdleWatched();
      return "idle";
    }
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
      // only a mined refusal is a duplicate submission; a dropped one never reached the destination
      if (st.status !== "failed" || st.dropped) continue;
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

  /** A lane with nothing left to deliver is not run again: its watched submissions are read here. */
  private async checkIdleWatched(): Promise<void> {
    const now = Date.now();
    const due = new Map<string, LaneRef>();
    for (const w of this.watched.values()) if (w.next <= now) due.set(`${w.lane.src}>${w.lane.dst}`, w.lane);
    for (const lane of due.values()) {
      const sink = this.sinks.get(lane.dst);
      const inbound = sink ? await this.inboundOf(sink, lane.src).catch(() => -1) : -1;
      if (sink && inbound >= 0) await this.checkWatched(lane, sink, inbound);
    }
  }

  /**
   * When this process last saw the lane's destination nonce move, or saw work on it again after it
   * had been caught up (takeover from a silent designated submitter counts from the later of the two,
   * so a lane idle for long does not send every stand-in at its next message).
   */
  private readonly progress = new Map<
    string,
    { inbound: number; at: number; takeoverUntil: number; idle: boolean; deferred?: boolean }
  >();

  private noteProgress(lane: LaneRef, inbound: number, idle: boolean): void {
    const key = `${lane.src}-${lane.dst}`;
    const p = this.progress.get(key);
    if (!p || p.inbound !== inbound || (p.idle && !idle))
      this.progress.set(key, { inbound, at: Date.now(), takeoverUntil: p?.takeoverUntil ?? 0, idle });
    else p.idle = idle;
  }

  /**
   * Peers asking this relayer for its attestation of a lane's batch, by lane: the latest request's
   * first nonce and time. Only the submitting relayer collects signatures, so a request for a batch
   * the destination has not applied yet says that submitter is at work on the lane (a large batch
   * can take longer than `takeoverMs` to simulate and broadcast).
   */
  private readonly asked = new Map<string, { first: number; at: number }>();

  /** A peer asked for our attestation of the batch from `first` on `lane` (the HTTP endpoint calls this). */
  noteAttestationRequest(lane: LaneRef, first: number): void {
    const key = `${lane.src}-${lane.dst}`;
    if (!this.asked.has(key) && this.asked.size >= 10_000) this.asked.delete(this.asked.keys().next().value!);
    this.asked.set(key, { first, at: Date.now() });
  }

  /**
   * Not the designated submitter: stand in once the lane made no progress for `takeoverMs` (then
   * for a while). If a peer asked for our attestation of a batch above the destination's nonce
   * within the last 2 × `takeoverMs` (the submitter is working on the lane, its batch may just be
   * slow), the lane gets up to 2 × `takeoverMs` without progress instead: a bound, so a submitter
   * that keeps asking but never lands a batch is still replaced.
   */
  private standIn(lane: LaneRef): boolean {
    const key = `${lane.src}-${lane.dst}`;
    const p = this.progress.get(key);
    if (!p) return false;
    const now = Date.now();
    if (p.takeoverUntil >= now) return true;
    const stalled = now - p.at;
    if (stalled < this.cfg.takeoverMs) return false;
    const bound = 2 * this.cfg.takeoverMs;
    const ask = this.asked.get(key);
    const working = ask !== undefined && ask.first > p.inbound && now - ask.at < bound;
    if (working && stalled < bound) {
      if (!p.deferred) {
        p.deferred = true;
        this.log.info(
          { lane, inbound: p.inbound, stalledMs: stalled, askedFor: ask.first, askedMsAgo: now - ask.at },
          "lane made no progress but its submitter is collecting attestations: not standing in yet",
        );
      }
      return false;
    }
    p.takeoverUntil = now + TAKEOVER_HOLD_MS;
    this.metrics.takeovers.inc({ src: lane.src, dst: lane.dst });
    this.log.info(
      { lane, inbound: p.inbound, stalledMs: stalled, submitterSeenWorking: working },
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
    const ops = await this.store.pendingOps(lane, (sink?.maxBatch ?? this.cfg.maxBatch) * (depth + 1));
    if (!sink) {
      await this.store.fail(
        ops.slice(0, this.cfg.maxBatch).map((o) => o.id),
        `no sink for destination chain ${lane.dst} in this relayer's config`,
        Date.now() + 60_000,
        true,
      );
      return { result: "failed", retryAt: 0 };
    }
    const run: LaneRun = { lane, sink, ops, depth, inbound: 0, pending: [], inFlight: 0, groups: 0, limit: 1, sent: 0 };
    let outcome: Outcome;
    try {
      await sink.init();
      let d = await this.stage("confirm", run);
      while ("next" in d) d = await this.stage(d.next, run);
      outcome = d;
    } catch (e) {
      // batches signed before the failure still go out (their bytes are persisted as submitted)
      if (run.prepared?.length) await this.broadcastPrepared(run).catch(() => undefined);
      outcome = await this.recover(run, e);
    }
    return this.settle(run, outcome);
  }

  /** Run one stage, timed (hexs_relayer_stage_seconds: where a lane step's time goes). */
  private async stage(stage: Stage, run: LaneRun): Promise<Disposition> {
    const stop = this.metrics.stageTime.startTimer({ stage, dst: run.lane.dst });
    try {
      return await this.runStage(stage, run);
    } finally {
      stop();
    }
  }

  private runStage(stage: Stage, run: LaneRun): Promise<Disposition> {
    switch (stage) {
      case "confirm":
        return this.confirmApplied(run);
      case "in-flight":
        return this.checkInFlight(run);
      case "designate":
        return this.designate(run);
      case "sign":
        return this.sign(run);
      case "submit":
        return this.submit(run);
      case "broadcast":
        return this.broadcastPrepared(run);
    }
  }

  /**
   * "Already delivered?" — before anything else, every time: confirm what the destination
   * applied, then keep the contiguous run of operations above its lane nonce.
   */
  private async confirmApplied(run: LaneRun): Promise<Disposition> {
    const { lane, sink, ops } = run;
    const inbound = (run.inbound = await this.inboundOf(sink, lane.src));
    this.watch(lane, ops, inbound);
    await this.confirmed(lane, inbound, false);
    if (this.watched.size) await this.checkWatched(lane, sink, inbound);
    let pending = ops.filter((o) => o.nonce > inbound);
    this.noteProgress(lane, inbound, !pending.length);
    if (!pending.length) return { done: "already-delivered" };
    if (pending[0].nonce !== inbound + 1)
      return {
        fail: `gap: destination applied nonce ${inbound} but the next observed is ${pending[0].nonce}; replay the source (relayer replay --chain <src> --from <height>)`,
        ops: pending.slice(0, this.cfg.maxBatch),
        rejected: false,
      };
    for (let i = 1; i < pending.length; i++)
      if (pending[i].nonce !== pending[i - 1].nonce + 1) {
        pending = pending.slice(0, i);
        break;
      }
    run.pending = pending;
    return { next: "in-flight" };
  }

  /**
   * Submissions we already made (in nonce order, one transaction each): wait for them instead of
   * sending them again. Only the oldest is asked about: the later ones cannot be applied before
   * it, and if it failed they go back to observed with it (their own failures would only be its
   * consequence: the destination refuses their nonces).
   */
  private async checkInFlight(run: LaneRun): Promise<Disposition> {
    const { lane, sink, pending } = run;
    let inFlight = 0;
    while (inFlight < pending.length && pending[inFlight].state === "submitted" && pending[inFlight].txHash) inFlight++;
    const submitted = pending.slice(0, inFlight);
    run.inFlight = inFlight;
    run.groups = new Set(submitted.map((o) => o.txHash)).size;
    if (!inFlight) return { next: "designate" };
    const hash = pending[0].txHash!;
    const head = submitted.filter((o) => o.txHash === hash);
    const st = await retry(() => sink.status(hash), { policy: { baseMs: 100, maxMs: 2_000, maxAttempts: 5 } });
    if (st.txHash && st.txHash !== hash)
      await this.store.transition(
        head.map((o) => o.id),
        "submitted",
        { txHash: st.txHash },
      );
    if (st.status === "pending") return { next: "designate" };
    const after = await this.inboundOf(sink, lane.src);
    this.watch(lane, submitted, after, hash);
    await this.confirmed(lane, after, true);
    if (after >= head[0].nonce) {
      if (st.status === "failed") this.metrics.duplicateSubmissions.inc({ src: lane.src, dst: lane.dst });
      return { done: "delivered" };
    }
    // not applied: this batch and every later in-flight one go back to observed
    this.watch(lane, submitted, Infinity, hash);
    await this.store.transition(
      submitted.filter((o) => o.nonce > after).map((o) => o.id),
      "observed",
    );
    if (st.status === "failed")
      return {
        fail: st.error ?? "submission failed",
        ops: head.filter((o) => o.nonce > after),
        rejected: false,
      };
    return { wait: "oldest batch in flight dropped: sending it again", ms: 100 };
  }

  /** Whether this relayer submits on the lane now, and how many batches it may keep in flight. */
  private async designate(run: LaneRun): Promise<Disposition> {
    const set = (run.set = await this.relayerSet(run.sink));
    const mine = this.designated(run.lane, set);
    // the designated submitter keeps up to `pipeline` batches in flight; a relayer standing in for it, one
    run.limit = mine ? run.depth : 1;
    if (run.inFlight > 0 && run.groups >= run.limit) return { wait: "pipeline full", ms: 100 };
    if (!mine && !this.standIn(run.lane))
      return { wait: "another relayer is the lane's designated submitter", ms: Math.min(500, this.cfg.takeoverMs) };
    return { next: "sign" };
  }

  /**
   * The next run behind those in flight, signed by the relayer set (threshold signatures over its
   * batch root). Below the pipeline limit runs are sent one after another in this one step, with
   * no new reads of the destination in between: the batches behind the first are pipelined anyway.
   */
  private async sign(run: LaneRun): Promise<Disposition> {
    const { lane, set } = run;
    const batch = this.cut(run, run.inFlight);
    if (!batch.length)
      return run.prepared?.length
        ? { next: "broadcast" }
        : run.sent
          ? { done: "delivered" }
          : { wait: "nothing left to send", ms: 100 };
    const attempt: Attempt = (run.attempt = { batch, pipelined: run.inFlight > 0, signed: false, sending: false });
    const { root } = batchRootOfMessages(batch.map((o) => o.message));
    this.prefetchSignatures(run);
    const early = run.prefetched?.get(batch[0].nonce);
    const { signatures } =
      (early && early.count === batch.length && early.root === root ? await early.result : undefined) ??
      (await this.collector.collect(lane, batch[0].nonce, batch.length, root, set!));
    if (signatures.size < set!.threshold) {
      this.log.debug(
        { lane, first: batch[0].nonce, have: signatures.size, need: set!.threshold },
        "waiting for peer attestations",
      );
      if (run.prepared?.length) return { next: "broadcast" };
      return run.sent ? { done: "delivered" } : { wait: "peer attestations", ms: Math.min(this.cfg.attestTimeoutMs, 1000) };
    }
    await this.store.transition(
      batch.map((o) => o.id),
      "attested",
    );
    attempt.signed = true;
    attempt.signatures = signatures;
    return { next: "submit" };
  }

  /**
   * The batch starting at `run.pending[from]`: up to the destination's batch size (its own, e.g. an
   * EVM gateway's, or delivery.maxBatch), then as many as one submission carries (an EVM batch is
   * cut at its gas budget). `sign` and `prefetchSignatures` cut the same way, so their roots agree.
   */
  private cut(run: LaneRun, from: number): Op[] {
    const batch = run.pending.slice(from, from + (run.sink.maxBatch ?? this.cfg.maxBatch));
    if (!batch.length || !run.sink.fit) return batch;
    return batch.slice(0, Math.max(1, run.sink.fit(batch.map((o) => o.message))));
  }

  /**
   * Ask the peers for every batch this step may still send at once, not one round trip per batch
   * between submissions: the batches are the same slices `sign` takes, and a signature only says
   * what the signer observed, so gathering them early changes nothing on failure.
   */
  private prefetchSignatures(run: LaneRun): void {
    if (run.prefetched) return;
    run.prefetched = new Map();
    const room = run.limit - run.groups;
    for (let k = 0, from = run.inFlight; k < room; k++) {
      const batch = this.cut(run, from);
      if (!batch.length) break;
      from += batch.length;
      const { root } = batchRootOfMessages(batch.map((o) => o.message));
      run.prefetched.set(batch[0].nonce, {
        count: batch.length,
        root,
        result: this.collector.collect(run.lane, batch[0].nonce, batch.length, root, run.set!).catch(() => undefined),
      });
    }
  }

  /** Send the signed batch; its receipt is checked by a later step (the in-flight stage). */
  private async submit(run: LaneRun): Promise<Disposition> {
    const { lane, sink } = run;
    const attempt = run.attempt!;
    const { batch } = attempt;
    if (!attempt.pipelined) {
      // Ask once more right before sending (another instance or a self-relayer may have delivered).
      const before = await this.inboundOf(sink, lane.src);
      if (before >= batch[0].nonce) {
        await this.confirmed(lane, before, true);
        return { done: "already-delivered" };
      }
    }
    if (sink.prepare && sink.broadcastSigned) return this.prepareBatch(run);
    attempt.sending = true;
    const txHash = await sink.submit(
      batch.map((o) => o.message),
      attempt.signatures!,
      run.set!,
      { pipelined: attempt.pipelined },
    );
    attempt.txHash = txHash;
    await this.store.transition(
      batch.map((o) => o.id),
      "submitted",
      { txHash },
    );
    for (const o of batch) Object.assign(o, { state: "submitted", txHash });
    run.groups++;
    run.sent++;
    run.inFlight += batch.length;
    this.log.info(
      { lane, first: batch[0].nonce, count: batch.length, txHash, inFlight: run.groups, ms: sink.lastSubmitMs },
      "batch submitted",
    );
    // not waiting for the receipt: a later step on this lane checks it
    return run.groups >= run.limit ? { done: "delivered" } : { next: "sign" };
  }

  /**
   * Two-phase sinks: sign the batch's transaction and persist its bytes with the operations moved to
   * `submitted` under its hash, in one write, before anything is broadcast (a crash after it re-sends
   * these bytes: see the sink's `status`). The step then signs its next batch; `broadcast` sends them all.
   */
  private async prepareBatch(run: LaneRun): Promise<Disposition> {
    const { sink } = run;
    const attempt = run.attempt!;
    const { batch } = attempt;
    const signed = await sink.prepare!(
      batch.map((o) => o.message),
      attempt.signatures!,
      run.set!,
      { pipelined: attempt.pipelined },
    );
    await this.store.submitSigned(
      batch.map((o) => o.id),
      { chain: sink.name, txHash: signed.txHash, raw: signed.raw },
    );
    attempt.sending = true;
    attempt.txHash = signed.txHash;
    for (const o of batch) Object.assign(o, { state: "submitted", txHash: signed.txHash });
    (run.prepared ??= []).push({ attempt, signed });
    run.groups++;
    run.sent++;
    run.inFlight += batch.length;
    return run.groups >= run.limit ? { next: "broadcast" } : { next: "sign" };
  }

  /**
   * Send every batch the step signed, back to back (one block can take them all). If the node
   * refuses batch k, k and every later batch of the step go back to observed: the later ones'
   * transactions, if the node accepted them, wait behind k's unused nonce (or, mined out of order,
   * are refused by the hub's lane nonce) and are watched; the lane is sent again from k in order.
   */
  private async broadcastPrepared(run: LaneRun): Promise<Disposition> {
    const { lane, sink } = run;
    const list = run.prepared ?? [];
    run.prepared = [];
    if (!list.length) return { done: "delivered" };
    const outcomes = await sink.broadcastSigned!(list.map((p) => p.signed));
    const refused = outcomes.findIndex((o) => !o.ok);
    const sent = refused < 0 ? list : list.slice(0, refused);
    for (const { attempt, signed } of sent)
      this.log.info(
        {
          lane,
          first: attempt.batch[0].nonce,
          count: attempt.batch.length,
          txHash: signed.txHash,
          nonce: signed.nonce,
          of: list.length,
          ms: sink.lastSubmitMs,
        },
        "batch submitted",
      );
    if (refused < 0) return { done: "delivered" };
    const back = list.slice(refused);
    for (let i = refused + 1; i < list.length; i++)
      if (outcomes[i].ok && !this.watched.has(list[i].signed.txHash))
        this.watched.set(list[i].signed.txHash, { lane, first: list[i].attempt.batch[0].nonce, since: Date.now(), next: 0 });
    await this.store.transition(
      back.flatMap((p) => p.attempt.batch.map((o) => o.id)),
      "observed",
    );
    // their signed bytes are not sent again: the batches get new transactions in lane order
    for (const p of back) await this.store.forgetSignedTx(p.signed.txHash);
    for (const p of back) for (const o of p.attempt.batch) Object.assign(o, { state: "observed" });
    const failed = back[0].attempt;
    failed.txHash = undefined;
    run.attempt = failed;
    this.log.info(
      { lane, first: failed.batch[0].nonce, later: back.length - 1, err: (outcomes[refused] as { error: Error }).error.message },
      "broadcast refused: this batch and the step's later ones go back to observed",
    );
    throw (outcomes[refused] as { error: Error }).error;
  }

  /** A stage threw: work out from the lane's state (and the destination) what happened. */
  private async recover(run: LaneRun, e: unknown): Promise<Outcome> {
    const { lane, sink, ops } = run;
    const attempt = run.attempt;
    // Lost a race (another instance, operator or self-relayer delivered the same range)? The
    // read is retried: a transport fault here must not turn a lost race into a refusal.
    const now = await this.inboundOf(sink, lane.src).catch(() => -1);
    if (now >= 0) this.watch(lane, ops, now, attempt?.txHash);
    // sent with its answer lost: followed like a known submission (it may still be mined or refused)
    if (e instanceof UnknownBroadcastError && attempt?.sending && !this.watched.has(e.txHash))
      this.watched.set(e.txHash, { lane, first: attempt.batch[0].nonce, since: Date.now(), next: 0 });
    if (attempt?.sending && now >= attempt.batch[0].nonce) {
      await this.confirmed(lane, now, true);
      if (attempt.txHash) this.metrics.duplicateSubmissions.inc({ src: lane.src, dst: lane.dst });
      this.log.info({ lane, inbound: now, err: messageOf(e) }, "destination already applied the batch (duplicate refused)");
      return { done: "already-delivered" };
    }
    if (e instanceof StaleBatchError) {
      // The destination said so itself (UnexpectedNonce past the first nonce) but its lane
      // nonce could not be read: not a refusal; the next step reads it and confirms.
      this.metrics.failures.inc({ stage: "race", chain: lane.dst });
      this.log.info(
        { lane, expected: e.expected, err: e.message },
        "destination is past this batch (lost race); re-reading its lane nonce",
      );
      return { wait: "lost race", ms: 200 };
    }
    const rejected = e instanceof RejectedError;
    if (attempt?.pipelined && !attempt.txHash && !rejected) {
      // a batch behind others in flight could not be sent (transport, nonce): the lane's head decides
      this.log.info(
        { lane, first: attempt.sending ? attempt.batch[0].nonce : Infinity, err: messageOf(e) },
        "pipelined batch not sent; retrying after the batches in flight",
      );
      return { wait: "pipelined batch not sent", ms: 500 };
    }
    const failed = attempt?.signed
      ? attempt.batch
      : (await this.store.pendingOps(lane, sink.maxBatch ?? this.cfg.maxBatch)).filter((o) => o.state !== "submitted");
    return { fail: (e as Error).message ?? String(e), ops: failed, rejected };
  }

  /** What the step reports (and when the lane is due again) for a final disposition. */
  private async settle(run: LaneRun, d: Outcome): Promise<{ result: StepResult; retryAt: number }> {
    if ("done" in d) return { result: "delivered", retryAt: 0 };
    if ("wait" in d) {
      this.log.debug({ lane: run.lane, reason: d.wait, ms: d.ms }, "lane waiting");
      return { result: "waiting", retryAt: Date.now() + d.ms };
    }
    return this.failure(run.lane, d.ops, d.fail, d.rejected);
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
