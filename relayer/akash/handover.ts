// Lease handover: when a key with a lease job changes hands (a transfer, a market fill, a move to
// another chain), the running deployment is handed to the new holder IN PLACE — same dseq, lease
// and escrow: MsgUpdateDeployment with the version (sha256) of the manifest bound to the new
// holder (./holder.ts), then that manifest PUT to the provider, which from the update on accepts
// no other manifest. One handover job per transfer fact, persisted (relayer/store, `handovers`):
//
//   pending → updated → done            (update tx persisted when signed; manifest PUT is idempotent)
//   pending → superseded                (a later transfer of the key on the same chain, nothing broadcast yet)
//   pending | updated → skipped         (the lease failed or expired, or its deployment is closed)
//
// A done handover is then reported once over the Akash lane (LeaseHandedOver, kind 11; `report`,
// the attested reporter's reportHandover): the lane record (lease_reports, `keyId/handover/<id>`)
// is numbered once, so a crash re-proposes it and never numbers it twice, and the row's `report`
// column records the outcome. Just before numbering, the leader checks what its co-signers will:
// a report they would refuse (the key changed hands again, the deployment no longer runs this
// holder's manifest) is never numbered, so it cannot stop the lane; the later handover reports.
// A later handover broadcasts nothing until the earlier one's report is settled (numbered and
// accepted by the co-signers, or not sent), so the deployment cannot change under a report
// numbered but not yet checked.
//
// A key's handovers run one at a time, in the order of their chain (block, log index), and only
// from the chain the key resides on according to the lease job: facts from a chain the key moved
// to wait until the move itself was handed over. Handovers wait while the lease job is still being
// opened and reported (the co-signers check the purchase's holder's manifest). A failed attempt
// is recorded (last_error) and retried with capped backoff; the old holder keeps the running
// service meanwhile. A handover that cannot complete — a permanent error (the provider refuses the
// new manifest, the chain rejects the update), `maxAttempts` failed attempts, or the deployment
// gone from Akash (closed, its escrow exhausted) — ends as a failed lease does:
//
//   pending | updated → closing → failed   (remaining escrow recorded, close tx persisted when signed,
//                                           deployment closed: the escrow returns to the owner)
//
// and the escrow is accounted to the new holder, who bought the running deployment with it priced
// in (docs/resale.md). Closing retries without end, like a lease's. A done handover records the
// escrow it handed over with the deployment the same way (escrow_uact, escrow_to).
import type { HandoverRow, LeaseRow, LeaseStore } from "../store";
import type { AkashClient } from "../../sdk/akash/client";
import { AkashError, errorMessage, isPermanent } from "../../sdk/akash/errors";
import { requireUactPricing, type AkashNetworkId, type PreparedSdl } from "../../sdk/akash/sdl";
import { logger, type Logger } from "../log";
import { nextAttemptDelayMs } from "../retry";
import { prepareForHolder } from "./holder";
import type { SdlSource } from "./sdl-source";
import type { HandoverReport } from "./reporter";

/** A change of holder of a key, as a purchase chain's feed reports it (once per event). */
export interface KeyTransferFact {
  /** Hexs chain id of the chain that emitted the fact */
  sourceChain: string;
  /** the fact's transaction (EVM tx hash; CosmWasm `height/txIndex`) */
  sourceTx: string;
  logIndex: number;
  block: number;
  kind: "transfer" | "move";
  keyId: bigint;
  /** the new holder's account word (0x-hex) */
  toHolder: string;
  /** the chain the key resides on afterwards (a move: its destination) */
  toChain: string;
}

/** Test hooks: throw from them to simulate a crash at that point. */
export interface HandoverHooks {
  /** MsgUpdateDeployment was accepted, before `updated` is persisted */
  afterUpdateBroadcast?(h: HandoverRow): void;
  /** the provider accepted the new manifest, before `done` is persisted */
  afterManifest?(h: HandoverRow): void;
  /** a failed handover's MsgCloseDeployment was accepted, before `failed` is persisted */
  afterCloseBroadcast?(h: HandoverRow): void;
  /** a done handover's report is about to be checked and numbered */
  beforeReport?(h: HandoverRow): void;
}

