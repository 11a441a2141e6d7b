// The relayer's Akash lease service (config section `akash`, see ./config.ts). Started by the
// relayer process next to its sources and sinks:
//   leader:   purchase chains → lease pipeline (persisted state machine) → LeaseReported on the
//             Akash lane (or resolveDeployment directly); DAO spends → escrow top-ups; key
//             expiry → deployment closed
//   cosigner: checks leaders' LeaseReported proposals on Akash and queues them for attestation
import * as fs from "node:fs";
import * as path from "node:path";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Wallet } from "ethers";
import { ConfigError, type RelayerConfig, type RelayerKeys } from "../config";
import { openLeaseDb, storeSpec, LeaseReportStore, LeaseStore, type OpStore } from "../store";
import { AttestedLeaseReporter, LeaseCosigner } from "./attested";
import { AkashClient } from "../../sdk/akash/client";
import type { AkashSection } from "./config";
import { AkashError, errorMessage, isPermanent } from "../../sdk/akash/errors";
import { purchaseChains, type FeedSink, type PurchaseChain } from "./feeds";
import { logger } from "../log";
import { LeasePipeline, type PipelineHooks } from "./pipeline";
import { EvmLeaseReporter, type LeaseReport, type LeaseReporter } from "./reporter";
import { nextAttemptDelayMs, sleep } from "../retry";
import { PlaintextFileSdlSource, type SdlRequest, type SdlSource } from "./sdl-source";
import { EscrowTopups } from "./topups";
import { LeaseHandovers, type HandoverHooks } from "./handover";
import { EscrowPayouts, type AnyPayoutChain } from "./payouts";
import type { Metrics } from "../metrics";

export function readMnemonic(src: { env: string } | { file: string }): string {
  if ("env" in src) {
    const v = process.env[src.env]?.trim();
    if (!v)
      throw new AkashError(
        "config_invalid",
        `akash.mnemonic: environment variable ${src.env} is not set (it must hold the Akash account's BIP-39 mnemonic)`,
        { retryable: false },
      );
    return v;
  }
  let st: fs.Stats;
  try {
    st = fs.statSync(src.file);
  } catch {
    throw new AkashError("config_invalid", `akash.mnemonic: file ${src.file} does not exist`, { retryable: false });
  }
  if ((st.mode & 0o077) !== 0)
    throw new AkashError(
      "config_invalid",
      `akash.mnemonic: ${src.file} is readable by others (mode ${(st.mode & 0o777).toString(8)}); run chmod 600 ${src.file}`,
      { retryable: false },
    );
  return fs.readFileSync(src.file, "utf8").trim();
}

/** Decrypts a purchase's model SDL through the key service as the operator key. */
class KeyServiceChainSdl implements SdlSource {
  constructor(
    private readonly url: string,
    private readonly wallet: Wallet,
    private readonly chains: ReadonlyMap<number, PurchaseChain>,
  ) {}
  async sdlFor(req: SdlRequest): Promise<string> {
    const chain = this.chains.get(Number(req.purchaseChain));
    if (!chain)
      throw new AkashError(
        "sdl_unavailable",
        `no purchase chain ${req.purchaseChain} configured to read model ${req.modelId}'s SDL locator`,
        { retryable: false },
      );
    const locator = await chain.sdlLocator(req.modelId);
    if (!locator)
      throw new AkashError("sdl_unavailable", `model ${req.modelId} has no SDL locator on chain ${chain.name}`, {
        retryable: false,
      });
    const keys = await import("../../sdk/keys");
    const client = new keys.KeyServiceClient(keys.localEndpoints(this.url.replace(/\/+$/, "")));
    try {
      return (
        await keys.decryptForHolder(client, keys.evmHolder(this.wallet, this.wallet.address.toLowerCase()), locator)
      ).toString("utf8");
    } catch (e) {
      const err = e as { code?: string; message: string };
      // forbidden: the creator did not grant this operator (model:grant-holders --operators)
      const permanent = err.code === "forbidden" || err.code === "not_found" || err.code === "integrity";
      throw new AkashError(
        "sdl_unavailable",
        `decrypting model ${req.modelId}'s SDL as operator ${this.wallet.address}: ${err.message}`,
        { retryable: !permanent },
      );
    }
  }
}

