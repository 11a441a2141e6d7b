// The lease pipeline: a persisted state machine per purchase that asked for a deployment.
//
//   requested → dseq_reserved → deployment_created → bid_chosen → lease_created
//             → manifest_sent → leased → reported            (success)
//   any step  → closing → failed_closed → failed             (failure: close, report, refund)
//   reported  → expired                                       (key expired: deployment closed)
//
// Every step first asks the chain whether its effect already happened (deployment exists,
// lease exists, tx hash recorded before broadcast and found in a block), so a crash or timeout
// at any point resumes without a second deployment or lease; dseq is reserved and persisted
// before the first broadcast and is unique per owner on chain.
import type { LeasePatch, LeaseRow, LeaseState, LeaseStore } from "../store";
import { TERMINAL_STATES } from "../store";
import type { AkashClient, BidInfo } from "../../sdk/akash/client";
import { decToAtomics } from "../../sdk/akash/dec";
import { AkashError, NoBidsError, errorMessage, isPermanent } from "../../sdk/akash/errors";
import { logger, type Logger } from "../log";
import {
  decodeDeploymentParams,
  effectivePolicy,
  LeasePolicySchema,
  type DeploymentParams,
  type LeasePolicy,
  type LeasePolicyInput,
} from "./params";
import type { LeaseReporter } from "./reporter";
import { nextAttemptDelayMs, sleep } from "../retry";
import { requireUactPricing, type AkashNetworkId, type PreparedSdl } from "../../sdk/akash/sdl";
import type { SdlSource } from "./sdl-source";
import { evmHolderWord, prepareForHolder, type HolderRef } from "./holder";

export interface LeaseRequest {
  purchaseChain: string;
  keyId: bigint | string;
  modelId: bigint | string;
  buyer: string;
  /** HexsMarket.buy deploymentParams (0x-hex) or already decoded params */
  deploymentParams: string | DeploymentParams;
  /** key expiry, unix seconds (0 / undefined = never) */
  expiresAt?: number;
  /**
   * the key's holder when it was bought (the manifest is bound to it, see ./holder.ts); default:
   * `buyer` on the purchase chain when it is an EVM address
   */
  holder?: HolderRef;
}

/** Test hooks: throw from them to simulate a crash at that point. */
export interface PipelineHooks {
  /** after a state was persisted */
  afterPersist?(state: LeaseState, row: LeaseRow): void;
  /** after a tx was broadcast and accepted, before its effect is persisted */
  afterBroadcast?(kind: "create-deployment" | "create-lease" | "close-deployment", row: LeaseRow): void;
  /** after the manifest PUT succeeded, before it is persisted */
  afterManifest?(row: LeaseRow): void;
}

export interface PipelineOptions {
  store: LeaseStore;
  akash: AkashClient;
  sdl: SdlSource;
  reporter: LeaseReporter;
  policy?: LeasePolicyInput;
  network?: AkashNetworkId;
  hooks?: PipelineHooks;
  now?: () => number;
  log?: Logger;
}

/** Wraps an error thrown by a hook so that steps do not treat it as a chain failure. */
class HookAbort extends Error {
  constructor(readonly inner: unknown) {
    super(errorMessage(inner));
  }
}

export class LeasePipeline {
  readonly policy: LeasePolicy;
  private readonly store: LeaseStore;
  private readonly akash: AkashClient;
  private readonly now: () => number;
  private readonly log: Logger;

  constructor(private readonly o: PipelineOptions) {
    this.policy = LeasePolicySchema.parse(o.policy ?? {});
    this.store = o.store;
    this.akash = o.akash;
    this.now = o.now ?? Date.now;
    this.log = o.log ?? logger("lease-pipeline");
  }