export interface HandoverOptions {
  store: LeaseStore;
  akash: AkashClient;
  sdl: SdlSource;
  network?: AkashNetworkId;
  /** backoff and tx wait (the lease policy's numbers) */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  txTimeoutMs?: number;
  pollMs?: number;
  /** failed attempts after which a handover step gives up and takes the failure path (the lease policy's) */
  maxAttempts?: number;
  hooks?: HandoverHooks;
  /** numbers and proposes a done handover's LeaseHandedOver, running `check` just before numbering (unset: none is sent) */
  report?: (r: HandoverReport, check: () => Promise<void>) => Promise<string>;
  /** the key's holder (account word) on a chain, as the co-signers read it (`PurchaseChain.holderOf`) */
  holderOf?: (chain: string, keyId: bigint, modelId: bigint) => Promise<string | undefined>;
  /** once per handover whose LeaseHandedOver was numbered and accepted by the co-signers (metrics) */
  onReported?: (h: HandoverRow, ref: string) => void;
  now?: () => number;
  log?: Logger;
}

const OPEN = ["pending", "updated", "closing"];
/** lease states with nothing (left) to hand over */
const GONE = ["closing", "failed_closed", "failed", "expired"];

/** The leader's check before numbering a report: this handover is not reported (permanent). */
class NotReported extends Error {}

class HookAbort extends Error {
  constructor(readonly inner: unknown) {
    super(errorMessage(inner));
  }
}

export class LeaseHandovers {
  private readonly now: () => number;
  private readonly log: Logger;
  constructor(private readonly o: HandoverOptions) {
    this.now = o.now ?? Date.now;
    this.log = o.log ?? logger("lease-handover");
  }

  /** Record the handover a transfer fact asks for. A key without a lease job: nothing (undefined). */
  async accept(f: KeyTransferFact): Promise<HandoverRow | undefined> {
    const lease = await this.o.store.byKey(f.keyId.toString());
    if (!lease || lease.owner !== this.o.akash.address) return undefined;
    if (GONE.includes(lease.state)) {
      this.log.info({ keyId: String(f.keyId), lease: lease.id, state: lease.state }, "key changed hands; its lease is over");
      return undefined;
    }
    const h = await this.o.store.insertHandover({
      leaseId: lease.id,
      sourceChain: f.sourceChain,
      sourceTx: f.sourceTx,
      logIndex: f.logIndex,
      block: f.block,
      kind: f.kind,
      toHolder: f.toHolder,
      toChain: f.toChain,
    });
    this.log.info(
      { handover: h.id, lease: lease.id, keyId: lease.keyId, to: h.toHolder, toChain: h.toChain, kind: h.kind },
      "key changed hands: handover recorded",
    );
    return h;
  }

  /** Advance every lease with a due handover by one step. */
  async runDue(): Promise<number> {
    const ids = await this.o.store.leasesWithDueHandovers();
    for (const id of ids) await this.stepLease(id);
    return ids.length;
  }

  /** Report every done handover whose LeaseHandedOver is not settled yet (once per handover job). */
  async reportDue(): Promise<number> {
    if (!this.o.report) return 0;
    const due = await this.o.store.handoversToReport();
    for (const h of due) await this.report(h);
    return due.length;
  }

