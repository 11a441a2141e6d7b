// LeaseReported on the Akash lanes, attested by the relayer quorum (docs/messages.md, kind 8).
//
// Akash has no contract that journals facts, so the lane (akashChainId → purchase chain) is
// numbered by the leader (the operator that runs the lease pipeline): each purchase's report gets
// the next nonce above max(what it numbered before, what the destination applied), persisted
// with the message before anything leaves the process. The leader puts the message in its
// operations queue (so the ordinary delivery loop collects signatures and submits it) and
// proposes the lane's undelivered reports to its peers.
//
// A peer (`LeaseCosigner`) signs nothing on the leader's word. Before it puts a report in its own
// queue — the only thing its attestation endpoint signs — it checks, itself:
//   * the message is a well-formed LeaseReported on the Akash lane to a chain it reads, from a
//     leader it trusts (the Akash account that owns the deployments);
//   * ok = true: Akash has an active lease (owner, dseq, gseq, oseq, provider) — the stand-in's
//     or a real node's REST queries — and, while the purchase's escrow is open, the deployment's
//     version on Akash (sha256 of the manifest, which the provider also checks) is the manifest
//     of the purchased model's SDL, decrypted by this co-signer from the model's on-chain locator;
//     ok = false: no active deployment at that dseq;
//   * one report per purchase, one lease per deployment (an ok report's dseq, on every lane),
//     one message per lane nonce (no equivocation), no gaps;
//   * LeaseHandedOver (kind 11, a done handover, ./handover.ts): the key's lease was co-signed
//     here at that dseq and is active; the deployment's version on Akash is the new holder's
//     manifest, recomputed here; the new holder holds the key on the chain it resides on
//     (`holderOf`); the report number is above every one co-signed for the key (a repeated or
//     older report is stale);
//   * refunds bounded per lane: at most `refundsPerHour` failure reports per lane and rolling
//     hour; more wait for the next window (the destination's lane rate limit bounds it again).
import type { IncomingMessage, ServerResponse } from "node:http";
import { decodeMessage, encodeMessage, Kind, messageDigest, type LeaseHandedOverBody, type LeaseReportedBody } from "../../codec";
import type { LeaseReportRow, LeaseReportStore, OpStore } from "../store";
import type { AkashClient } from "../../sdk/akash/client";
import { AkashError, errorMessage } from "../../sdk/akash/errors";
import type { PurchaseChain } from "./feeds";
import { logger } from "../log";
import type { HandoverReport, LeaseReport, LeaseReporter } from "./reporter";
import type { SdlSource } from "./sdl-source";
import type { AkashNetworkId } from "../../sdk/akash/sdl";
import { holderWord, prepareForHolder } from "./holder";

export const PROPOSE_PATH = "/akash/lease-reports";

export interface Proposal {
  /** the leader's Akash account (owner of the deployments) */
  owner: string;
  messages: string[];
}

export interface ProposalAnswer {
  accepted: number[];
  refused?: { nonce: number; reason: string; retryLater?: boolean };
}

async function queueOps(ops: OpStore, rows: readonly LeaseReportRow[]): Promise<void> {
  for (const r of rows) {
    await ops.advance(
      `akash:${r.laneSrc}-${r.laneDst}`,
      { height: r.nonce, hash: null },
      [],
      [
        {
          src: r.laneSrc,
          dst: r.laneDst,
          nonce: r.nonce,
          kind: parseInt(r.message.slice(4, 6), 16), // the envelope's kind byte
          message: r.message,
          digest: r.digest,
          source: `akash:${r.laneSrc}-${r.laneDst}`,
          sourceHeight: r.nonce,
          sourceHash: "",
          sourceTime: r.createdAt,
        },
      ],
      0,
    );
  }
}

export interface AttestedReporterOptions {
  akashChainId: number;
  reports: LeaseReportStore;
  ops: OpStore;
  chains: ReadonlyMap<number, PurchaseChain>;
  peers: readonly { name: string; url: string }[];
  minCosigners: number;
  /** the leader's Akash account */
  owner: string;
  timeoutMs?: number;
}