  /** Record a purchase's lease job (idempotent per purchase). */
  async submit(req: LeaseRequest): Promise<LeaseRow> {
    const params =
      typeof req.deploymentParams === "string" ? decodeDeploymentParams(req.deploymentParams) : { params: req.deploymentParams };
    if (params.warning) this.log.warn({ keyId: String(req.keyId) }, params.warning);
    const holder =
      req.holder ??
      (/^0x[0-9a-fA-F]{40}$/.test(req.buyer) ? { word: evmHolderWord(req.buyer), chain: String(req.purchaseChain) } : undefined);
    const row = await this.store.insert({
      purchaseChain: req.purchaseChain,
      keyId: String(req.keyId),
      modelId: String(req.modelId),
      buyer: req.buyer,
      paramsJson: JSON.stringify(params.params),
      akashChain: this.akash.endpoints.chainId,
      owner: this.akash.address,
      expiresAt: req.expiresAt ?? null,
      holder: holder?.word.toLowerCase() ?? null,
      holderChain: holder?.chain ?? null,
    });
    this.log.info({ lease: row.id, keyId: row.keyId, state: row.state, holder: row.holder }, "lease job recorded");
    return row;
  }

  /** Run every due job one step. For a service loop. */
  async runDue(): Promise<number> {
    const due = await this.store.due();
    for (const row of due) await this.step(row.id);
    return due.length;
  }

  /** Step one job until it is terminal or `timeoutMs` passes (waiting out backoffs). */
  async runToCompletion(id: number, timeoutMs = 120_000): Promise<LeaseRow> {
    const until = this.now() + timeoutMs;
    for (;;) {
      const row = await this.store.get(id);
      if (TERMINAL_STATES.includes(row.state)) return row;
      if (this.now() > until)
        throw new AkashError(
          "lease_timeout",
          `lease job ${id} still '${row.state}' after ${timeoutMs} ms (last error: ${row.lastError ?? "none"})`,
          { retryable: true },
        );
      const wait = row.nextAttemptAt - this.now();
      if (wait > 0) await sleep(Math.min(wait, this.policy.pollMs));
      else await this.step(id);
    }
  }

  /** Perform the next transition of job `id` (or reschedule it). Hook errors propagate. */
  async step(id: number): Promise<LeaseRow> {
    const row = await this.store.get(id);
    if (TERMINAL_STATES.includes(row.state) || row.nextAttemptAt > this.now()) return row;
    try {
      switch (row.state) {
        case "requested":
          return await this.reserveDseq(row);
        case "dseq_reserved":
          return await this.createDeployment(row);
        case "deployment_created":
          return await this.chooseBid(row);
        case "bid_chosen":
          return await this.createLease(row);
        case "lease_created":
          return await this.sendManifest(row);
        case "manifest_sent":
          return await this.confirmLease(row);
        case "leased":
          return await this.report(row, true);
        case "closing":
          return await this.closeDeployment(row, "failed_closed");
        case "failed_closed":
          return await this.report(row, false);
        default:
          return row;
      }
    } catch (e) {
      if (e instanceof HookAbort) throw e.inner;
      return this.failed(await this.store.get(id), e);
    }
  }

  /** Close the deployment of a successful lease whose key has expired. */
  async closeExpired(
    nowSeconds = Math.floor(this.now() / 1000),
    filter: (row: LeaseRow) => boolean = () => true,
  ): Promise<LeaseRow[]> {
    const out: LeaseRow[] = [];
    for (const row of (await this.store.expired(nowSeconds)).filter(filter)) {
      try {
        out.push(await this.closeDeployment(row, "expired"));
      } catch (e) {
        if (e instanceof HookAbort) throw e.inner;
        this.log.warn({ lease: row.id, err: errorMessage(e) }, "closing an expired lease failed; will retry");
      }
    }
    return out;
  }

  // ------------------------------------------------------------------ steps

  private async persist(row: LeaseRow, patch: LeasePatch, detail?: string): Promise<LeaseRow> {
    const next = await this.store.update(row.id, { attempts: 0, lastError: null, nextAttemptAt: this.now(), ...patch }, detail);
    this.log.info({ lease: row.id, keyId: row.keyId, dseq: next.dseq, from: row.state, to: next.state, detail }, "lease step");
    if (patch.state) this.hook(() => this.o.hooks?.afterPersist?.(next.state, next));
    return next;
  }

  private hook(f: () => void): void {
    try {
      f();
    } catch (e) {
      throw new HookAbort(e);
    }
  }

  /** A signed transaction's hash, persisted before it is broadcast (a resumed step finds it). */
  private async recordTx(row: LeaseRow, tx: Pick<LeasePatch, "deploymentTx" | "leaseTx" | "closeTx">): Promise<void> {
    await this.store.update(row.id, { ...tx, lastError: `broadcast at ${this.now()}` });
  }