/** resolveDeployment on each EVM purchase chain's market (LEASE_REPORTER_ROLE). */
class DirectReporter implements LeaseReporter {
  constructor(private readonly byChain: Map<string, EvmLeaseReporter>) {}
  report(r: LeaseReport): Promise<string> {
    const rep = this.byChain.get(r.purchaseChain);
    if (!rep)
      throw new AkashError(
        "config_invalid",
        `report.mode direct works for EVM purchase chains only; chain ${r.purchaseChain} is not one`,
        { retryable: false },
      );
    return rep.report(r);
  }
}

export interface AkashServiceOptions {
  cfg: RelayerConfig & { akash: AkashSection };
  /** attest: the operator's identity at the key service (decrypts SDLs); submitters sign direct-mode reports */
  keys: RelayerKeys;
  /** the relayer's operations queue (LeaseReported messages join it) */
  ops: OpStore;
  hooks?: PipelineHooks;
  /** handover test hooks (crash simulation) */
  handoverHooks?: HandoverHooks;
  /** the relayer's metrics (refused top-ups and lease reports are counted there) */
  metrics?: Metrics;
  /** each component's state for the relayer's /readyz: `lease` (started), `lease-feed:<chain>`, `lease-work` */
  onHealth?: (component: string, h: { ok: boolean; error?: string }) => void;
}

export class AkashService {
  readonly section: AkashSection;
  private readonly log = logger("akash-service");
  private stopping = false;
  private loops: Promise<void>[] = [];
  private chains = new Map<number, PurchaseChain>();
  private akash?: AkashClient;
  private cosigner?: LeaseCosigner;
  leases?: LeaseStore;
  reports?: LeaseReportStore;
  pipeline?: LeasePipeline;
  topups?: EscrowTopups;
  handovers?: LeaseHandovers;
  payouts?: EscrowPayouts;

  /** settles when start() finished (rejects with its error) */
  started?: Promise<void>;

  constructor(private readonly o: AkashServiceOptions) {
    this.section = o.cfg.akash;
  }

  /** start() in the background; a failure is logged (and kept in `started`). */
  launch(): void {
    this.started = this.start();
    this.started.then(
      () => this.health("lease", true),
      (e) => this.health("lease", false, errorMessage(e)),
    );
    this.started.catch((e) =>
      this.log.error(
        { err: errorMessage(e) },
        "Akash lease service could not start: fix the akash section of the config and restart",
      ),
    );
  }

