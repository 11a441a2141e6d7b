// Relayer benchmark on the devnet (devnet/network.ts): throughput each way by draining a
// pre-loaded backlog, and end-to-end latency at low load.
//
//   npx ts-node --transpile-only bench/relayer.ts      -> bench/results/relayer.json + a table
//
// Needs the devnet's default ports free (:8545, :8546, :26657-26659, :9090, :7101-7103): it
// starts its own devnet in .devnet/bench and stops every process it started at the end, also
// on error or Ctrl-C.
//
// 1. EVM chain A → CosmWasm: real purchases on chain A (each records KeyMinted + PurchaseSettled
//    in the hub's journal) are loaded with the relayers stopped; the relayers are started and the
//    contract's inbound lane nonce from chain A (`lanes {}`) is polled every 50 ms until it
//    reaches the journal's last entry.
// 2. CosmWasm → EVM chain A: the relayers are stopped, purchases are loaded on wasmd (many
//    BuyKey messages per transaction; each emits KeyMinted + PurchaseSettled on every peer lane,
//    so chain B's lane carries the same load), the relayers are started again and
//    `hub.lane(100).inbound` on chain A is polled until it reaches the contract's outbound nonce.
// 3. Latency, relayers running, one purchase at a time each way: from the source block that
//    includes the transaction (the first moment a 25 ms poll of the source RPC sees that height)
//    to the first 50 ms poll that sees the destination's lane nonce reach the purchase's last
//    message.
//
// Environment (all optional): BENCH_MESSAGES (backlog per direction, default 600),
// BENCH_SAMPLES (latency samples each way, default 20), BENCH_MAX_BATCH, BENCH_EVM_MAX_BATCH
// (messages per gateway batch toward the EVM chains, chains[].maxBatch; default 256, still cut at
// the gas budget chains[].batchGas), BENCH_PIPELINE (batches in flight per lane, the relayer's
// delivery.pipeline), BENCH_POLL_MS,
// BENCH_CONFIRMATIONS (relayer tuning; defaults are the devnet's), BENCH_OUT (result file, for
// variants), HEXS_LOG_LEVEL.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ZeroAddress, id as topicOf, toBeHex, type Signer } from "ethers";
import { connectComet, type CometClient } from "@cosmjs/tendermint-rpc";
import type { ExecuteInstruction } from "@cosmjs/cosmwasm-stargate";
import type { LanesResponse } from "../sdk/cosmwasm/Hexs.types";
import { COSMOS_CHAIN, ROOT, type EvmChain, evmNodeAllocatorEnv, portFree } from "../devnet/chains";
import { startDevnet, type Devnet } from "../devnet/network";
import { Supervisor } from "../devnet/procs";
import { readTap } from "../devnet/rpc-tap";
import { DEFAULT_TUNING, type RelayerTuning } from "../devnet/relayers";
import { HexsHub__factory, HexsHubLens__factory, HexsMarket__factory, type HexsHub } from "../sdk/typechain";
import { publishMsg } from "../devnet/wasmd";
import { publishPriced, stopOnExit } from "./lib";

const OUT = path.resolve(ROOT, process.env.BENCH_OUT ?? "bench/results/relayer.json");
const DIR = path.join(ROOT, ".devnet/bench");
const EVM_BLOCK_MS = 1000;
const DEST_POLL_MS = 50;
const SOURCE_POLL_MS = 25;
const SLACK_MS = 250;
const TARGET_RATE = 100;

const envInt = (name: string, dflt: number): number => {
  const v = process.env[name];
  if (v === undefined || v === "") return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name}=${v}: expected a positive integer`);
  return n;
};

const MESSAGES = envInt("BENCH_MESSAGES", 600);
const EVM_MAX_BATCH = envInt("BENCH_EVM_MAX_BATCH", 256);
const SAMPLES = envInt("BENCH_SAMPLES", 20);
const NODE_LOGGING = process.env.BENCH_NODE_LOGGING === "1";
// BENCH_WARM_GATEWAY=<n> (diagnostic): before phase 2 the running relayers deliver n wasmd purchases
// (2n messages per EVM lane, and the model's registration) through both EVM gateways, so the
// backlog's block is not the first gateway block either node mines (default 0: not done)
const WARM_GATEWAY = envInt("BENCH_WARM_GATEWAY", 0);
// BENCH_RPC_TAP=1: every call to the EVM nodes goes through a recording proxy (devnet/rpc-tap.ts)
// and the drain toward EVM A is broken down by method, block tag and calling process. The proxy
// adds a hop to every call, so figures from such a run are not the benchmark's.
const RPC_TAP = process.env.BENCH_RPC_TAP === "1" ? path.join(DIR, "rpc-tap") : undefined;
const TUNING: RelayerTuning = {
  evmConfirmations: process.env.BENCH_CONFIRMATIONS ? Number(process.env.BENCH_CONFIRMATIONS) : DEFAULT_TUNING.evmConfirmations,
  pollIntervalMs: envInt("BENCH_POLL_MS", DEFAULT_TUNING.pollIntervalMs),
  maxBatch: envInt("BENCH_MAX_BATCH", DEFAULT_TUNING.maxBatch),
  ...(process.env.BENCH_PIPELINE ? { pipeline: envInt("BENCH_PIPELINE", 8) } : {}),
};

const t0 = Date.now();
const say = (line: string): void => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${line}`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const modelId = (chain: number, serial: number): bigint => (BigInt(chain) << 32n) | BigInt(serial);

const DEVNET_PORTS = [8545, 8546, 26657, 26658, 26659, 9090, 7101, 7102, 7103];

/** Someone else's devnet or wasmd test may hold the default ports: wait (politely) until they are free twice in a row. */
async function waitForFreePorts(timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  let told = false;
  let streak = 0;
  for (;;) {
    const busy: number[] = [];
    for (const p of DEVNET_PORTS) if (!(await portFree(p))) busy.push(p);
    streak = busy.length ? 0 : streak + 1;
    if (streak >= 2) return;
    if (busy.length && !told) {
      say(
        `port(s) ${busy.join(", ")} in use (another devnet or wasmd test?): waiting up to ${timeoutMs / 1000} s for them to be free`,
      );
      told = true;
    }
    if (Date.now() > until) throw new Error(`port(s) ${busy.join(", ")} on 127.0.0.1 still in use after ${timeoutMs / 1000} s`);
    await sleep(3000);
  }
}

/** First moment each block height was seen on a source RPC (polled every `everyMs`). */
class HeightWatcher {
  private readonly seen = new Map<number, number>();
  private first = 0;
  private last = 0;
  private stopped = false;
  private loop?: Promise<void>;

  constructor(
    private readonly read: () => Promise<number>,
    private readonly everyMs = SOURCE_POLL_MS,
  ) {}

  start(): this {
    this.loop = (async () => {
      while (!this.stopped) {
        try {
          const h = await this.read();
          const now = Date.now();
          if (this.last === 0) {
            this.first = this.last = h;
            this.seen.set(h, now);
          }
          for (let x = this.last + 1; x <= h; x++) this.seen.set(x, now);
          if (h > this.last) this.last = h;
        } catch {
          /* transient: the next poll tells */
        }
        await sleep(this.everyMs);
      }
    })();
    return this;
  }

  get height(): number {
    return this.last;
  }

