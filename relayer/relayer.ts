// One relayer process: sources → store → attest → sinks, plus the HTTP endpoint (attestations
// for peers, /healthz, /readyz, /metrics). Each source polls on its own loop with backoff on RPC
// errors; one delivery loop works lane by lane. SIGTERM (stop()) lets the current steps finish,
// then closes the store: nothing in flight is lost because every step is persisted first.
import * as http from "http";
import type { AddressInfo } from "net";
import { Collector, ownAttestation, parseLane, Signer } from "./attest";
import { checkRelayerSet, describeConfig, loadRelayerKeys, type RelayerConfig, type RelayerKeys } from "./config";
import { Deliverer } from "./deliver";
import { logger } from "./log";
import { Metrics } from "./metrics";
import { nextAttemptDelayMs, sleep } from "./retry";
import { CosmwasmSink } from "./sinks/cosmwasm";
import { EvmGatewaySink } from "./sinks/evm";
import type { Sink } from "./sinks/types";
import { CosmwasmSource } from "./sources/cosmwasm";
import { EvmSource } from "./sources/evm";
import type { Source } from "./sources/types";
import { OP_STATES, OpStore } from "./store";
import type { AkashService } from "./akash/service";
import type { HandoverHooks } from "./akash/handover";

export interface RelayerOptions {
  /** extra sinks keyed by Hexs chain id (e.g. the LayerZero executor) */
  extraSinks?: Map<number, Sink>;
  /** collect default process metrics (off in tests that run several relayers) */
  processMetrics?: boolean;
  /** the lease service's handover test hooks (crash simulation) */
  handoverHooks?: HandoverHooks;
}

interface Health {
  ok: boolean;
  lastOkAt: number;
  error?: string;
  head?: number;
  cursor?: number;
}

export class Relayer {
  readonly metrics: Metrics;
  /** the attestation key: signs batch roots only, never a transaction (those are the submitter keys') */
  readonly signer: Signer;
  private readonly keys: RelayerKeys;
  private readonly log = logger("relayer");
  private store?: OpStore;
  private deliverer?: Deliverer;
  private server?: http.Server;
  private stopping = false;
  private loops: Promise<void>[] = [];
  private readonly health = new Map<string, Health>();
  private sources: Source[] = [];
  private sinks = new Map<number, Sink>();
  private wake?: () => void;
  /** the optional Akash lease service (config `akash`; relayer/akash/service.ts) */
  akash?: AkashService;

  constructor(
    readonly cfg: RelayerConfig,
    private readonly opts: RelayerOptions = {},
  ) {
    this.keys = loadRelayerKeys(cfg);
    this.signer = new Signer(this.keys.attest);
    this.metrics = new Metrics(opts.processMetrics ?? false);
  }

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  /** ready = the store is open and every source and sink answered recently */
  ready(): boolean {
    if (!this.store || this.stopping) return false;
    const names = [...this.sources.map((s) => `source:${s.name}`), ...[...this.sinks.values()].map((s) => `sink:${s.name}`)];
    return names.every((n) => {
      const h = this.health.get(n);
      return h?.ok && Date.now() - h.lastOkAt < 60_000;
    });
  }

  /** the lease service started and each of its loops succeeded within the last minute */
  leasesReady(): boolean {
    const names = [...this.health.keys()].filter((n) => n === "lease" || n.startsWith("lease-"));
    return (
      names.includes("lease") &&
      names.every((n) => {
        const h = this.health.get(n)!;
        return h.ok && (n === "lease" || Date.now() - h.lastOkAt < 60_000);
      })
    );
  }

  /** the sink delivering to a Hexs chain (after start; diagnostics and tests) */
  sinkOf(hexsChainId: number): Sink | undefined {
    return this.sinks.get(hexsChainId);
  }