  async start(): Promise<void> {
    const a = this.section;
    const spec = storeSpec(a.db);
    if ("sqlite" in spec && spec.sqlite !== ":memory:") fs.mkdirSync(path.dirname(spec.sqlite), { recursive: true });
    const db = await openLeaseDb(spec);
    this.leases = new LeaseStore(db);
    this.reports = new LeaseReportStore(db);
    const wallet = new Wallet(this.o.keys.attest); // key-service identity only: it never sends a transaction
    const isLeader = a.role === "leader";
    for (const c of purchaseChains(this.o.cfg.chains, a.purchases, this.reports, isLeader && !!a.topups))
      this.chains.set(c.hexsChainId, c);
    for (const c of this.chains.values()) await this.retrying(`init ${c.name}`, () => c.init());

    const endpoints = {
      chainId: a.chainId ?? "",
      rpcUrl: a.rpc,
      restUrl: a.rest,
      gasPrice: a.gasPrice,
      txPollMs: Math.min(500, a.pollMs),
    };
    // leaders deploy the models' SDLs; co-signers check leased manifests against them
    const sdl: SdlSource = a.keyService
      ? new KeyServiceChainSdl(a.keyService, wallet, this.chains)
      : new PlaintextFileSdlSource((m) => path.join(a.sdlDir!, `${m}.yaml`));
    if (!isLeader) {
      this.akash = AkashClient.readOnly(endpoints);
      this.cosigner = new LeaseCosigner({
        akashChainId: a.hexsChainId,
        reports: this.reports,
        ops: this.o.ops,
        chains: this.chains,
        akash: this.akash,
        leaders: a.leaders,
        refundsPerHour: a.report.refundsPerHour,
        sdl,
        onRefused: () => this.o.metrics?.leaseReportsRefused.inc(),
      });
      this.log.info({ leaders: a.leaders, lane: a.hexsChainId }, "Akash lease co-signer ready");
      return;
    }

    const mnemonic = readMnemonic(a.mnemonic!);
    const probe = await AkashClient.fromMnemonic(mnemonic, endpoints);
    const chainId = await this.retrying("reach Akash", () => probe.chainId());
    await probe.close();
    if (a.chainId && a.chainId !== chainId)
      throw new AkashError("config_invalid", `akash.chainId is ${a.chainId} but the node at ${a.rpc} is ${chainId}`, {
        retryable: false,
      });
    this.akash = await AkashClient.fromMnemonic(mnemonic, { ...endpoints, chainId });
    let reporter: LeaseReporter;
    if (a.report.mode === "attested") {
      if (a.report.minCosigners > this.o.cfg.peers.length) {
        throw new AkashError(
          "config_invalid",
          `akash.report.minCosigners is ${a.report.minCosigners} but only ${this.o.cfg.peers.length} peer(s) are configured: lease reports could never be handed over (add peers or lower minCosigners)`,
          { retryable: false },
        );
      }
      reporter = new AttestedLeaseReporter({
        akashChainId: a.hexsChainId,
        reports: this.reports,
        ops: this.o.ops,
        chains: this.chains,
        peers: this.o.cfg.peers,
        minCosigners: a.report.minCosigners,
        owner: this.akash.address,
      });
    } else {
      const { HexsMarket__factory } =
        await import("../../sdk/typechain/factories/contracts/evm/market/HexsMarket.sol/HexsMarket__factory");
      const { connectEvm } = await import("../sources/evm-provider");
      const byChain = new Map<string, EvmLeaseReporter>();
      for (const p of a.purchases) {
        const c = this.o.cfg.chains.find((x) => x.name === p.chain)!;
        if (c.type !== "evm") continue;
        // the chain's submitter key sends resolveDeployment and, by default, is paid the escrow
        const signer = new Wallet(this.o.keys.submitter(c), await connectEvm(c.rpc));
        byChain.set(
          String(c.hexsChainId),
          new EvmLeaseReporter(HexsMarket__factory.connect(p.market!, signer), signer, a.report.payee ?? signer.address),
        );
      }
      reporter = new DirectReporter(byChain);
    }
    this.pipeline = new LeasePipeline({
      store: this.leases,
      akash: this.akash,
      sdl,
      reporter,
      policy: a.policy,
      hooks: this.o.hooks,
    });
    if (a.topups) {
      const rates = Object.fromEntries(Object.entries(a.topups.rates).map(([k, v]) => [k.toLowerCase(), v]));
      // DAO spends land with a key that can move them: never the attestation key outside a devnet
      const receiver = a.topups.receiver ?? (this.o.keys.defaultSubmitter && new Wallet(this.o.keys.defaultSubmitter).address);
      if (!receiver)
        throw new ConfigError(
          "akash.topups.receiver: required when operator.submitterKey is not set (DAO spends must reach a key that signs transactions, never the attestation key)",
          "akash.topups.receiver",
        );
      const receivers = { evm: receiver, cosmwasm: a.topups.cosmosReceiver };
      this.topups = new EscrowTopups(this.leases, this.akash, receivers, rates, a.topups.capPerModelPerHour, (e) =>
        this.o.metrics?.topupsRefused.inc({ chain: e.sourceChain }),
      );
    }
    // a leased key that changes hands: the running deployment is handed to the new holder in place
    this.handovers = new LeaseHandovers({
      store: this.leases,
      akash: this.akash,
      sdl,
      backoffBaseMs: this.pipeline.policy.backoffBaseMs,
      backoffMaxMs: this.pipeline.policy.backoffMaxMs,
      txTimeoutMs: this.pipeline.policy.txTimeoutMs,
      pollMs: this.pipeline.policy.pollMs,
      maxAttempts: this.pipeline.policy.maxAttempts,
      hooks: this.o.handoverHooks,
      // attested mode: each done handover is reported over the Akash lane (direct mode has no such report)
      report: reporter.reportHandover && ((r, check) => reporter.reportHandover!(r, check)),
      holderOf: async (chain, keyId, modelId) => {
        const c = this.chains.get(Number(chain));
        if (!c) throw new AkashError("config_invalid", `the key's chain ${chain} is not in akash.purchases`, { retryable: true });
        return c.holderOf(keyId, modelId);
      },
      onReported: () => this.o.metrics?.leaseHandoversReported.inc(),
    });
    if (a.payouts) {
      // a failed handover's returned escrow is paid to the new holder on its chain, once
      const { connectEvm } = await import("../sources/evm-provider");
      const chains = new Map<string, AnyPayoutChain>();
      for (const [name, currency] of Object.entries(a.payouts.currency)) {
        const c = this.o.cfg.chains.find((x) => x.name === name);
        const key = c && (a.payouts.key ? readMnemonic(a.payouts.key) : this.o.keys.submitter(c));
        const rate = a.payouts.rates[currency.toLowerCase()];
        if (c?.type === "cosmwasm") {
          // Cosmos holders are paid by a bank send from the operator's account on the CosmWasm chain
          if (/^0x/i.test(currency))
            throw new ConfigError(
              `akash.payouts.currency.${name}: ${currency} is an EVM address; ${name} is the CosmWasm chain: name a bank denom`,
              "akash.payouts",
            );
          const { DirectSecp256k1Wallet } = await import("@cosmjs/proto-signing");
          const pk = typeof key === "string" ? key : key!.privateKey;
          const signer = await DirectSecp256k1Wallet.fromKey(Buffer.from(pk.replace(/^0x/, ""), "hex"), c.prefix);
          const [{ address }] = await signer.getAccounts();
          chains.set(String(c.hexsChainId), {
            kind: "cosmos",
            hexsChainId: String(c.hexsChainId),
            rpc: c.rpc,
            signer,
            address,
            prefix: c.prefix,
            denom: currency,
            gasPrice: c.gasPrice,
            rate,
          });
          continue;
        }
        if (c?.type !== "evm")
          throw new ConfigError(`akash.payouts.currency.${name}: not an EVM or CosmWasm chain of this relayer`, "akash.payouts");
        if (!/^0x/i.test(currency))
          throw new ConfigError(
            `akash.payouts.currency.${name}: ${currency} is not an address; an EVM chain pays its native coin (0x000…0) or an ERC-20`,
            "akash.payouts",
          );
        const provider = await connectEvm(c.rpc);
        const wallet = new Wallet(key!, provider);
        chains.set(String(c.hexsChainId), { hexsChainId: String(c.hexsChainId), provider, wallet, currency, rate });
      }
      this.payouts = new EscrowPayouts({
        store: this.leases,
        chains,
        backoffBaseMs: this.pipeline.policy.backoffBaseMs,
        backoffMaxMs: this.pipeline.policy.backoffMaxMs,
        pollMs: this.pipeline.policy.pollMs,
        stuckBlocks: a.payouts.stuckBlocks,
        maxFeeBumps: a.payouts.maxFeeBumps,
        onPaid: () => this.o.metrics?.leaseHandoverPayouts.inc(),
      });
    }
    const sink: FeedSink = {
      purchase: async (req) => {
        const row = await this.pipeline!.submit(req);
        this.log.info(
          { purchaseChain: req.purchaseChain, keyId: String(req.keyId), lease: row.id },
          "purchase with a deployment: lease job recorded",
        );
      },
      spend: async (e, evidence) => {
        await this.topups?.accept(e, evidence);
      },
      transfer: async (f) => {
        await this.handovers!.accept(f);
      },
    };
    this.loops = [...[...this.chains.values()].map((c) => this.feedLoop(c, sink)), this.workLoop()];
    this.log.info(
      { owner: this.akash.address, chainId, chains: [...this.chains.values()].map((c) => c.name), report: a.report.mode },
      "Akash lease service running",
    );
  }