export class AttestedLeaseReporter implements LeaseReporter {
  private readonly log = logger("lease-report");
  constructor(private readonly o: AttestedReporterOptions) {}

  async report(r: LeaseReport): Promise<string> {
    const dst = Number(r.purchaseChain);
    const chain = this.o.chains.get(dst);
    if (!chain)
      throw new AkashError(
        "config_invalid",
        `cannot report key ${r.keyId}: purchase chain ${r.purchaseChain} is not in akash.purchases`,
        { retryable: true },
      );
    const src = this.o.akashChainId;
    const inbound = await chain.inbound(src);
    let row = await this.o.reports.byPurchase("sent", r.purchaseChain, r.keyId.toString());
    if (!row) {
      const open = await chain.escrowOpen(r.keyId);
      if (open !== true) return open === undefined ? "no deployment escrow: nothing to report" : "already-resolved";
      const body: LeaseReportedBody = {
        purchaseId: r.keyId,
        ok: r.ok,
        dseq: BigInt(r.dseq || "0"),
        gseq: r.gseq,
        oseq: r.oseq,
        provider: r.provider,
        reason: r.reason.slice(0, 1000),
      };
      row = await this.o.reports.insert(
        {
          role: "sent",
          laneSrc: src,
          laneDst: dst,
          purchaseChain: r.purchaseChain,
          keyId: r.keyId.toString(),
          ok: r.ok,
          dseq: body.dseq.toString(),
        },
        (last) => Math.max(last, inbound) + 1,
        (nonce) => {
          const bytes = encodeMessage({
            version: 1,
            kind: Kind.LeaseReported,
            srcChain: src,
            dstChain: dst,
            nonce: BigInt(nonce),
            body,
          });
          return { message: `0x${Buffer.from(bytes).toString("hex")}`, digest: messageDigest(bytes) };
        },
      );
      this.log.info({ lane: `${src}-${dst}`, nonce: row.nonce, keyId: row.keyId, ok: r.ok }, "LeaseReported numbered");
    }
    const ref = `LeaseReported ${src}-${dst} #${row.nonce}`;
    if (row.nonce <= inbound) return `${ref} (applied)`;
    const pending = await this.o.reports.laneAfter("sent", src, dst, inbound);
    await queueOps(this.o.ops, pending);
    await this.propose(pending, row.nonce);
    return ref;
  }

  /**
   * Number a done handover on the lane (once per handover number) and propose it. The leader
   * checks what its co-signers will check first (the deployment's version is the new holder's
   * manifest): a report it cannot stand behind is never numbered, so it cannot stop the lane.
   */
  async reportHandover(r: HandoverReport, check?: () => Promise<void>): Promise<string> {
    const dst = Number(r.purchaseChain);
    const chain = this.o.chains.get(dst);
    if (!chain)
      throw new AkashError(
        "config_invalid",
        `cannot report a handover of key ${r.keyId}: chain ${dst} is not in akash.purchases`,
        {
          retryable: true,
        },
      );
    const src = this.o.akashChainId;
    const inbound = await chain.inbound(src);
    const keyId = `${r.keyId}/handover/${r.handover}`;
    let row = await this.o.reports.byPurchase("sent", r.purchaseChain, keyId);
    if (!row) {
      if ((await this.o.reports.lastHandover("sent", r.purchaseChain, r.keyId.toString())) > Number(r.handover))
        return "superseded by a later handover report";
      await check?.();
      const w = r.holder.replace(/^0x/, "");
      const body: LeaseHandedOverBody = {
        keyId: r.keyId,
        modelId: r.modelId,
        handover: r.handover,
        dseq: BigInt(r.dseq),
        gseq: r.gseq,
        oseq: r.oseq,
        provider: r.provider,
        holder: { family: parseInt(w.slice(0, 2), 16), address: "0x" + w.slice(4) },
        holderChain: Number(r.holderChain),
        manifestHash: "0x" + r.manifestHash.replace(/^0x/, ""),
        transfer: r.transfer,
      };
      row = await this.o.reports.insert(
        { role: "sent", laneSrc: src, laneDst: dst, purchaseChain: r.purchaseChain, keyId, ok: true, dseq: null },
        (last) => Math.max(last, inbound) + 1,
        (nonce) => {
          const bytes = encodeMessage({
            version: 1,
            kind: Kind.LeaseHandedOver,
            srcChain: src,
            dstChain: dst,
            nonce: BigInt(nonce),
            body,
          });
          return { message: `0x${Buffer.from(bytes).toString("hex")}`, digest: messageDigest(bytes) };
        },
      );
      this.log.info(
        { lane: `${src}-${dst}`, nonce: row.nonce, keyId: String(r.keyId), handover: String(r.handover) },
        "LeaseHandedOver numbered",
      );
    }
    const ref = `LeaseHandedOver ${src}-${dst} #${row.nonce}`;
    if (row.nonce <= inbound) return `${ref} (applied)`;
    const pending = await this.o.reports.laneAfter("sent", src, dst, inbound);
    await queueOps(this.o.ops, pending);
    await this.propose(pending, row.nonce);
    return ref;
  }