  /** Number (once: the lane record) and propose a done handover's report; a hook error propagates (crash simulation). */
  async report(h: HandoverRow): Promise<HandoverRow> {
    this.o.hooks?.beforeReport?.(h);
    const lease = await this.o.store.get(h.leaseId);
    try {
      const ref = await this.o.report!(
        {
          purchaseChain: lease.purchaseChain,
          keyId: BigInt(lease.keyId),
          modelId: BigInt(lease.modelId),
          handover: BigInt(h.id),
          dseq: lease.dseq!,
          gseq: lease.gseq!,
          oseq: lease.oseq!,
          provider: lease.provider!,
          holder: h.toHolder,
          holderChain: h.toChain,
          manifestHash: h.manifestHash!,
          transfer: `${h.sourceChain}:${h.sourceTx}:${h.logIndex}`,
        },
        () => this.checkReport(h),
      );
      this.log.info({ handover: h.id, lease: lease.id, keyId: lease.keyId, ref }, "handover reported");
      const done = await this.o.store.updateHandover(h.id, { report: ref, attempts: 0, lastError: null });
      if (ref.startsWith("LeaseHandedOver ")) this.o.onReported?.(done, ref);
      return done;
    } catch (e) {
      if (e instanceof NotReported) {
        this.log.info({ handover: h.id, lease: lease.id, why: e.message }, "handover not reported");
        return this.o.store.updateHandover(h.id, { report: `not sent: ${e.message}`, attempts: 0, lastError: null });
      }
      return this.failed(await this.o.store.handover(h.id), e, false);
    }
  }

  /**
   * Run just before a report is numbered: what the co-signers check, as far as the leader knows
   * it. A later handover of the key (or a lease that is over) means this report would be refused
   * as stale: it is not sent. Akash or the chain not showing the handover yet: retried.
   */
  private async checkReport(h: HandoverRow): Promise<void> {
    const lease = await this.o.store.get(h.leaseId);
    if (GONE.includes(lease.state)) throw new NotReported(`lease ${lease.state}`);
    const later = (await this.o.store.handoversOf(lease.id)).find(
      (x) => x.id > h.id && (OPEN.includes(x.state) || x.state === "done"),
    );
    if (later) throw new NotReported(`superseded by handover ${later.id} (the key changed hands again)`);
    const d = await this.o.akash.deployment(lease.owner, lease.dseq!);
    if (!d || d.state !== "active") throw new NotReported(d ? "deployment closed" : "no deployment on chain");
    if (d.hashHex.toLowerCase() !== h.manifestHash)
      throw new AkashError(
        "handover_unconfirmed",
        `deployment ${lease.owner}/${lease.dseq} runs manifest ${d.hashHex}, not handover ${h.id}'s (${h.manifestHash})`,
        { retryable: true },
      );
    if (!this.o.holderOf) return;
    const holder = await this.o.holderOf(h.toChain, BigInt(lease.keyId), BigInt(lease.modelId));
    if (holder?.toLowerCase() !== h.toHolder)
      throw new AkashError(
        "handover_unconfirmed",
        `${h.toHolder} does not hold key ${lease.keyId} on chain ${h.toChain} (${holder ?? "not resident"}): waiting for the key's next transfer fact`,
        { retryable: true },
      );
  }