  /** when `h` was first seen (waits for it); undefined for heights before the watcher started */
  async when(h: number, timeoutMs = 30_000): Promise<number | undefined> {
    const until = Date.now() + timeoutMs;
    while (this.last < h) {
      if (Date.now() > until) throw new Error(`height ${h} not seen within ${timeoutMs} ms (at ${this.last})`);
      await sleep(5);
    }
    return h > this.first ? this.seen.get(h) : undefined;
  }

  /** intervals between consecutive heights first seen in [fromMs, toMs] */
  intervals(fromMs = 0, toMs = Infinity): number[] {
    const out: number[] = [];
    for (let h = this.first + 2; h <= this.last; h++) {
      const a = this.seen.get(h - 1)!;
      const b = this.seen.get(h)!;
      if (a >= fromMs && b <= toMs) out.push(b - a);
    }
    return out;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}

/**
 * Polls an EVM node's eth_blockNumber every `everyMs` on its own connection: when each new block
 * was first seen and which answers took longer than `slowMs` (a node serves one request at a
 * time, so a long answer is time it spent on something else, such as mining a block).
 */
class NodeProbe {
  readonly blocks: { ms: number; height: number }[] = [];
  readonly slow: { ms: number; tookMs: number }[] = [];
  longestMs = 0;
  private stopped = false;
  private loop?: Promise<void>;

  constructor(
    private readonly url: string,
    private readonly t0: number,
    private readonly everyMs = 20,
    private readonly slowMs = 150,
  ) {}

  start(): this {
    this.loop = (async () => {
      let last = -1;
      while (!this.stopped) {
        const t = Date.now();
        try {
          const r = (await (
            await fetch(this.url, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] }),
            })
          ).json()) as { result: string };
          const took = Date.now() - t;
          this.longestMs = Math.max(this.longestMs, took);
          if (took >= this.slowMs) this.slow.push({ ms: t - this.t0, tookMs: took });
          const h = Number(r.result);
          if (h !== last) this.blocks.push({ ms: Date.now() - this.t0, height: h });
          last = h;
        } catch {
          /* the next poll tells */
        }
        await sleep(this.everyMs);
      }
    })();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}

/**
 * CPU time (user + system, from /proc) of the devnet's processes and of the whole machine, sampled
 * every `everyMs`: `between(a, b)` says which process used how much CPU in a window, and how much
 * the rest of the machine (other work) used, so a slow node can be told from a starved one.
 */
class CpuSampler {
  private readonly samples: {
    t: number;
    machineBusyMs: number;
    byName: Map<string, number>;
    faultsByName: Map<string, number>;
  }[] = [];
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly pids: () => { name: string; pid: number }[],
    private readonly everyMs = 100,
  ) {}

  /** [CPU clock ticks, minor page faults] of a process so far */
  private static ticks(pid: number): [number, number] | undefined {
    try {
      // fields after the command's closing parenthesis: state is field 3, minflt 10, utime 14, stime 15
      const rest = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
      return [Number(rest[11]) + Number(rest[12]), Number(rest[7])];
    } catch {
      return undefined;
    }
  }

  private sample(): void {
    const cpu = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    const busy = cpu.reduce((a, b) => a + b, 0) - cpu[3] - (cpu[4] ?? 0); // all but idle and iowait
    const byName = new Map<string, number>();
    const faultsByName = new Map<string, number>();
    for (const { name, pid } of this.pids()) {
      const t = CpuSampler.ticks(pid);
      if (t !== undefined) {
        byName.set(name, t[0] * 10);
        faultsByName.set(name, t[1]);
      }
    }
    byName.set("bench", Math.round((process.cpuUsage().user + process.cpuUsage().system) / 1000));
    this.samples.push({ t: Date.now(), machineBusyMs: busy * 10, byName, faultsByName });
  }

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.everyMs);
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  /**
   * CPU ms per process and for the machine in [from, to] (nearest samples), and the EVM nodes' minor
   * page faults (fresh memory touched; a transparent huge page counts once); a process started
   * inside counts from 0
   */
  between(
    from: number,
    to: number,
  ): {
    wallMs: number;
    machineBusyMs: number;
    byProcess: Record<string, number>;
    rest: number;
    nodePageFaults: Record<string, number>;
  } {
    const a = [...this.samples].reverse().find((x) => x.t <= from) ?? this.samples[0];
    const b = this.samples.find((x) => x.t >= to) ?? this.samples.at(-1)!;
    const byProcess: Record<string, number> = {};
    for (const [name, ms] of b.byName) byProcess[name] = ms - (a.byName.get(name) ?? 0);
    const nodePageFaults: Record<string, number> = {};
    for (const [name, n] of b.faultsByName)
      if (name.startsWith("node-")) nodePageFaults[name] = n - (a.faultsByName.get(name) ?? 0);
    const machineBusyMs = b.machineBusyMs - a.machineBusyMs;
    const ours = Object.values(byProcess).reduce((x, y) => x + y, 0);
    return { wallMs: b.t - a.t, machineBusyMs, byProcess, rest: machineBusyMs - ours, nodePageFaults };
  }
}

/** "batch submitted" lines toward `dst` in the operators' current logs, in ms since `t0`, with their parts. */
function submissionsOf(
  net: Devnet,
  dst: number,
  t0: number,
): { op: string; ms: number; count: number; parts: Record<string, number> }[] {
  const out: { op: string; ms: number; count: number; parts: Record<string, number> }[] = [];
  for (const op of net.operators) {
    let text: string;
    try {
      text = fs.readFileSync(path.join(net.dir, "logs", `${op.name}.log`), "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n")) {
      if (!line.includes('"batch submitted"')) continue;
      try {
        const j = JSON.parse(line) as { time: number; lane: { dst: number }; count: number; ms: Record<string, number> };
        if (j.lane.dst === dst && j.time >= t0) out.push({ op: op.name, ms: j.time - t0, count: j.count, parts: j.ms });
      } catch {
        /* not a log record */
      }
    }
  }
  return out.sort((x, y) => x.ms - y.ms);
}

function quantile(xs: number[], q: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1)); // nearest rank
  return s[i];
}
const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const round = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d;

interface Sample {
  t: number;
  n: number;
}

interface DrainResult {
  messages: number;
  target: number;
  /** relayer processes spawned → all answer /readyz */
  startupMs: number;
  firstDeliveryAfterReadyMs: number;
  /** messages delivered after the first observed delivery, over the time from it to the last */
  sustainedPerSec: number;
  /** every backlog message over the time from "all relayers ready" to the last delivery */
  fromReadyPerSec: number;
  /** every backlog message over the time from spawning the relayers to the last delivery */
  fromSpawnPerSec: number;
  drainMs: number;
  progress: { ms: number; n: number }[];
}

/** Start the relayers and poll `read` every 50 ms until it reaches `target`. */
/** The process a PID belongs to: itself or its nearest ancestor the supervisor started. */
function processName(pid: number | undefined, sup: Supervisor): string {
  const names = new Map(sup.status().map((c) => [c.pid, c.name]));
  for (let p = pid ?? 0, hops = 0; p > 1 && hops < 10; hops++) {
    if (p === process.pid) return "benchmark";
    const n = names.get(p);
    if (n) return n;
    try {
      p = Number(fs.readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1].split(" ")[1]);
    } catch {
      break;
    }
  }
  return pid ? `pid ${pid}` : "unknown";
}