  /** Hand the lane's undelivered reports to the peers; at least `minCosigners` must hold `nonce`. */
  private async propose(rows: readonly LeaseReportRow[], nonce: number): Promise<void> {
    if (this.o.minCosigners === 0) return;
    const body: Proposal = { owner: this.o.owner, messages: rows.map((r) => r.message) };
    const answers = await Promise.all(
      this.o.peers.map(async (p) => {
        try {
          const res = await fetch(p.url.replace(/\/$/, "") + PROPOSE_PATH, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(body),
            signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000),
          });
          const a = (await res.json().catch(() => ({}))) as ProposalAnswer & { error?: string };
          if (!res.ok && !a.accepted) return { peer: p.name, ok: false, why: `HTTP ${res.status} ${a.error ?? ""}` };
          const ok = a.accepted?.includes(nonce) ?? false;
          return { peer: p.name, ok, why: ok ? "" : (a.refused?.reason ?? a.error ?? "not accepted") };
        } catch (e) {
          return { peer: p.name, ok: false, why: errorMessage(e) };
        }
      }),
    );
    const yes = answers.filter((a) => a.ok).length;
    if (yes < this.o.minCosigners) {
      throw new AkashError(
        "cosigners_refused",
        `LeaseReported #${nonce}: ${yes} of the ${this.o.minCosigners} co-signers needed accepted it (${
          answers
            .filter((a) => !a.ok)
            .map((a) => `${a.peer}: ${a.why}`)
            .join("; ") || "no peers configured"
        }); will propose again`,
        { retryable: true },
      );
    }
  }
}

export interface CosignerOptions {
  akashChainId: number;
  reports: LeaseReportStore;
  ops: OpStore;
  chains: ReadonlyMap<number, PurchaseChain>;
  /** read-only Akash queries */
  akash: AkashClient;
  /** Akash accounts whose reports this operator checks (the leaders' deployment owners) */
  leaders: readonly string[];
  refundsPerHour: number;
  /** the models' SDLs, read as this operator (a lease's manifest is checked against them) */
  sdl: SdlSource;
  network?: AkashNetworkId;
  /** called with the reason of every refused report (metrics) */
  onRefused?: (reason: string) => void;
  now?: () => number;
}

class Refusal extends Error {
  constructor(
    message: string,
    readonly retryLater = false,
  ) {
    super(message);
  }
}

export class LeaseCosigner {
  private readonly log = logger("lease-cosigner");
  private readonly now: () => number;
  private busy: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: CosignerOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Check and record a leader's proposal; one at a time (nonces are checked against the records). */
  accept(p: Proposal): Promise<ProposalAnswer> {
    const run = this.busy.then(() => this.acceptNow(p));
    this.busy = run.catch(() => undefined);
    return run;
  }