  /** Run a lease's handovers until none is open or `timeoutMs` passes (tests, the bench). */
  async runLease(leaseId: number, timeoutMs = 60_000): Promise<HandoverRow[]> {
    const until = this.now() + timeoutMs;
    for (;;) {
      const open = (await this.o.store.handoversOf(leaseId)).filter((h) => OPEN.includes(h.state));
      if (!open.length) return this.o.store.handoversOf(leaseId);
      if (this.now() > until)
        throw new AkashError(
          "handover_timeout",
          `lease ${leaseId} still has ${open.length} open handover(s) after ${timeoutMs} ms (last error: ${open[0].lastError ?? "none"})`,
          { retryable: true },
        );
      const wait = Math.min(...open.map((h) => h.nextAttemptAt)) - this.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, Math.min(wait, this.o.pollMs ?? 50)));
      else await this.stepLease(leaseId);
    }
  }

  /** One step of a lease's next handover. Hook errors propagate (crash simulation). */
  async stepLease(leaseId: number): Promise<HandoverRow | undefined> {
    const lease = await this.o.store.get(leaseId);
    const all = await this.o.store.handoversOf(leaseId);
    const open = all.filter((h) => OPEN.includes(h.state));
    if (!open.length) return undefined;
    // a failing handover closes the deployment first: nothing else of the lease runs meanwhile
    const closing = open.find((h) => h.state === "closing");
    if (closing) {
      if (closing.nextAttemptAt > this.now()) return closing;
      try {
        return await this.close(lease, closing);
      } catch (e) {
        if (e instanceof HookAbort) throw e.inner;
        return this.failed(await this.o.store.handover(closing.id), e);
      }
    }
    const failedBefore = all.find((h) => h.state === "failed");
    if (GONE.includes(lease.state) || failedBefore) {
      const why = failedBefore ? `handover ${failedBefore.id} failed: the deployment is closed` : `lease ${lease.state}`;
      for (const h of open) await this.o.store.updateHandover(h.id, { state: "skipped", lastError: why });
      return this.o.store.handover(open[0].id);
    }
    if (lease.state !== "reported") {
      // the lease is still being opened / reported for the purchase's holder: wait for it
      for (const h of open) await this.o.store.updateHandover(h.id, { nextAttemptAt: this.now() + (this.o.pollMs ?? 500) * 4 });
      return undefined;
    }
    const residence = lease.holderChain ?? lease.purchaseChain;
    const here = open.filter((h) => h.sourceChain === residence);
    if (!here.length) {
      // facts from a chain the key has not moved to (yet, as far as handed over): wait
      for (const h of open)
        await this.o.store.updateHandover(h.id, { nextAttemptAt: this.now() + (this.o.backoffMaxMs ?? 30_000) });
      return undefined;
    }
    const h = here[0];
    if (h.nextAttemptAt > this.now()) return h;
    // a transfer not yet broadcast is superseded by a later one on the same chain: one update for both
    const later = here.find((x) => x.id !== h.id && x.kind === "transfer");
    if (h.kind === "transfer" && h.state === "pending" && !h.updateTx && later) {
      this.log.info({ handover: h.id, by: later.id, lease: lease.id }, "handover superseded by a later transfer");
      return this.o.store.updateHandover(h.id, { state: "superseded", lastError: `superseded by handover ${later.id}` });
    }
    // an earlier handover's report not settled yet: updating now could make its co-signers refuse
    // it after it was numbered (the lane would stop); its report step sees this one and skips it
    const unreported = all.find((x) => x.id < h.id && x.state === "done" && x.report === null);
    if (this.o.report && h.state === "pending" && !h.updateTx && unreported) {
      await this.o.store.updateHandover(h.id, { nextAttemptAt: this.now() + (this.o.pollMs ?? 500) });
      return undefined;
    }
    try {
      return h.state === "pending" ? await this.update(lease, h) : await this.sendManifest(lease, h);
    } catch (e) {
      if (e instanceof HookAbort) throw e.inner;
      return this.failed(await this.o.store.handover(h.id), e);
    }
  }

  private hook(f: () => void): void {
    try {
      f();
    } catch (e) {
      throw new HookAbort(e);
    }
  }

  private async prepared(lease: LeaseRow, h: HandoverRow): Promise<PreparedSdl> {
    const sdl = await this.o.sdl.sdlFor({ purchaseChain: lease.purchaseChain, modelId: lease.modelId, keyId: lease.keyId });
    const p = prepareForHolder(sdl, this.o.network ?? "mainnet", { word: h.toHolder, chain: h.toChain });
    requireUactPricing(p);
    if (h.manifestHash && h.manifestHash !== p.manifestHashHex)
      throw new AkashError(
        "sdl_changed",
        `the SDL of model ${lease.modelId} changed during handover ${h.id} (version ${h.manifestHash}, now ${p.manifestHashHex})`,
        { retryable: true },
      );
    return p;
  }

  /** pending: the deployment gets the new holder's version (once: the chain is asked first). */
  private async update(lease: LeaseRow, h: HandoverRow): Promise<HandoverRow> {
    const p = await this.prepared(lease, h);
    if (!h.manifestHash) h = await this.o.store.updateHandover(h.id, { manifestHash: p.manifestHashHex });
    const d = await this.o.akash.deployment(lease.owner, lease.dseq!);
    if (!d || d.state !== "active") return this.gone(lease, h, d);
    if (d.hashHex.toLowerCase() === p.manifestHashHex) return this.persist(h, "updated", "version found on chain");
    if (h.updateTx && (await this.waitForTx(h, h.updateTx))) return this.o.store.handover(h.id);
    await this.o.akash.updateDeployment(lease.dseq!, p.manifestHash, {
      onSigned: async (hash) => {
        await this.o.store.updateHandover(h.id, { updateTx: hash, lastError: `broadcast at ${this.now()}` });
      },
    });
    const sent = await this.o.store.handover(h.id);
    this.hook(() => this.o.hooks?.afterUpdateBroadcast?.(sent));
    return this.persist(sent, "updated", `MsgUpdateDeployment ${sent.updateTx}`);
  }

  /** updated: PUT the new holder's manifest (idempotent at the provider), then record the new holder. */
  private async sendManifest(lease: LeaseRow, h: HandoverRow): Promise<HandoverRow> {
    const p = await this.prepared(lease, h);
    const d = await this.o.akash.deployment(lease.owner, lease.dseq!);
    if (!d || d.state !== "active") return this.gone(lease, h, d);
    await this.o.akash.sendManifest(lease.provider!, lease.dseq!, p.manifestJson);
    this.hook(() => this.o.hooks?.afterManifest?.(h));
    // priced-in: the escrow left on the deployment goes to the new holder with it (read just before the PUT)
    const escrow = d.escrowUact ?? "0";
    const done = await this.o.store.completeHandover(
      h.id,
      `handover ${h.id}: ${lease.holder ?? "unbound"} → ${h.toHolder} (chain ${h.toChain}), manifest ${p.manifestHashHex.slice(0, 16)}…, escrow ${escrow}uact handed over with the deployment`,
      { uact: escrow, to: h.toHolder },
    );
    this.log.info({ handover: h.id, lease: lease.id, dseq: lease.dseq, holder: h.toHolder, escrowUact: escrow }, "handover done");
    return done;
  }

  /**
   * The deployment is gone from Akash before the handover completed (closed elsewhere, or its escrow
   * ran out and Akash closed it): nothing to close, the handover fails with what Akash reports left
   * in its escrow (0 once exhausted) accounted to the new holder.
   */
  private async gone(lease: LeaseRow, h: HandoverRow, d: { state: string; escrowUact: string | null } | undefined) {
    const why = d
      ? `deployment ${lease.owner}/${lease.dseq} is ${d.state} on Akash`
      : `no deployment ${lease.owner}/${lease.dseq} on Akash`;
    await this.o.store.updateHandover(h.id, {
      escrowUact: h.escrowUact ?? d?.escrowUact ?? "0",
      escrowTo: h.toHolder,
      failureReason: h.failureReason ?? why,
    });
    const closed = h.closeTx ? `MsgCloseDeployment ${h.closeTx}` : "nothing to close";
    return this.finishFailed(lease, await this.o.store.handover(h.id), h.failureReason ?? why, closed);
  }

  /** closing: record the remaining escrow, then close the deployment once (the close tx is persisted when signed). */
  private async close(lease: LeaseRow, h: HandoverRow): Promise<HandoverRow> {
    const d = lease.dseq ? await this.o.akash.deployment(lease.owner, lease.dseq) : undefined;
    if (!d || d.state !== "active") return this.gone(lease, h, d);
    if (h.closeTx && (await this.waitForTx(h, h.closeTx))) return this.o.store.handover(h.id);
    // recorded before the close: after it Akash shows the account empty
    if (h.escrowUact === null)
      h = await this.o.store.updateHandover(h.id, { escrowUact: d.escrowUact ?? "0", escrowTo: h.toHolder });
    await this.o.akash.closeDeployment(lease.dseq!, {
      onSigned: async (hash) => {
        await this.o.store.updateHandover(h.id, { closeTx: hash, lastError: `broadcast at ${this.now()}` });
      },
    });
    const sent = await this.o.store.handover(h.id);
    this.hook(() => this.o.hooks?.afterCloseBroadcast?.(sent));
    return this.finishFailed(lease, sent, h.failureReason ?? "failed", `MsgCloseDeployment ${sent.closeTx}`);
  }

  private async finishFailed(lease: LeaseRow, h: HandoverRow, why: string, closed: string): Promise<HandoverRow> {
    const out = await this.o.store.failHandover(
      h.id,
      `handover ${h.id} to ${h.toHolder} (chain ${h.toChain}) failed: ${why.slice(0, 300)}; ${closed}; escrow ${h.escrowUact ?? "0"}uact returned to the owner, accounted to the new holder`,
    );
    this.log.warn(
      { handover: h.id, lease: lease.id, dseq: lease.dseq, escrowUact: out.escrowUact, to: out.escrowTo, why },
      "handover failed: deployment closed, escrow accounted to the new holder",
    );
    return out;
  }

  /** A signed tx not yet visible: in a block with an error → fail; recent → wait; old → re-send. */
  private async waitForTx(h: HandoverRow, hash: string): Promise<boolean> {
    const t = await this.o.akash.findTx(hash);
    if (t && t.code !== 0)
      throw new AkashError("tx_failed", `tx ${hash} of handover ${h.id} failed on chain with code ${t.code}`, {
        retryable: true,
      });
    const signedAt = Number(/broadcast at (\d+)/.exec(h.lastError ?? "")?.[1] ?? h.updatedAt);
    if (t || this.now() - signedAt < (this.o.txTimeoutMs ?? 60_000)) {
      await this.o.store.updateHandover(h.id, { nextAttemptAt: this.now() + (this.o.pollMs ?? 500) });
      return true;
    }
    return false;
  }

  private async persist(h: HandoverRow, state: "updated", detail: string): Promise<HandoverRow> {
    this.log.info({ handover: h.id, lease: h.leaseId, to: state, detail }, "handover step");
    return this.o.store.updateHandover(h.id, { state, attempts: 0, lastError: null, nextAttemptAt: this.now() });
  }

  /**
   * Record the failure and retry with capped backoff; a handover step (pending / updated) that
   * failed permanently or `maxAttempts` times goes to `closing` instead. Closing and reporting
   * never give up.
   */
  private async failed(h: HandoverRow, e: unknown, mayGiveUp = true): Promise<HandoverRow> {
    const attempts = h.attempts + 1;
    const msg = errorMessage(e).slice(0, 1000);
    const step = mayGiveUp && (h.state === "pending" || h.state === "updated");
    if (step && (isPermanent(e) || attempts >= (this.o.maxAttempts ?? 8))) {
      const reason = isPermanent(e) ? msg : `gave up after ${attempts} attempts: ${msg}`;
      this.log.warn({ handover: h.id, lease: h.leaseId, state: h.state, err: msg }, "handover cannot complete; closing");
      return this.o.store.updateHandover(h.id, {
        state: "closing",
        attempts: 0,
        failureReason: reason.slice(0, 1000),
        lastError: msg,
        nextAttemptAt: this.now(),
      });
    }
    const delay = nextAttemptDelayMs(attempts, {
      baseMs: this.o.backoffBaseMs ?? 1_000,
      maxMs: this.o.backoffMaxMs ?? 60_000,
      maxAttempts: Infinity,
    });
    this.log.warn(
      { handover: h.id, lease: h.leaseId, state: h.state, attempts, retryInMs: delay, err: msg },
      "handover step failed; will retry",
    );
    return this.o.store.updateHandover(h.id, { attempts, lastError: msg, nextAttemptAt: this.now() + delay });
  }
}