/** Calls recorded by the RPC tap in [from, to]: count and node time (ms) per method + block tag, and per process. */
function tapSummary(
  file: string,
  sup: Supervisor,
  from: number,
  to: number,
): {
  byMethod: Record<string, { n: number; ms: number; maxMs: number }>;
  byProcess: Record<string, Record<string, number>>;
  /** the calls that waited longest (ms after `from`): a node busy mining or executing answers nothing else */
  slowest: { atMs: number; ms: number; call: string; by: string }[];
} {
  const byMethod: Record<string, { n: number; ms: number; maxMs: number }> = {};
  const byProcess: Record<string, Record<string, number>> = {};
  const calls = readTap(file, from, to);
  const slowest = [...calls]
    .sort((x, y) => y.ms - x.ms)
    .slice(0, 10)
    .map((r) => ({ atMs: r.t - from, ms: r.ms, call: r.tag ? `${r.m} ${r.tag}` : r.m, by: processName(r.pid, sup) }));
  for (const r of calls) {
    const k = r.tag ? `${r.m} ${r.tag}` : r.m;
    const m = (byMethod[k] ??= { n: 0, ms: 0, maxMs: 0 });
    m.n++;
    m.ms = round(m.ms + r.ms);
    m.maxMs = Math.max(m.maxMs, r.ms);
    const p = (byProcess[processName(r.pid, sup)] ??= {});
    p[k] = (p[k] ?? 0) + 1;
  }
  return { byMethod, byProcess, slowest };
}

async function drain(
  net: Devnet,
  read: () => Promise<number>,
  target: number,
  timeoutMs: number,
): Promise<{ r: DrainResult; tSpawn: number; tEnd: number }> {
  const samples: Sample[] = [];
  const start = await read();
  const tSpawn = Date.now();
  const poller = (async () => {
    const until = tSpawn + timeoutMs;
    for (;;) {
      try {
        const n = await read();
        samples.push({ t: Date.now(), n });
        if (n >= target) return;
      } catch {
        /* retry */
      }
      if (Date.now() > until)
        throw new Error(`drain timed out after ${timeoutMs / 1000} s at ${samples.at(-1)?.n ?? start} of ${target}`);
      await sleep(DEST_POLL_MS);
    }
  })();
  await net.startRelayers();
  const tReady = Date.now();
  await poller;
  const tEnd = samples.at(-1)!.t;
  const first = samples.find((s) => s.n > start)!;
  const nAtReady = [...samples].reverse().find((s) => s.t <= tReady)?.n ?? start;
  const backlog = target - start;
  const sustained = first.t < tEnd ? (target - first.n) / ((tEnd - first.t) / 1000) : NaN;
  // thin the progress curve: one point per change
  const progress: { ms: number; n: number }[] = [];
  for (const s of samples) if (!progress.length || progress.at(-1)!.n !== s.n) progress.push({ ms: s.t - tSpawn, n: s.n });
  return {
    tSpawn,
    tEnd,
    r: {
      messages: backlog,
      target,
      startupMs: tReady - tSpawn,
      firstDeliveryAfterReadyMs: first.t - tReady,
      sustainedPerSec: round(sustained),
      fromReadyPerSec: round(tEnd > tReady ? (target - nAtReady) / ((tEnd - tReady) / 1000) : NaN),
      fromSpawnPerSec: round(backlog / ((tEnd - tSpawn) / 1000)),
      drainMs: tEnd - first.t,
      progress,
    },
  };
}

const RECORDED = topicOf("Recorded(uint64,uint8,bytes)");

/** The last journal entry a transaction recorded in `hub` (its lane nonce on every lane). */
function lastEntry(receipt: { logs: readonly { address: string; topics: readonly string[] }[] }, hub: string): number {
  let n = 0;
  for (const l of receipt.logs)
    if (l.address.toLowerCase() === hub.toLowerCase() && l.topics[0] === RECORDED) n = Math.max(n, Number(BigInt(l.topics[1])));
  if (!n) throw new Error("the purchase recorded nothing in the hub's journal");
  return n;
}

/** Stop the operator processes (by the PIDs the supervisor started), waiting for each to exit. */
async function stopOperators(net: Devnet, expected: Set<number>): Promise<void> {
  await Promise.all(
    net.operators.map(async (op) => {
      const c = op.child;
      if (!c || c.proc.exitCode !== null || c.proc.signalCode !== null) return;
      expected.add(c.pid);
      const exited = new Promise<void>((r) => c.proc.once("exit", () => r()));
      process.kill(c.pid, "SIGTERM");
      const kill = setTimeout(() => {
        try {
          process.kill(c.pid, "SIGKILL");
        } catch {
          /* gone */
        }
      }, 15_000);
      await exited;
      clearTimeout(kill);
    }),
  );
}

/**
 * Batch size toward the EVM chains (chains[].maxBatch in each operator's config, written by the
 * devnet before the relayers start): the gateway has no cap of its own, unlike the wasmd contract.
 */
function setEvmMaxBatch(net: Devnet, maxBatch: number): void {
  for (const op of net.operators) {
    const cfg = JSON.parse(fs.readFileSync(op.configFile, "utf8")) as { chains: { type: string; maxBatch?: number }[] };
    for (const c of cfg.chains) if (c.type === "evm") c.maxBatch = maxBatch;
    fs.writeFileSync(op.configFile, JSON.stringify(cfg, null, 2) + "\n");
  }
}

/**
 * How many destination blocks the drain's batches occupied (first to last, inclusive) and the
 * backlog over that many block intervals: on a chain with fixed blocks, the rate a destination
 * sees (a backlog landing in one 1 s block is 600 msg/s, where "sustained" has no interval).
 */
function perBlock(heights: number[], messages: number, blockMs: number): { blocks: number; perSec: number } {
  if (!heights.length) return { blocks: 0, perSec: NaN };
  const blocks = Math.max(...heights) - Math.min(...heights) + 1;
  return { blocks, perSec: round(messages / ((blocks * blockMs) / 1000)) };
}

/** Relayer counters from each operator's /metrics. */
async function scrapeMetrics(net: Devnet): Promise<Record<string, Record<string, number>>> {
  const keep =
    /^(hexs_relayer_(deliveries_total|already_delivered_total|duplicate_submissions_total|failures_total|forged_attestations_total|fee_bumps_total|end_to_end_seconds_(sum|count)|stage_seconds_(sum|count)))(\{[^}]*\})? ([0-9.e+-]+)$/;
  const out: Record<string, Record<string, number>> = {};
  for (const op of net.operators) {
    const row: Record<string, number> = {};
    try {
      const text = await (await fetch(`http://127.0.0.1:${op.httpPort}/metrics`, { signal: AbortSignal.timeout(3000) })).text();
      for (const line of text.split("\n")) {
        const m = keep.exec(line);
        if (m) row[`${m[1]}${m[5] ?? ""}`] = Number(m[6]);
      }
    } catch (e) {
      row.error = NaN;
      say(`could not read ${op.name}'s /metrics: ${(e as Error).message}`);
    }
    out[op.name] = row;
  }
  return out;
}

/**
 * Where the lane steps' time went toward `dst`, summed over the operators (hexs_relayer_stage_seconds):
 * per stage, how many stage runs, their total seconds and mean milliseconds.
 */