  async start(): Promise<void> {
    this.log.info({ config: describeConfig(this.cfg), operator: this.signer.address }, "starting");
    this.store = await OpStore.open(this.cfg.store);
    const store = this.store;
    for (const c of this.cfg.chains) {
      if (c.type === "evm") {
        this.sources.push(new EvmSource(c, store));
        if (c.gateway) {
          const sink = new EvmGatewaySink(c, this.keys.submitter(c), store);
          sink.onBump = (chain) => this.metrics.feeBumps.inc({ chain });
          sink.onTime = (part, seconds) =>
            this.metrics.stageTime.observe({ stage: `submit:${part}`, dst: c.hexsChainId }, seconds);
          this.sinks.set(c.hexsChainId, sink);
        }
      } else {
        this.sources.push(new CosmwasmSource(c, store));
        this.sinks.set(c.hexsChainId, new CosmwasmSink(c, this.keys.submitter(c), store));
      }
    }
    for (const [id, s] of this.opts.extraSinks ?? []) this.sinks.set(id, s);
    await this.listen();
    // ---- Akash lease service (config `akash`): purchases → lease pipeline, LeaseReported on the Akash lanes
    if (this.cfg.akash) {
      const { AkashService } = await import("./akash/service");
      this.akash = new AkashService({
        cfg: { ...this.cfg, akash: this.cfg.akash },
        keys: this.keys,
        ops: store,
        metrics: this.metrics,
        handoverHooks: this.opts.handoverHooks,
        onHealth: (component, h) => this.mark(component, h),
      });
      this.akash.launch(); // in the background: an unreachable Akash never holds up the sync lanes
    }
    // ---- end Akash
    const collector = new Collector(
      this.signer,
      this.cfg.peers,
      (peer) => this.metrics.forged.inc({ peer }),
      this.cfg.delivery.attestTimeoutMs,
    );
    const deliverer = (this.deliverer = new Deliverer(
      store,
      this.sinks,
      collector,
      this.metrics,
      this.cfg.delivery,
      this.cfg.instance,
      this.cfg.devnet,
    ));
    this.loops = [
      ...this.sources.map((s) => this.sourceLoop(s)),
      ...[...this.sinks.values()].map((s) => this.sinkProbe(s)),
      this.deliveryLoop(deliverer),
      this.gaugeLoop(),
    ];
  }

  private mark(name: string, h: Partial<Health> & { ok: boolean }): void {
    const prev = this.health.get(name);
    this.health.set(name, { ...prev, ...h, lastOkAt: h.ok ? Date.now() : (prev?.lastOkAt ?? 0) });
  }

  private async pause(ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (!this.stopping && Date.now() < end) await sleep(Math.min(100, end - Date.now()));
  }

  private async sourceLoop(s: Source): Promise<void> {
    const name = `source:${s.name}`;
    const log = logger(name);
    let initialized = false;
    let failures = 0;
    while (!this.stopping) {
      try {
        if (!initialized) {
          await s.init();
          initialized = true;
        }
        const r = await s.poll();
        failures = 0;
        this.mark(name, { ok: true, head: r.head, cursor: r.cursor, error: undefined });
        this.metrics.sourceLag.set({ chain: s.name }, Math.max(0, r.head - r.cursor));
        if (r.observed) this.wake?.();
        if (!r.behind) {
          // a websocket source wakes the loop on each new head; polling on the interval stays the fallback
          const head = s.nextHead?.();
          await (head ? Promise.race([this.pause(s.pollIntervalMs), head]) : this.pause(s.pollIntervalMs));
        }
      } catch (e) {
        failures++;
        // capped (chains[].retryMaxMs, 5 s by default): after an outage the source resumes
        // within seconds instead of sleeping through a long exponential delay
        const delay = nextAttemptDelayMs(failures, { baseMs: 250, maxMs: s.retryMaxMs ?? 5_000, maxAttempts: Infinity });
        this.mark(name, { ok: false, error: (e as Error).message });
        this.metrics.failures.inc({ stage: "source", chain: s.name });
        log.warn({ attempt: failures, retryInMs: delay, err: (e as Error).message }, "source poll failed; retrying with backoff");
        await this.pause(delay);
      }
    }
  }