  private async retrying<T>(what: string, f: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await f();
      } catch (e) {
        if (isPermanent(e)) throw e;
        if (this.stopping) throw e;
        const delay = nextAttemptDelayMs(attempt, { baseMs: 250, maxMs: 5_000, maxAttempts: Infinity });
        this.health("lease", false, `${what}: ${errorMessage(e)}`);
        this.log.warn({ what, attempt, retryInMs: delay, err: errorMessage(e) }, "Akash service: retrying");
        await this.pause(delay);
      }
    }
  }

  private async pause(ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (!this.stopping && Date.now() < end) await sleep(Math.min(100, end - Date.now()));
  }

  private async feedLoop(c: PurchaseChain, sink: FeedSink): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      try {
        const behind = await c.poll(sink);
        failures = 0;
        this.health(`lease-feed:${c.name}`, true);
        if (!behind) await this.pause(this.section.pollMs);
      } catch (e) {
        failures++;
        this.health(`lease-feed:${c.name}`, false, errorMessage(e));
        this.log.warn({ chain: c.name, err: errorMessage(e), attempt: failures }, "purchase feed poll failed; retrying");
        await this.pause(nextAttemptDelayMs(failures, { baseMs: 250, maxMs: 10_000, maxAttempts: Infinity }));
      }
    }
  }

  private async workLoop(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.pipeline!.runDue();
        await this.topups?.runDue();
        await this.handovers?.runDue();
        await this.handovers?.reportDue();
        await this.payouts?.runDue();
        // key expiry is each purchase chain's clock (a devnet's may run ahead of the wall clock)
        const times = new Map<string, number>();
        for (const c of this.chains.values()) times.set(String(c.hexsChainId), await c.time());
        const latest = Math.max(Math.floor(Date.now() / 1000), ...times.values());
        await this.pipeline!.closeExpired(
          latest,
          (row) => (row.expiresAt ?? 0) <= (times.get(row.purchaseChain) ?? Math.floor(Date.now() / 1000)),
        );
        this.health("lease-work", true);
      } catch (e) {
        this.health("lease-work", false, errorMessage(e));
        this.log.warn({ err: errorMessage(e) }, "lease work step failed");
      }
      await this.pause(Math.min(this.section.pollMs, this.pipeline!.policy.pollMs));
    }
  }

  private health(component: string, ok: boolean, error?: string): void {
    if (!ok) this.o.metrics?.leaseFailures.inc({ stage: component.replace(/:.*/, "") });
    this.o.onHealth?.(component, ok ? { ok } : { ok, error });
  }

  /** The relayer's HTTP hook: the co-signer's proposal endpoint. */
  async handle(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> {
    return this.cosigner ? this.cosigner.handle(req, res, pathname) : false;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.started?.catch(() => undefined);
    await Promise.all(this.loops);
    for (const c of this.chains.values()) await c.close().catch(() => undefined);
    this.payouts?.close();
    await this.akash?.close().catch(() => undefined);
    await this.leases?.close();
  }
}