function stageBreakdown(
  metrics: Record<string, Record<string, number>>,
  dst: number,
): Record<string, { runs: number; totalS: number; meanMs: number }> {
  const out: Record<string, { runs: number; totalS: number; meanMs: number }> = {};
  for (const row of Object.values(metrics))
    for (const [k, v] of Object.entries(row)) {
      const m = /^hexs_relayer_stage_seconds_(sum|count)\{stage="([^"]+)",dst="(\d+)"\}$/.exec(k);
      if (!m || Number(m[3]) !== dst) continue;
      const e = (out[m[2]] ??= { runs: 0, totalS: 0, meanMs: 0 });
      if (m[1] === "sum") e.totalS += v;
      else e.runs += v;
    }
  for (const e of Object.values(out)) {
    e.meanMs = e.runs ? round((e.totalS * 1000) / e.runs, 2) : 0;
    e.totalS = round(e.totalS, 2);
  }
  return out;
}

/** What each operator's log says it did: submitted batches per lane, warnings by message. */
function operatorLogSummary(
  net: Devnet,
  suffix: string,
): Record<string, { submitted: Record<string, { batches: number; messages: number }>; warnings: Record<string, number> }> {
  const out: Record<
    string,
    { submitted: Record<string, { batches: number; messages: number }>; warnings: Record<string, number> }
  > = {};
  for (const op of net.operators) {
    const file = path.join(net.dir, "logs", `${op.name}${suffix}.log`);
    const s = { submitted: {} as Record<string, { batches: number; messages: number }>, warnings: {} as Record<string, number> };
    let text = "";
    try {
      text = fs.readFileSync(file, "utf8");
    } catch {
      /* none */
    }
    for (const line of text.split("\n")) {
      if (!line.startsWith("{")) continue;
      let j: { level?: number; msg?: string; lane?: { src: number; dst: number }; count?: number };
      try {
        j = JSON.parse(line);
      } catch {
        continue;
      }
      if (j.msg === "batch submitted" && j.lane) {
        const k = `${j.lane.src}->${j.lane.dst}`;
        s.submitted[k] ??= { batches: 0, messages: 0 };
        s.submitted[k].batches++;
        s.submitted[k].messages += j.count ?? 0;
      } else if ((j.level ?? 0) >= 40 && j.msg) {
        s.warnings[j.msg] = (s.warnings[j.msg] ?? 0) + 1;
      }
    }
    out[op.name] = s;
  }
  return out;
}

function keepLogs(net: Devnet, suffix: string): void {
  for (const op of net.operators) {
    const f = path.join(net.dir, "logs", `${op.name}.log`);
    if (fs.existsSync(f)) fs.copyFileSync(f, path.join(net.dir, "logs", `${op.name}${suffix}.log`));
  }
}

function histogramOf(xs: number[]): Record<string, number> {
  const h: Record<string, number> = {};
  for (const x of xs) h[x] = (h[x] ?? 0) + 1;
  return h;
}

function sizeStats(sizes: number[]): {
  batches: number;
  min: number;
  p50: number;
  max: number;
  mean: number;
  histogram: Record<string, number>;
} {
  return {
    batches: sizes.length,
    min: Math.min(...sizes),
    p50: quantile(sizes, 0.5),
    max: Math.max(...sizes),
    mean: round(mean(sizes)),
    histogram: histogramOf(sizes),
  };
}

/** destination blocks between consecutive applied batches (0: two batches in one block) */
function blockGaps(heights: number[]): { p50: number; histogram: Record<string, number> } {
  const gaps = heights.slice(1).map((h, i) => h - heights[i]);
  return { p50: quantile(gaps, 0.5), histogram: histogramOf(gaps) };
}

/** receive_batch transactions on wasmd between two heights: applied batch sizes from `src`, failed transactions. */
async function cosmosBatches(
  comet: CometClient,
  contract: string,
  src: number,
  from: number,
  to: number,
): Promise<{ sizes: number[]; heights: number[]; failedTxs: number; blocks: number }> {
  const sizes: number[] = [];
  const heights: number[] = [];
  let failedTxs = 0;
  for (let h = from; h <= to; h++) {
    const res = await comet.blockResults(h);
    for (const tx of res.results) {
      if (tx.code !== 0) {
        failedTxs++;
        continue;
      }
      for (const ev of tx.events) {
        if (ev.type !== "wasm") continue;
        const a = Object.fromEntries(ev.attributes.map((x) => [x.key, x.value]));
        if (a._contract_address === contract && a.action === "receive_batch" && Number(a.src) === src) {
          sizes.push(Number(a.last_nonce) - Number(a.first_nonce) + 1);
          heights.push(h);
        }
      }
    }
  }
  return { sizes, heights, failedTxs, blocks: to - from + 1 };
}

/** Gateway submissions on an EVM chain between two blocks: applied batch sizes from `src` (BatchApplied), reverted submissions. */
async function evmBatches(
  c: EvmChain,
  hub: HexsHub,
  src: number,
  from: number,
  to: number,
): Promise<{ sizes: number[]; heights: number[]; submissions: number; reverted: number; blocks: number }> {
  const logs = await hub.queryFilter(hub.filters.BatchApplied(src), from, to);
  const sizes = logs.map((l) => Number(l.args.lastNonce) - Number(l.args.firstNonce) + 1);
  const heights = logs.map((l) => l.blockNumber);
  const gateway = c.addresses.AttestationGateway.toLowerCase();
  let submissions = 0;
  let reverted = 0;
  for (let h = from; h <= to; h++) {
    const b = (await c.provider.send("eth_getBlockByNumber", [toBeHex(h), true])) as {
      transactions: { hash: string; to: string | null }[];
    } | null;
    for (const tx of b?.transactions ?? []) {
      if (tx.to?.toLowerCase() !== gateway) continue;
      submissions++;
      const r = await c.provider.getTransactionReceipt(tx.hash);
      if (r?.status !== 1) reverted++;
    }
  }
  return { sizes, heights, submissions, reverted, blocks: to - from + 1 };
}