  private async reserveDseq(row: LeaseRow): Promise<LeaseRow> {
    // at least the current height (as the Akash CLI does), so a dseq is never one this owner
    // used from another tool; the store keeps them strictly increasing per owner
    const floor = BigInt(await this.akash.height());
    const next = await this.store.reserveDseq(row.id, floor);
    this.log.info({ lease: row.id, dseq: next.dseq }, "dseq reserved");
    this.hook(() => this.o.hooks?.afterPersist?.(next.state, next));
    return next;
  }

  private async prepared(row: LeaseRow): Promise<PreparedSdl> {
    const sdl = await this.o.sdl.sdlFor({ purchaseChain: row.purchaseChain, modelId: row.modelId, keyId: row.keyId });
    const p = prepareForHolder(sdl, this.o.network ?? "mainnet", holderOf(row));
    requireUactPricing(p);
    if (p.groupSpecs.length !== 1) {
      throw new AkashError(
        "sdl_unsupported",
        `model ${row.modelId}'s SDL has ${p.groupSpecs.length} placement groups; the lease pipeline opens one lease per deployment (use one placement)`,
        { retryable: false },
      );
    }
    if (row.manifestHash && row.manifestHash !== p.manifestHashHex) {
      throw new AkashError(
        "sdl_changed",
        `the SDL of model ${row.modelId} changed since the deployment was created (version ${row.manifestHash}, now ${p.manifestHashHex}); the provider would refuse the manifest`,
        { retryable: false },
      );
    }
    return p;
  }

  private async createDeployment(row: LeaseRow): Promise<LeaseRow> {
    const dseq = row.dseq!;
    const onChain = await this.akash.deployment(row.owner, dseq);
    if (onChain) {
      // created before a crash / timeout: adopt it, never create a second one
      if (onChain.state !== "active")
        throw new AkashError("deployment_closed", `deployment ${row.owner}/${dseq} exists but is ${onChain.state}`, {
          retryable: false,
        });
      return this.persist(
        row,
        {
          state: "deployment_created",
          manifestHash: row.manifestHash ?? onChain.hashHex,
          bidsDeadlineAt: this.now() + this.policy.bidWindowMs,
        },
        "found on chain",
      );
    }
    if (await this.pendingTx(row, row.deploymentTx)) return row;
    const p = await this.prepared(row);
    await this.store.update(row.id, { manifestHash: p.manifestHashHex });
    await this.akash.createDeployment(dseq, p, this.policy.depositUact, {
      onSigned: (h) => this.recordTx(row, { deploymentTx: h }),
    });
    const sent = await this.store.get(row.id);
    this.hook(() => this.o.hooks?.afterBroadcast?.("create-deployment", sent));
    return this.persist(
      sent,
      { state: "deployment_created", bidsDeadlineAt: this.now() + this.policy.bidWindowMs },
      `deposit ${this.policy.depositUact}uact`,
    );
  }

  /**
   * A tx recorded (signed) but whose effect is not on chain: in a block with an error →
   * permanent failure; unknown and recent → wait for it; unknown and old → re-broadcast.
   */
  private async pendingTx(row: LeaseRow, hash: string | null): Promise<boolean> {
    if (!hash) return false;
    const t = await this.akash.findTx(hash);
    if (t && t.code !== 0)
      throw new AkashError("tx_failed", `tx ${hash} failed on chain with code ${t.code}`, { retryable: false });
    if (t) {
      // in a block and succeeded: the next query sees its effect
      await this.store.update(row.id, { nextAttemptAt: this.now() });
      return true;
    }
    const signedAt = Number(/broadcast at (\d+)/.exec(row.lastError ?? "")?.[1] ?? row.updatedAt);
    if (this.now() - signedAt < this.policy.txTimeoutMs) {
      await this.store.update(row.id, { nextAttemptAt: this.now() + this.policy.pollMs });
      return true;
    }
    return false;
  }