  private async acceptNow(p: Proposal): Promise<ProposalAnswer> {
    if (!p || typeof p.owner !== "string" || !Array.isArray(p.messages))
      throw new Refusal("body must be { owner, messages: [0x…] }");
    if (!this.o.leaders.includes(p.owner))
      throw new Refusal(`${p.owner} is not a lease leader this co-signer trusts (akash.leaders)`);
    const decoded = p.messages.map((hex) => {
      try {
        return { hex, m: decodeMessage(hex) };
      } catch (e) {
        throw new Refusal(`not a codec message: ${errorMessage(e)}`);
      }
    });
    decoded.sort((a, b) => (a.m.nonce < b.m.nonce ? -1 : 1));
    const accepted: number[] = [];
    const inboundOf = new Map<number, number>();
    for (const { hex, m } of decoded) {
      const nonce = Number(m.nonce);
      try {
        if (m.kind !== Kind.LeaseReported && m.kind !== Kind.LeaseHandedOver)
          throw new Refusal(`kind ${m.kind} is not LeaseReported or LeaseHandedOver`);
        if (m.srcChain !== this.o.akashChainId)
          throw new Refusal(`source chain ${m.srcChain} is not the Akash lane ${this.o.akashChainId}`);
        const chain = this.o.chains.get(m.dstChain);
        if (!chain) throw new Refusal(`destination ${m.dstChain} is not a purchase chain this co-signer reads`);
        if (!inboundOf.has(m.dstChain)) inboundOf.set(m.dstChain, await chain.inbound(m.srcChain));
        const inbound = inboundOf.get(m.dstChain)!;
        if (nonce <= inbound) {
          accepted.push(nonce); // applied on the destination already
          continue;
        }
        if (m.kind === Kind.LeaseHandedOver)
          await this.checkHandover(p.owner, hex, m.dstChain, nonce, inbound, m.body as LeaseHandedOverBody);
        else await this.check(p.owner, hex, m.dstChain, nonce, inbound, m.body as LeaseReportedBody);
        accepted.push(nonce);
      } catch (e) {
        const r = e instanceof Refusal ? e : new Refusal(`cannot check it now: ${errorMessage(e)}`, true);
        this.log.warn({ nonce, reason: r.message }, "lease report refused");
        this.o.onRefused?.(r.message);
        return { accepted, refused: { nonce, reason: r.message, retryLater: r.retryLater } };
      }
    }
    return { accepted };
  }

  /** Equivocation and gap checks of a lane message; true: co-signed before (queued again). */
  private async seen(hex: string, dst: number, nonce: number, inbound: number): Promise<boolean> {
    const src = this.o.akashChainId;
    const digest = messageDigest(hex);
    const atNonce = await this.o.reports.atNonce("cosigned", src, dst, nonce);
    if (atNonce) {
      if (atNonce.digest !== digest)
        throw new Refusal(`equivocation: nonce ${nonce} was co-signed for another message (${atNonce.digest})`);
      await queueOps(this.o.ops, [atNonce]);
      return true;
    }
    const last = Math.max(await this.o.reports.lastNonce("cosigned", src, dst), inbound);
    if (nonce !== last + 1) throw new Refusal(`gap: next nonce on lane ${src}-${dst} is ${last + 1}, got ${nonce}`);
    return false;
  }