async function main(): Promise<void> {
  const sup = new Supervisor(path.join(DIR, "logs"));
  const expectedExits = new Set<number>();
  let failure: Error | undefined;
  const stop = stopOnExit(sup, say, expectedExits, (e) => (failure = e));
  const loadAtStart = os.loadavg();
  const comets: CometClient[] = [];
  const watchers: HeightWatcher[] = [];
  try {
    say(
      `relayer benchmark: backlog ${MESSAGES} messages each way, ${SAMPLES} latency samples each way; tuning ${JSON.stringify(TUNING)}; load ${loadAtStart.map((x) => x.toFixed(2)).join(" ")}`,
    );
    // automine off: EVM blocks only every EVM_BLOCK_MS, as the benchmark states (hardhat would
    // otherwise also mine each transaction at once, e.g. every relayer submission)
    await waitForFreePorts(envInt("BENCH_WAIT_PORTS_S", 900) * 1000);
    if (RPC_TAP) {
      fs.rmSync(RPC_TAP, { recursive: true, force: true });
      process.env.HEXS_RPC_TAP = RPC_TAP;
    }
    // services: false — the key service and the Akash stand-in would only add load to the measurement.
    const net = await startDevnet({
      dir: DIR,
      sup,
      say,
      tuning: TUNING,
      startRelayers: false,
      blockTimeMs: EVM_BLOCK_MS,
      automine: false,
      services: false,
    });
    setEvmMaxBatch(net, EVM_MAX_BATCH);
    // `hardhat node` prints every request and every mined transaction (decoding each call against
    // the artifacts); measured on a quiet node (bench/gateway-node.ts) that makes an eth_call of a
    // 200-message batch ≈ 10× and an evm_mine of 600 messages ≈ 5× slower. The benchmark measures
    // the relayers, so its nodes stop logging once deployed (BENCH_NODE_LOGGING=1 keeps it).
    if (!NODE_LOGGING) for (const c of net.evm) await c.provider.send("hardhat_setLoggingEnabled", [false]);
    const [a, b] = net.evm;
    const cosmos = net.cosmos;
    const comet = await connectComet(cosmos.env.rpc);
    comets.push(comet);
    const hubA = HexsHub__factory.connect(a.addresses.HexsHub, a.provider);
    const lensA = HexsHubLens__factory.connect(a.addresses.HexsHubLens, a.provider);
    const hubB = HexsHub__factory.connect(b.addresses.HexsHub, b.provider);
    const cwLanes = async (): Promise<LanesResponse> =>
      (await cosmos.admin.client.queryContractSmart(cosmos.contract, { lanes: {} })) as LanesResponse;
    const cwInbound = async (src: number): Promise<number> => (await cwLanes()).inbound.find((l) => l.chain === src)?.nonce ?? 0;
    const cwOutbound = async (dst: number): Promise<number> =>
      (await cwLanes()).outbound.find((l) => l.chain === dst)?.nonce ?? 0;
    const evmInbound = async (hub: HexsHub): Promise<number> => Number((await hub.lane(COSMOS_CHAIN)).inbound);

    // ---------------------------------------------------------------- 1. EVM A → CosmWasm
    say(`\n── 1. throughput EVM chain A → CosmWasm: loading purchases on ${a.label} (relayers stopped)`);
    const marketA = HexsMarket__factory.connect(a.addresses.HexsMarket, a.provider);
    const priceWei = 1_000_000_000_000n; // 1e-6 ETH
    const evmModel = await publishPriced(a, await a.signer(2), "lighthouse://bafkreibenchmodel", priceWei);
    const accounts = (await a.provider.send("eth_accounts", [])) as string[];
    const buyers = accounts.slice(10, 20); // 0: deployer/funder, 2: alice, 9: LayerZero executor
    const buyData = (to: string) => marketA.interface.encodeFunctionData("buy", [evmModel, ZeroAddress, to, "0x", "0x"]);
    // How many journal entries one purchase records (KeyMinted; PurchaseSettled too where the hub records it).
    const [before] = await lensA.journal(hubA);
    const probe = (await a.provider.send("eth_sendTransaction", [
      { from: buyers[0], to: a.addresses.HexsMarket, data: buyData(buyers[0]), value: toBeHex(priceWei), gas: toBeHex(400_000) },
    ])) as string;
    await a.provider.waitForTransaction(probe, 1, 30_000);
    const perBuy = Number((await lensA.journal(hubA))[0] - before);
    const evmBuys = Math.max(1, Math.ceil((MESSAGES - Number(before) - perBuy) / perBuy));
    say(`one purchase records ${perBuy} journal entr${perBuy === 1 ? "y" : "ies"}: loading ${evmBuys} more`);
    const tLoad = Date.now();
    const hashes: string[] = [];
    for (let i = 0; i < evmBuys; i += 50) {
      const chunk = Array.from({ length: Math.min(50, evmBuys - i) }, (_, j) => buyers[(i + j) % buyers.length]);
      hashes.push(
        ...(await Promise.all(
          chunk.map(
            (from) =>
              a.provider.send("eth_sendTransaction", [
                { from, to: a.addresses.HexsMarket, data: buyData(from), value: toBeHex(priceWei), gas: toBeHex(400_000) },
              ]) as Promise<string>,
          ),
        )),
      );
    }
    let failedBuys = 0;
    let lastBlock = 0;
    for (const h of hashes) {
      const r = await a.provider.waitForTransaction(h, 1, 120_000);
      if (r?.status !== 1) failedBuys++;
      lastBlock = Math.max(lastBlock, r?.blockNumber ?? 0);
    }
    if (failedBuys) throw new Error(`${failedBuys} of ${evmBuys} purchases on ${a.label} failed`);
    const [journalA] = await lensA.journal(hubA);
    const targetA = Number(journalA);
    say(
      `${evmBuys} purchases from ${buyers.length} accounts mined in ${((Date.now() - tLoad) / 1000).toFixed(1)} s (up to block ${lastBlock}); hub journal holds ${targetA} entries → backlog of ${targetA} messages for the CosmWasm lane`,
    );
    const h1 = (await comet.status()).syncInfo.latestBlockHeight;
    say("starting the three relayer operators and polling the contract's lane nonce every 50 ms…");
    const load: Record<string, number[]> = { phase1: os.loadavg() };
    const d1 = await drain(net, () => cwInbound(a.hexsChainId), targetA, 600_000);
    const h1end = (await comet.status()).syncInfo.latestBlockHeight;
    say(
      `drained ${d1.r.messages} messages: ${d1.r.sustainedPerSec} msg/s sustained (first → last delivery, ${(d1.r.drainMs / 1000).toFixed(2)} s), ${d1.r.fromReadyPerSec} msg/s from all relayers ready`,
    );
    const batches1 = await cosmosBatches(comet, cosmos.contract, a.hexsChainId, h1 + 1, h1end);
    const metrics1 = await scrapeMetrics(net);

    // ---------------------------------------------------------------- 2. CosmWasm → EVM A
    say(`\n── 2. throughput CosmWasm → EVM chain A: stopping the relayers, loading purchases on wasmd`);
    const [alicecw, bob, carol] = [cosmos.users.alice, cosmos.users.bob, cosmos.users.carol];
    const publishCw = async (): Promise<string> => {
      const pub = await alicecw.client.execute(
        alicecw.address,
        cosmos.contract,
        publishMsg({ sdlUri: "lighthouse://bafkreibenchcosmos", price: "1000", deployPrice: "0", forkRoyaltyBps: 0 }),
        "auto",
      );
      return (
        pub.events.find((e) => e.type === "wasm")?.attributes.find((x) => x.key === "model_id" || x.key === "model")?.value ??
        String(modelId(COSMOS_CHAIN, 1))
      );
    };
    let warmModel: string | undefined;
    if (WARM_GATEWAY > 0) {
      const tWarm = Date.now();
      warmModel = await publishCw();
      await bob.client.executeMultiple(
        bob.address,
        Array.from({ length: WARM_GATEWAY }, () => ({
          contractAddress: cosmos.contract,
          msg: { buy_key: { model: warmModel, recipient: null, with_deployment: false } },
          funds: [{ denom: cosmos.env.denom, amount: "1000" }],
        })),
        "auto",
      );
      const [toA, toB] = [await cwOutbound(a.hexsChainId), await cwOutbound(b.hexsChainId)];
      while ((await evmInbound(hubA)) < toA || (await evmInbound(hubB)) < toB) {
        if (Date.now() - tWarm > 120_000) throw new Error("BENCH_WARM_GATEWAY: warm-up purchases not delivered in 120 s");
        await sleep(200);
      }
      say(
        `warm-up: ${WARM_GATEWAY} wasmd purchases delivered through both EVM gateways in ${((Date.now() - tWarm) / 1000).toFixed(1)} s`,
      );
    }
    await stopOperators(net, expectedExits);
    keepLogs(net, ".phase1");
    const cwModel = warmModel ?? (await publishCw());
    const cwBuys = Math.ceil(MESSAGES / 2);
    const senders = [bob, carol, cosmos.admin];
    const tLoad2 = Date.now();
    await Promise.all(
      senders.map((u, i) => {
        const n = Math.floor(cwBuys / senders.length) + (i < cwBuys % senders.length ? 1 : 0);
        const instructions: ExecuteInstruction[] = Array.from({ length: n }, () => ({
          contractAddress: cosmos.contract,
          msg: { buy_key: { model: cwModel, recipient: null, with_deployment: false } },
          funds: [{ denom: cosmos.env.denom, amount: "1000" }],
        }));
        return u.client.executeMultiple(u.address, instructions, "auto");
      }),
    );
    const targetCw = await cwOutbound(a.hexsChainId);
    const targetCwB = await cwOutbound(b.hexsChainId);
    const startA = await evmInbound(hubA);
    const startB = await evmInbound(hubB);
    say(
      `${cwBuys} purchases in ${senders.length} transactions loaded in ${((Date.now() - tLoad2) / 1000).toFixed(1)} s; outbound lane to ${a.label} at nonce ${targetCw} (backlog ${targetCw - startA}), to ${b.label} at ${targetCwB} (same load)`,
    );
    // Phase 1's purchases also travel to chain B over LayerZero (the devnet's executor flushes 64
    // at a time). Its eth_estimateGas of each flush on A and each lzReceive on B took 0.75–7.4 s
    // (RPC tap, 2026-12-07), the node answering nothing else meanwhile, so phase 2 starts once
    // that is done: it measures the relayers, not phase 1's LayerZero traffic.
    const tLz = Date.now();
    const [journalNow] = await lensA.journal(hubA);
    for (;;) {
      const sent = Number((await hubA.lane(b.hexsChainId)).sent);
      const applied = Number((await hubB.lane(a.hexsChainId)).inbound);
      if (sent >= Number(journalNow) && applied >= sent) break;
      if (Date.now() - tLz > 240_000) {
        say(`LayerZero lane ${a.label} → ${b.label} not drained after 240 s (sent ${sent}, applied ${applied}): going on`);
        break;
      }
      await sleep(500);
    }
    const lzSettleMs = Date.now() - tLz;
    say(`phase 1's LayerZero traffic to ${b.label} done ${(lzSettleMs / 1000).toFixed(1)} s after the wasmd load`);
    const e2start = await a.provider.getBlockNumber();
    let bDoneAt = 0;
    const bWatch = (async () => {
      for (;;) {
        if (failure) return;
        if ((await evmInbound(hubB).catch(() => 0)) >= targetCwB) return void (bDoneAt = Date.now());
        await sleep(100);
      }
    })();
    say("starting the relayers again and polling hub.lane(100).inbound on chain A every 50 ms…");
    load.phase2 = os.loadavg();
    const probeT0 = Date.now();
    const probeA = new NodeProbe(a.url, probeT0).start();
    let wasmdPid = 0;
    try {
      wasmdPid = Number(fs.readFileSync(path.join(DIR, "wasmd", "wasmd.pid"), "utf8").trim());
    } catch {
      /* not counted apart: it falls into "rest" */
    }
    const cpu = new CpuSampler(() => [
      ...sup.status().filter((c) => c.running),
      ...(Number.isInteger(wasmdPid) && wasmdPid > 0 ? [{ name: "wasmd", pid: wasmdPid }] : []),
    ]).start();
    const d2 = await drain(net, () => evmInbound(hubA), targetCw, 600_000);
    await probeA.stop();
    cpu.stop();
    // CPU used from the relayers ready to the backlog applied on A (ms; 2 cores give 2 ms per ms)
    const cpuA = cpu.between(d2.tSpawn + d2.r.startupMs, d2.tEnd);
    // the EVM nodes' resident memory now and at its peak (MB): what keeping freed memory costs
    const nodeMemoryMb: Record<string, { rss: number; peak: number }> = {};
    for (const c of sup.status().filter((x) => x.running && x.name.startsWith("node-"))) {
      const status = fs.readFileSync(`/proc/${c.pid}/status`, "utf8");
      const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
      nodeMemoryMb[c.name] = { rss: Math.round(kb("VmRSS") / 1024), peak: Math.round(kb("VmHWM") / 1024) };
    }
    say(`CPU from relayers ready to the last delivery on ${a.label}: ${JSON.stringify(cpuA)}`);
    const e2end = await a.provider.getBlockNumber();
    // the drain's timeline toward EVM A, in ms since the relayers were spawned
    const since = (ms: number) => ms - (d2.tSpawn - probeT0);
    const timelineA = {
      readyMs: d2.r.startupMs,
      submitted: submissionsOf(net, a.hexsChainId, d2.tSpawn),
      blocksSeenMs: probeA.blocks.map((b) => ({ ms: since(b.ms), height: b.height })).filter((b) => b.ms >= 0),
      nodeLongestAnswerMs: probeA.longestMs,
      nodeSlowAnswers: probeA.slow.map((x) => ({ ms: since(x.ms), tookMs: x.tookMs })),
      cpuReadyToLastDeliveryMs: cpuA,
      nodeMemoryMb,
      applied: d2.r.progress,
    };
    say(`timeline toward ${a.label} (ms after spawn): ${JSON.stringify(timelineA)}`);
    // every call node A answered from the relayers' spawn to the last delivery (ms after spawn, like the timeline)
    const rpcA = RPC_TAP ? tapSummary(path.join(RPC_TAP, `${a.network}.jsonl`), sup, d2.tSpawn, d2.tEnd) : undefined;
    if (rpcA) say(`calls to ${a.label} from relayers spawned to the last delivery: ${JSON.stringify(rpcA)}`);
    await Promise.race([bWatch, sleep(120_000)]);
    say(
      `drained ${d2.r.messages} messages to ${a.label}: ${d2.r.sustainedPerSec} msg/s sustained (${(d2.r.drainMs / 1000).toFixed(2)} s), ${d2.r.fromReadyPerSec} msg/s from all relayers ready; ${b.label}'s lane (same load, same relayers) done ${bDoneAt ? `${(Math.abs(bDoneAt - d2.tEnd) / 1000).toFixed(1)} s ${bDoneAt >= d2.tEnd ? "after" : "before"} A's` : "not within 120 s"}`,
    );
    const batches2 = await evmBatches(a, hubA, COSMOS_CHAIN, e2start + 1, e2end);
    const metrics2 = await scrapeMetrics(net);
    const bothLanesPerSec = bDoneAt
      ? round((targetCw - startA + targetCwB - startB) / ((Math.max(bDoneAt, d2.tEnd) - d2.tSpawn - d2.r.startupMs) / 1000))
      : NaN;

    // ---------------------------------------------------------------- 3. latency at low load
    say(`\n── 3. latency at low load (relayers running), ${SAMPLES} purchases each way, one at a time`);
    const evmWatch = new HeightWatcher(async () => Number(await a.provider.send("eth_blockNumber", []))).start();
    const cwWatch = new HeightWatcher(async () => (await comet.status()).syncInfo.latestBlockHeight).start();
    watchers.push(evmWatch, cwWatch);
    await sleep(3000);
    load.phase3 = os.loadavg();
    const tLat = Date.now();
    const evmToCw: number[] = [];
    const buyer: Signer = await a.signer(10);
    const buyerAddr = await buyer.getAddress();
    for (let i = 0; i < SAMPLES; i++) {
      const hash = (await a.provider.send("eth_sendTransaction", [
        {
          from: buyerAddr,
          to: a.addresses.HexsMarket,
          data: buyData(buyerAddr),
          value: toBeHex(priceWei),
          gas: toBeHex(400_000),
        },
      ])) as string;
      const r = await a.provider.waitForTransaction(hash, 1, 30_000);
      if (!r || r.status !== 1) throw new Error(`latency purchase ${hash} failed`);
      const nonce = lastEntry(r, a.addresses.HexsHub);
      const included = await evmWatch.when(r.blockNumber);
      if (included === undefined) throw new Error("source block seen before the watcher started");
      for (;;) {
        const n = await cwInbound(a.hexsChainId);
        const now = Date.now();
        if (n >= nonce) {
          evmToCw.push(now - included);
          break;
        }
        if (now - included > 60_000)
          throw new Error(`message ${nonce} from ${a.label} not applied on the CosmWasm chain within 60 s`);
        await sleep(DEST_POLL_MS);
      }
      await sleep(400 + Math.random() * 1000);
    }
    say(`EVM A → CosmWasm: p50 ${quantile(evmToCw, 0.5)} ms, p99 ${quantile(evmToCw, 0.99)} ms (${evmToCw.join(", ")})`);
    const cwToEvm: number[] = [];
    const cwIncludedByHeader: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const r = await carol.client.execute(
        carol.address,
        cosmos.contract,
        { buy_key: { model: cwModel, recipient: null, with_deployment: false } },
        "auto",
        undefined,
        [{ denom: cosmos.env.denom, amount: "1000" }],
      );
      let nonce = 0;
      for (const ev of r.events) {
        if (ev.type !== "wasm-hexs_outbound") continue;
        const at = Object.fromEntries(ev.attributes.map((x) => [x.key, x.value]));
        if (Number(at.dst) === a.hexsChainId) nonce = Math.max(nonce, Number(at.nonce));
      }
      if (!nonce) throw new Error(`purchase ${r.transactionHash} emitted nothing for ${a.label}`);
      const included = await cwWatch.when(r.height);
      if (included === undefined) throw new Error("source block seen before the watcher started");
      const header = (await comet.block(r.height)).block.header.time.getTime();
      for (;;) {
        const n = await evmInbound(hubA);
        const now = Date.now();
        if (n >= nonce) {
          cwToEvm.push(now - included);
          cwIncludedByHeader.push(now - header);
          break;
        }
        if (now - included > 60_000)
          throw new Error(`message ${nonce} from the CosmWasm chain not applied on ${a.label} within 60 s`);
        await sleep(DEST_POLL_MS);
      }
      await sleep(400 + Math.random() * 1000);
    }
    const tLatEnd = Date.now();
    say(`CosmWasm → EVM A: p50 ${quantile(cwToEvm, 0.5)} ms, p99 ${quantile(cwToEvm, 0.99)} ms (${cwToEvm.join(", ")})`);
    const evmBlock = mean(evmWatch.intervals(tLat, tLatEnd));
    const cwBlock = mean(cwWatch.intervals(tLat, tLatEnd));
    const metrics3 = await scrapeMetrics(net);
    keepLogs(net, ".phase2-3");
    const logs1 = operatorLogSummary(net, ".phase1");
    const logs23 = operatorLogSummary(net, ".phase2-3");

    // ---------------------------------------------------------------- results
    const confWaitEvm = TUNING.evmConfirmations * EVM_BLOCK_MS;
    const confWaitCw = 0; // the devnet's CosmWasm source uses confirmations 0 (instant finality)
    const boundEvmToCw = confWaitEvm + cwBlock + SLACK_MS;
    const boundCwToEvm = confWaitCw + EVM_BLOCK_MS + SLACK_MS;
    const p50a = quantile(evmToCw, 0.5);
    const p50b = quantile(cwToEvm, 0.5);
    const loadAtEnd = os.loadavg();
    const result = {
      date: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        model: os.cpus()[0]?.model,
        loadAvgAtStart: loadAtStart.map((x) => round(x, 2)),
        loadAvgAtEnd: loadAtEnd.map((x) => round(x, 2)),
        loadAvgAtPhaseStart: Object.fromEntries(Object.entries(load).map(([k, v]) => [k, v.map((x) => round(x, 2))])),
      },
      devnet: {
        evm: `two hardhat nodes, interval mining every ${EVM_BLOCK_MS} ms (measured ${round(evmBlock)} ms)`,
        wasmd: `single node, timeout_commit 200 ms (measured block time ${round(cwBlock)} ms)`,
        relayers: "3 operators, 2-of-3, each its own SQLite queue, all delivering every lane",
        tuning: TUNING,
        evmMaxBatch: EVM_MAX_BATCH,
        sourceConfirmations: { evm: TUNING.evmConfirmations, cosmwasm: 0 },
        evmBlockMs: EVM_BLOCK_MS,
        evmNodeLogging: NODE_LOGGING,
        evmNodeAllocator: evmNodeAllocatorEnv(), // devnet/chains.ts: the memory a mined block freed is kept
        wasmdBlockMsMeasured: round(cwBlock),
        evmBlockMsMeasured: round(evmBlock),
      },
      throughput: {
        evmToCosmwasm: {
          lane: `${a.hexsChainId} -> ${COSMOS_CHAIN}`,
          load: `${evmBuys + 1} purchases on ${a.label} (${perBuy} journal entr${perBuy === 1 ? "y" : "ies"} each) + publish + price`,
          ...d1.r,
          batchSizes: sizeStats(batches1.sizes),
          destinationBlocks: perBlock(batches1.heights, d1.r.messages, cwBlock),
          wasmdBlocksBetweenBatches: blockGaps(batches1.heights),
          /** one batch per lane in flight, at best one per destination block: maxBatch / block time */
          ceilingOneBatchPerBlockPerSec: round((TUNING.maxBatch * 1000) / cwBlock),
          failedTxsOnWasmd: batches1.failedTxs,
          wasmdBlocks: batches1.blocks,
          target: `>= ${TARGET_RATE} msg/s`,
          met: d1.r.sustainedPerSec >= TARGET_RATE,
        },
        cosmwasmToEvm: {
          lane: `${COSMOS_CHAIN} -> ${a.hexsChainId}`,
          load: `${cwBuys} purchases on wasmd in ${senders.length} transactions (KeyMinted + PurchaseSettled per peer lane: chain B's lane carries the same ${targetCwB} messages, drained by the same relayers)`,
          ...d2.r,
          bothLanesMessagesPerSecFromReady: bothLanesPerSec,
          batchSizes: sizeStats(batches2.sizes),
          destinationBlocks: perBlock(batches2.heights, d2.r.messages, EVM_BLOCK_MS),
          evmBlocksBetweenBatches: blockGaps(batches2.heights),
          ceilingOneBatchPerBlockPerSec: round((EVM_MAX_BATCH * 1000) / EVM_BLOCK_MS),
          timeline: timelineA,
          ...(rpcA ? { rpcCallsSpawnToLastDelivery: rpcA } : {}),
          /** waited after loading wasmd for the LayerZero executor to carry phase 1's journal to chain B */
          lzSettleMs,
          gatewaySubmissionsMined: batches2.submissions,
          gatewaySubmissionsReverted: batches2.reverted,
          evmBlocks: batches2.blocks,
          target: `>= ${TARGET_RATE} msg/s`,
          met: d2.r.sustainedPerSec >= TARGET_RATE,
        },
      },
      latency: {
        method: `source inclusion = first ${SOURCE_POLL_MS} ms poll of the source RPC that sees the block holding the purchase; destination confirmation = first ${DEST_POLL_MS} ms poll that sees the destination lane nonce reach the purchase's last message`,
        evmToCosmwasm: {
          samples: evmToCw.length,
          p50Ms: p50a,
          p99Ms: quantile(evmToCw, 0.99),
          minMs: Math.min(...evmToCw),
          maxMs: Math.max(...evmToCw),
          allMs: evmToCw,
          bound: `confirmations ${TUNING.evmConfirmations} × ${EVM_BLOCK_MS} ms + one wasmd block ${round(cwBlock)} ms + ${SLACK_MS} ms = ${round(boundEvmToCw)} ms`,
          boundMs: round(boundEvmToCw),
          met: p50a <= boundEvmToCw,
        },
        cosmwasmToEvm: {
          samples: cwToEvm.length,
          p50Ms: p50b,
          p99Ms: quantile(cwToEvm, 0.99),
          minMs: Math.min(...cwToEvm),
          maxMs: Math.max(...cwToEvm),
          allMs: cwToEvm,
          fromBlockHeaderTimeP50Ms: quantile(cwIncludedByHeader, 0.5),
          bound: `confirmations 0 + one EVM block ${EVM_BLOCK_MS} ms + ${SLACK_MS} ms = ${round(boundCwToEvm)} ms`,
          boundMs: round(boundCwToEvm),
          met: p50b <= boundCwToEvm,
        },
      },
      /** lane step time by stage (all operators, all three phases), toward each destination */
      timeByStage: {
        toCosmwasm: stageBreakdown(metrics3, COSMOS_CHAIN),
        toEvmA: stageBreakdown(metrics3, a.hexsChainId),
      },
      relayerMetrics: { afterPhase1: metrics1, afterPhase2: metrics2, afterPhase3: metrics3 },
      operatorLogs: { phase1: logs1, phase2and3: logs23 },
      anchors: { hermesMaxMsgsPerTx: 30, ibcMedianDeliveryMainnetS: 19 },
    };
    fs.mkdirSync(path.dirname(OUT), { recursive: true });
    fs.writeFileSync(OUT, JSON.stringify(result, null, 2) + "\n");

    const yes = (b: boolean) => (b ? "met" : "NOT met");
    const rows: [string, string, string, string][] = [
      ["measure", "EVM A → CosmWasm", "CosmWasm → EVM A", "target"],
      ["backlog (messages)", String(d1.r.messages), String(d2.r.messages), ""],
      [
        "throughput, sustained (msg/s)",
        String(d1.r.sustainedPerSec),
        String(d2.r.sustainedPerSec),
        `≥ ${TARGET_RATE}: ${yes(result.throughput.evmToCosmwasm.met)} / ${yes(result.throughput.cosmwasmToEvm.met)}`,
      ],
      ["throughput, from relayers ready (msg/s)", String(d1.r.fromReadyPerSec), String(d2.r.fromReadyPerSec), ""],
      [
        "dest. blocks holding the backlog (msg/s over them)",
        `${result.throughput.evmToCosmwasm.destinationBlocks.blocks} (${result.throughput.evmToCosmwasm.destinationBlocks.perSec})`,
        `${result.throughput.cosmwasmToEvm.destinationBlocks.blocks} (${result.throughput.cosmwasmToEvm.destinationBlocks.perSec})`,
        "",
      ],
      [
        "batch size min / p50 / max (mean)",
        `${batches1.sizes.length ? `${Math.min(...batches1.sizes)} / ${quantile(batches1.sizes, 0.5)} / ${Math.max(...batches1.sizes)} (${round(mean(batches1.sizes))})` : "-"}`,
        `${batches2.sizes.length ? `${Math.min(...batches2.sizes)} / ${quantile(batches2.sizes, 0.5)} / ${Math.max(...batches2.sizes)} (${round(mean(batches2.sizes))})` : "-"}`,
        `maxBatch ${TUNING.maxBatch}, toward EVM ${EVM_MAX_BATCH} (Hermes: 30)`,
      ],
      [
        "batches applied / failed submissions",
        `${batches1.sizes.length} / ${batches1.failedTxs}`,
        `${batches2.sizes.length} / ${batches2.reverted}`,
        "failed: lost races between operators",
      ],
      [
        "dest. blocks between batches (p50)",
        String(blockGaps(batches1.heights).p50),
        String(blockGaps(batches2.heights).p50),
        "",
      ],
      [
        "ceiling, 1 batch per dest. block (msg/s)",
        String(round((TUNING.maxBatch * 1000) / cwBlock)),
        String(round((EVM_MAX_BATCH * 1000) / EVM_BLOCK_MS)),
        "maxBatch / block time (no pipelining)",
      ],
      [
        "latency p50 (ms)",
        String(p50a),
        String(p50b),
        `≤ ${round(boundEvmToCw)} / ≤ ${round(boundCwToEvm)}: ${yes(result.latency.evmToCosmwasm.met)} / ${yes(result.latency.cosmwasmToEvm.met)}`,
      ],
      ["latency p99 (ms)", String(quantile(evmToCw, 0.99)), String(quantile(cwToEvm, 0.99)), ""],
      ["source confirmations", `${TUNING.evmConfirmations} EVM blocks (${confWaitEvm} ms)`, "0 (instant finality)", ""],
      ["destination block time", `wasmd ${round(cwBlock)} ms`, `EVM ${EVM_BLOCK_MS} ms (measured ${round(evmBlock)})`, ""],
    ];
    const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    console.log(
      "\n" +
        rows
          .map(
            (r, k) =>
              r.map((c, i) => c.padEnd(w[i])).join(" | ") + (k === 0 ? "\n" + w.map((x) => "-".repeat(x)).join("-|-") : ""),
          )
          .join("\n"),
    );
    for (const [lane, stages] of Object.entries(result.timeByStage))
      console.log(
        `time by stage ${lane}: ` +
          Object.entries(stages)
            .map(([st, e]) => `${st} ${e.totalS} s in ${e.runs} runs (mean ${e.meanMs} ms)`)
            .join(", "),
      );
    console.log(
      `\nload average (1/5/15 min) ${loadAtStart.map((x) => x.toFixed(2)).join(" ")} at start, ${Object.entries(load)
        .map(([k, v]) => `${v.map((x) => x.toFixed(2)).join(" ")} at ${k}`)
        .join(
          ", ",
        )}, ${loadAtEnd.map((x) => x.toFixed(2)).join(" ")} at end (${os.cpus().length} CPUs); written ${path.relative(process.cwd(), OUT)}`,
    );
    for (const c of [cosmos.admin, ...Object.values(cosmos.users)]) c.client.disconnect();
  } catch (e) {
    failure ??= e as Error;
    console.error(
      `\nbenchmark failed: ${(e as Error).stack ?? e}\nlogs: ${path.relative(process.cwd(), path.join(DIR, "logs"))}/`,
    );
  } finally {
    for (const w of watchers) await w.stop();
    for (const c of comets) c.disconnect();
    await stop(failure ? 1 : 0);
  }
}

void main();