  private async chooseBid(row: LeaseRow): Promise<LeaseRow> {
    const dseq = row.dseq!;
    const existing = (await this.akash.leases(row.owner, dseq)).find((l) => l.state === "active");
    if (existing) return this.persist(row, { state: "lease_created", ...bidColumns(existing) }, "lease found on chain");
    if (this.now() < (row.bidsDeadlineAt ?? 0)) {
      // collect bids until the deadline, then choose among all of them
      return this.store.update(row.id, { nextAttemptAt: row.bidsDeadlineAt ?? this.now() });
    }
    const bids = await this.akash.openBids(row.owner, dseq);
    const { chosen, why } = await this.select(bids, JSON.parse(row.paramsJson) as DeploymentParams);
    if (chosen)
      return this.persist(
        row,
        { state: "bid_chosen", ...bidColumns(chosen) },
        `${chosen.provider} at ${chosen.price}${chosen.denom}/block`,
      );
    throw new NoBidsError(row.owner, dseq, bids.length, why);
  }

  /** Cheapest acceptable bid (ties: lowest provider address, then bseq). */
  private async select(bids: BidInfo[], params: DeploymentParams): Promise<{ chosen?: BidInfo; why: string }> {
    const eff = effectivePolicy(this.policy, params);
    const reasons: string[] = [];
    const ok: BidInfo[] = [];
    for (const b of bids) {
      if (b.denom !== "uact") {
        reasons.push(`${b.provider}: priced in ${b.denom}`);
        continue;
      }
      if (eff.providers && !eff.providers.includes(b.provider)) {
        reasons.push(`${b.provider}: not on the allowlist`);
        continue;
      }
      if (decToAtomics(b.price) > eff.maxPriceAtomics) {
        reasons.push(`${b.provider}: ${b.price}uact above the cap`);
        continue;
      }
      const need = Object.entries(eff.attributes);
      if (need.length) {
        const attrs = (await this.akash.providerInfo(b.provider)).attributes;
        const missing = need.filter(([k, v]) => !attrs.some((a) => a.key === k && a.value === v));
        if (missing.length) {
          reasons.push(`${b.provider}: lacks ${missing.map(([k, v]) => `${k}=${v}`).join(",")}`);
          continue;
        }
      }
      ok.push(b);
    }
    ok.sort((a, b) => {
      const d = decToAtomics(a.price) - decToAtomics(b.price);
      return d !== 0n ? (d < 0n ? -1 : 1) : a.provider.localeCompare(b.provider) || a.bseq - b.bseq;
    });
    return { chosen: ok[0], why: reasons.join("; ") };
  }

  private async createLease(row: LeaseRow): Promise<LeaseRow> {
    const dseq = row.dseq!;
    const leases = await this.akash.leases(row.owner, dseq);
    const existing = leases.find((l) => l.state === "active");
    if (existing) return this.persist(row, { state: "lease_created", ...bidColumns(existing) }, "lease found on chain");
    if (await this.pendingTx(row, row.leaseTx)) return row;
    const bid: BidInfo = {
      owner: row.owner,
      dseq,
      gseq: row.gseq!,
      oseq: row.oseq!,
      provider: row.provider!,
      bseq: row.bseq!,
      price: row.price ?? "0",
      denom: "uact",
    };
    await this.akash.createLease(bid, {
      onSigned: (h) => this.recordTx(row, { leaseTx: h }),
    });
    const sent = await this.store.get(row.id);
    this.hook(() => this.o.hooks?.afterBroadcast?.("create-lease", sent));
    return this.persist(sent, { state: "lease_created" }, `lease with ${row.provider}`);
  }

  private async sendManifest(row: LeaseRow): Promise<LeaseRow> {
    const p = await this.prepared(row);
    // PUT is idempotent at the provider: resending after a crash is safe
    await this.akash.sendManifest(row.provider!, row.dseq!, p.manifestJson);
    const sent = await this.store.get(row.id);
    this.hook(() => this.o.hooks?.afterManifest?.(sent));
    return this.persist(
      row,
      { state: "manifest_sent" },
      `manifest ${p.manifestHashHex.slice(0, 16)}… accepted by ${row.provider}`,
    );
  }