  /**
   * A handover is signed only when it is what Akash and the key's chain show now: the key's lease
   * (co-signed here) is active at the named ids, its version is the manifest of the model's SDL
   * bound to the named holder (recomputed here), that holder holds the key where it resides, and
   * the report number is above every one co-signed for the key (a repeat or an older one is stale).
   */
  private async checkHandover(
    owner: string,
    hex: string,
    dst: number,
    nonce: number,
    inbound: number,
    b: LeaseHandedOverBody,
  ): Promise<void> {
    if (await this.seen(hex, dst, nonce, inbound)) return;
    const src = this.o.akashChainId;
    const key = b.keyId.toString();
    const dseq = b.dseq.toString();
    if (Number(b.keyId >> 32n) !== dst) throw new Refusal(`key ${key} was not bought on chain ${dst}`);
    const lease = await this.o.reports.byPurchase("cosigned", String(dst), key);
    if (!lease?.ok || lease.dseq !== dseq)
      throw new Refusal(`no lease of key ${key} at deployment ${owner}/${dseq} was co-signed here`);
    const last = await this.o.reports.lastHandover("cosigned", String(dst), key);
    if (b.handover <= BigInt(last))
      throw new Refusal(`stale handover: report ${b.handover} of key ${key}, ${last} was co-signed already`);
    const active = (await this.o.akash.leases(owner, dseq)).find(
      (l) => l.gseq === b.gseq && l.oseq === b.oseq && l.provider === b.provider && l.state === "active",
    );
    if (!active) throw new Refusal(`Akash has no active lease ${owner}/${dseq}/${b.gseq}/${b.oseq} with ${b.provider}`);
    const word = holderWord(b.holder);
    let expected: string;
    try {
      const sdl = await this.o.sdl.sdlFor({ purchaseChain: String(dst), modelId: b.modelId.toString(), keyId: key });
      expected = prepareForHolder(sdl, this.o.network ?? "mainnet", { word, chain: String(b.holderChain) }).manifestHashHex;
    } catch (e) {
      throw new Refusal(`cannot read model ${b.modelId}'s SDL to check the manifest: ${errorMessage(e)}`, true);
    }
    const claimed = b.manifestHash.replace(/^0x/, "").toLowerCase();
    if (claimed !== expected)
      throw new Refusal(`manifest ${claimed} is not model ${b.modelId}'s SDL for holder ${word} (${expected})`);
    const deployment = await this.o.akash.deployment(owner, dseq);
    if (deployment?.hashHex.toLowerCase() !== expected)
      throw new Refusal(
        `deployment ${owner}/${dseq} runs manifest ${deployment?.hashHex ?? "none"}, not holder ${word}'s (${expected})`,
      );
    const home = this.o.chains.get(b.holderChain);
    if (!home) throw new Refusal(`the key's chain ${b.holderChain} is not one this co-signer reads`);
    const holder = await home.holderOf(b.keyId, b.modelId);
    if (holder !== word)
      throw new Refusal(`${word} does not hold key ${key} on chain ${b.holderChain} (${holder ?? "not resident"})`);
    const row = await this.o.reports.insert(
      {
        role: "cosigned",
        laneSrc: src,
        laneDst: dst,
        purchaseChain: String(dst),
        keyId: `${key}/handover/${b.handover}`,
        ok: true,
        dseq: null,
      },
      () => nonce,
      () => ({ message: hex, digest: messageDigest(hex) }),
    );
    await queueOps(this.o.ops, [row]);
    this.log.info(
      { lane: `${src}-${dst}`, nonce, key, holder: word },
      "handover checked on Akash and the key's chain; queued for attestation",
    );
  }