  private async sinkProbe(s: Sink): Promise<void> {
    const name = `sink:${s.name}`;
    let failures = 0;
    let initialized = false;
    while (!this.stopping) {
      try {
        if (!initialized) {
          await s.init();
          initialized = true;
        }
        checkRelayerSet(await s.relayerSet(), this.cfg.devnet, s.name);
        failures = 0;
        this.mark(name, { ok: true, error: undefined });
        await this.pause(10_000);
      } catch (e) {
        failures++;
        this.mark(name, { ok: false, error: (e as Error).message });
        await this.pause(nextAttemptDelayMs(failures, { baseMs: 250, maxMs: 10_000, maxAttempts: Infinity }));
      }
    }
  }

  private async deliveryLoop(d: Deliverer): Promise<void> {
    const log = logger("deliver");
    while (!this.stopping) {
      let r: string;
      try {
        r = await d.step();
      } catch (e) {
        log.warn({ err: (e as Error).message }, "delivery step failed");
        r = "failed";
      }
      if (r === "delivered") continue;
      await Promise.race([
        this.pause(r === "idle" ? this.cfg.delivery.idleMs : 100),
        new Promise<void>((res) => (this.wake = res)),
      ]);
    }
  }

  private async gaugeLoop(): Promise<void> {
    while (!this.stopping) {
      try {
        const counts = await this.store!.counts();
        for (const s of OP_STATES) this.metrics.queueDepth.set({ state: s }, counts[s]);
        const leases = await this.akash?.leases?.counts();
        for (const [state, n] of Object.entries(leases ?? {})) this.metrics.leaseJobs.set({ state }, n);
        const handovers = await this.akash?.leases?.handoverCounts();
        for (const [state, n] of Object.entries(handovers ?? {})) this.metrics.leaseHandovers.set({ state }, n);
        const escrow = await this.akash?.leases?.handoverEscrow();
        for (const [outcome, uact] of Object.entries(escrow ?? {}))
          this.metrics.leaseHandoverEscrow.set({ outcome }, Number(uact));
      } catch {
        /* the store is closing */
      }
      await this.pause(2000);
    }
  }

  private async listen(): Promise<void> {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((e) => {
        res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ error: (e as Error).message }));
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(this.cfg.http.port, this.cfg.http.host, resolve);
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://x");
    const json = (code: number, body: unknown): void => {
      res.writeHead(code, { "content-type": "application/json" }).end(JSON.stringify(body));
    };
    if (url.pathname === "/healthz") return json(200, { ok: true });
    if (this.akash && (await this.akash.handle(req, res, url.pathname))) return; // Akash lease co-signing
    if (url.pathname === "/readyz") {
      const ready = this.ready();
      // the lease service never holds up the sync lanes' readiness; it reports its own
      const leases = this.akash ? { leasesReady: this.leasesReady() } : {};
      return json(ready ? 200 : 503, { ready, ...leases, components: Object.fromEntries(this.health) });
    }
    if (url.pathname === "/metrics") {
      res.writeHead(200, { "content-type": this.metrics.registry.contentType }).end(await this.metrics.registry.metrics());
      return;
    }
    const m = /^\/attestations\/([^/]+)\/(\d+)\/(\d+)$/.exec(url.pathname);
    if (m && req.method === "GET") {
      const lane = parseLane(m[1]);
      if (!lane) return json(400, { error: "lane must be <srcChain>-<dstChain>" });
      // evidence that the lane's submitter is at work (a stand-in waits longer before submitting too)
      this.deliverer?.noteAttestationRequest(lane, Number(m[2]));
      const a = await ownAttestation(this.store!, this.signer, lane, Number(m[2]), Number(m[3]));
      return a ? json(200, a) : json(404, { error: "not observed (yet) by this relayer" });
    }
    json(404, { error: "not found" });
  }

  /** Graceful stop: finish the current steps, close the HTTP server, sources, sinks and the store. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.wake?.();
    await Promise.all(this.loops);
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.server?.closeAllConnections();
    for (const s of this.sources) await s.close().catch(() => undefined);
    for (const s of this.sinks.values()) await s.close().catch(() => undefined);
    await this.akash?.stop().catch(() => undefined);
    await this.store?.close();
    this.log.info("stopped");
  }
}