  private async confirmLease(row: LeaseRow): Promise<LeaseRow> {
    const lease = (await this.akash.leases(row.owner, row.dseq!)).find(
      (l) => l.provider === row.provider && l.gseq === row.gseq && l.oseq === row.oseq,
    );
    if (!lease || lease.state !== "active")
      throw new AkashError(
        "lease_inactive",
        `lease ${row.owner}/${row.dseq} with ${row.provider} is ${lease?.state ?? "missing"} after the manifest was sent`,
        { retryable: false },
      );
    if (!(await this.akash.leaseReady({ provider: row.provider!, dseq: row.dseq!, gseq: row.gseq!, oseq: row.oseq! }))) {
      throw new AkashError(
        "services_not_ready",
        `provider ${row.provider} does not report the services of ${row.dseq} ready yet`,
        { retryable: true },
      );
    }
    return this.persist(row, { state: "leased", outcome: "leased" }, "lease active, services ready");
  }

  private async closeDeployment(row: LeaseRow, to: "failed_closed" | "expired"): Promise<LeaseRow> {
    if (!row.dseq) return this.persist(row, { state: to }, "no deployment was reserved");
    const d = await this.akash.deployment(row.owner, row.dseq);
    if (!d || d.state !== "active")
      return this.persist(row, { state: to }, d ? "deployment already closed" : "no deployment on chain");
    if (await this.pendingTx(row, row.closeTx)) return row;
    await this.akash.closeDeployment(row.dseq, {
      onSigned: (h) => this.recordTx(row, { closeTx: h }),
    });
    const sent = await this.store.get(row.id);
    this.hook(() => this.o.hooks?.afterBroadcast?.("close-deployment", sent));
    return this.persist(sent, { state: to }, "deployment closed, escrow returned to the owner");
  }

  private async report(row: LeaseRow, ok: boolean): Promise<LeaseRow> {
    const ref = await this.o.reporter.report({
      purchaseChain: row.purchaseChain,
      keyId: BigInt(row.keyId),
      ok,
      dseq: row.dseq ?? "0",
      gseq: ok ? (row.gseq ?? 0) : 0,
      oseq: ok ? (row.oseq ?? 0) : 0,
      provider: ok ? (row.provider ?? "") : "",
      reason: ok ? "" : (row.failureReason ?? "failed"),
    });
    return this.persist(
      row,
      { state: ok ? "reported" : "failed", reportTx: ref },
      ok ? "lease reported" : "failure reported: buyer may claim the refund",
    );
  }

  /** A step failed: retry with backoff, or — permanent, or out of attempts — take the failure path. */
  private async failed(row: LeaseRow, e: unknown): Promise<LeaseRow> {
    const msg = errorMessage(e);
    const attempts = row.attempts + 1;
    const reporting =
      row.state === "leased" || row.state === "failed_closed" || row.state === "closing" || row.state === "reported";
    // reporting and closing never give up: the buyer's refund depends on them
    const giveUp = !reporting && (isPermanent(e) || attempts >= this.policy.maxAttempts);
    if (giveUp) {
      const reason = isPermanent(e) ? msg : `gave up after ${attempts} attempts: ${msg}`;
      this.log.warn({ lease: row.id, keyId: row.keyId, state: row.state, err: msg }, "lease failed; closing and reporting");
      return this.persist(
        row,
        { state: "closing", outcome: "failed", failureReason: reason.slice(0, 1000), lastError: msg.slice(0, 1000) },
        reason.slice(0, 200),
      );
    }
    const delay = nextAttemptDelayMs(attempts, {
      baseMs: this.policy.backoffBaseMs,
      maxMs: this.policy.backoffMaxMs,
      maxAttempts: this.policy.maxAttempts,
    });
    this.log.warn({ lease: row.id, state: row.state, attempts, retryInMs: delay, err: msg }, "lease step failed; will retry");
    return this.store.update(row.id, { attempts, lastError: msg.slice(0, 1000), nextAttemptAt: this.now() + delay });
  }
}

/** The holder a job's manifest is bound to (undefined: a job recorded before holders were bound). */
export function holderOf(row: LeaseRow): HolderRef | undefined {
  return row.holder ? { word: row.holder, chain: row.holderChain ?? row.purchaseChain } : undefined;
}

function bidColumns(b: { provider: string; gseq: number; oseq: number; bseq: number; price: string }) {
  return { provider: b.provider, gseq: b.gseq, oseq: b.oseq, bseq: b.bseq, price: b.price };
}