  private async check(
    owner: string,
    hex: string,
    dst: number,
    nonce: number,
    inbound: number,
    b: LeaseReportedBody,
  ): Promise<void> {
    if (await this.seen(hex, dst, nonce, inbound)) return;
    const src = this.o.akashChainId;
    const digest = messageDigest(hex);
    // No open escrow (never had one, or resolved meanwhile): the destination refuses the report
    // and pays nothing, so it is signed to keep the lane moving; what it claims is checked anyway.
    const dseq = b.dseq.toString();
    if (b.ok) {
      const used = await this.o.reports.leaseByDseq("cosigned", dseq);
      if (used && !(used.purchaseChain === String(dst) && used.keyId === b.purchaseId.toString()))
        throw new Refusal(
          `deployment ${owner}/${dseq} was already reported for purchase ${used.keyId} of chain ${used.purchaseChain}: one deployment serves one purchase`,
        );
      const lease = (await this.o.akash.leases(owner, dseq)).find(
        (l) => l.gseq === b.gseq && l.oseq === b.oseq && l.provider === b.provider,
      );
      if (!lease || lease.state !== "active")
        throw new Refusal(
          `Akash has no active lease ${owner}/${dseq}/${b.gseq}/${b.oseq} with ${b.provider} (${lease?.state ?? "missing"})`,
        );
      await this.checkManifest(owner, dst, b.purchaseId, dseq);
    } else {
      const since = this.now() - 3_600_000;
      if ((await this.o.reports.refundsSince("cosigned", src, dst, since)) >= this.o.refundsPerHour) {
        throw new Refusal(
          `refund cap: ${this.o.refundsPerHour} failure reports on lane ${src}-${dst} in the last hour; try later`,
          true,
        );
      }
      if (b.dseq !== 0n) {
        const d = await this.o.akash.deployment(owner, dseq);
        if (d?.state === "active")
          throw new Refusal(`deployment ${owner}/${dseq} is still active on Akash: not a failure (close it first)`);
      }
    }
    const prev = await this.o.reports.byPurchase("cosigned", String(dst), b.purchaseId.toString());
    if (prev) throw new Refusal(`purchase ${b.purchaseId} was already reported at nonce ${prev.nonce}`);
    const row = await this.o.reports.insert(
      {
        role: "cosigned",
        laneSrc: src,
        laneDst: dst,
        purchaseChain: String(dst),
        keyId: b.purchaseId.toString(),
        ok: b.ok,
        dseq,
      },
      () => nonce,
      () => ({ message: hex, digest }),
    );
    await queueOps(this.o.ops, [row]);
    this.log.info(
      { lane: `${src}-${dst}`, nonce, purchase: String(b.purchaseId), ok: b.ok },
      "lease report checked on Akash; queued for attestation",
    );
  }

  /**
   * The leased deployment must run the purchased model for its holder: its version on Akash
   * (sha256 of the manifest; the provider refuses any other manifest) equals the manifest of the
   * model's SDL, as this co-signer decrypts it from the locator the purchase chain records, bound
   * to the key's holder (HEXS_HOLDER, ./holder.ts) — the key's current holder on the purchase
   * chain or the purchase's buyer (a key transferred before its report still names the holder it
   * was leased for). A purchase without an open escrow is not checked: the destination refuses
   * the report and pays nothing.
   */
  private async checkManifest(owner: string, dst: number, purchaseId: bigint, dseq: string): Promise<void> {
    const chain = this.o.chains.get(dst)!;
    const modelId = await chain.openEscrowModel(purchaseId);
    if (modelId === undefined) return;
    const deployment = await this.o.akash.deployment(owner, dseq);
    if (!deployment) throw new Refusal(`Akash has no deployment ${owner}/${dseq}`);
    let expected: string[];
    try {
      const sdl = await this.o.sdl.sdlFor({
        purchaseChain: String(dst),
        modelId: modelId.toString(),
        keyId: purchaseId.toString(),
      });
      const holders = await chain.keyHolders(purchaseId, modelId);
      expected = holders.map(
        (word) => prepareForHolder(sdl, this.o.network ?? "mainnet", { word, chain: String(dst) }).manifestHashHex,
      );
    } catch (e) {
      throw new Refusal(`cannot read model ${modelId}'s SDL to check the manifest: ${errorMessage(e)}`, true);
    }
    if (!expected.includes(deployment.hashHex.toLowerCase()))
      throw new Refusal(
        `deployment ${owner}/${dseq} runs manifest ${deployment.hashHex}, not model ${modelId}'s SDL for its holder (manifest ${expected.join(" or ") || "none: no holder known"})`,
      );
  }

  /** HTTP: POST /akash/lease-reports. Returns false for other paths. */
  async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    if (path !== PROPOSE_PATH) return false;
    const json = (code: number, body: unknown) =>
      res.writeHead(code, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (req.method !== "POST") {
      json(405, { error: "POST a { owner, messages } proposal" });
      return true;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > 1_000_000) {
        json(413, { error: "proposal over 1 MB" });
        return true;
      }
      chunks.push(c as Buffer);
    }
    let body: Proposal;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Proposal;
    } catch {
      json(400, { error: "body is not JSON" });
      return true;
    }
    try {
      json(200, await this.accept(body));
    } catch (e) {
      json(e instanceof Refusal ? 403 : 500, { error: errorMessage(e) });
    }
    return true;
  }
}
