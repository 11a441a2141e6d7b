// The soak: many purchases on the devnet (two EVM chains, wasmd, three relayer operators 2-of-3)
// at a steady rate, with an operator killed (-9) and restarted twice and chain B's RPC unreachable
// for a few seconds, then every lane drained and checked.
//
//   npm run bench:soak        -> bench/results/soak.json + a summary
//
// Environment (optional): SOAK_PURCHASES (default 10000), SOAK_RATE (purchases per second over
// all three chains, default 15), SOAK_OUT (result file), HEXS_LOG_LEVEL.
//
// What it checks (the run fails otherwise): every purchase's messages reach every other chain
// (each lane's destination nonce equals its source's last nonce), nothing is refused on any
// destination, and no operator's queue holds a failed or parked operation. What it measures:
// delivered messages per second while the first and the last fifth of the purchases were made,
// mirror lag, the operators' RSS after the first fifth and at the end, queue size per message
// (SQLite), and the query plans of the relayer's own statements (any full scan is reported).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { ZeroAddress, toBeHex } from "ethers";
import type { ExecuteInstruction } from "@cosmjs/cosmwasm-stargate";
import type { LanesResponse, RefusalsResponse } from "../sdk/cosmwasm/Hexs.types";
import { COSMOS_CHAIN, ROOT, type EvmChain } from "../devnet/chains";
import { startDevnet, type Devnet } from "../devnet/network";
import { Supervisor } from "../devnet/procs";
import { publishMsg } from "../devnet/wasmd";
import { HexsHub__factory, HexsHubLens__factory, HexsMarket__factory } from "../sdk/typechain";
import { percentile, publishPriced, stopOnExit } from "./lib";

const envInt = (name: string, dflt: number): number => {
  const v = process.env[name];
  if (v === undefined || v === "") return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name}=${v}: expected a positive integer`);
  return n;
};
const PURCHASES = envInt("SOAK_PURCHASES", 10_000);
const RATE = envInt("SOAK_RATE", 15);
const OUT = path.resolve(ROOT, process.env.SOAK_OUT ?? "bench/results/soak.json");
const DIR = path.join(ROOT, ".devnet/soak");
const DRAIN_TIMEOUT_MS = 20 * 60_000;

const t0 = Date.now();
const say = (line: string): void => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(7)} s] ${line}`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Lane {
  src: number;
  dst: number;
  /** last nonce the source put on the lane */
  sent: () => Promise<number>;
  /** last nonce the destination applied */
  applied: () => Promise<number>;
}

/** One sample of every lane: when, how many purchases were sent by then, each lane's applied nonce. */
interface Sample {
  t: number;
  purchases: number;
  sent: number[];
  applied: number[];
}

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : NaN;
}

/**
 * The plans SQLite picks for the relayer queue's own statements (relayer/store/ops.ts) on the
 * soak's database: how many were planned, and which read a whole table (a status report may;
 * nothing on the delivery path should).
 */
function queryPlans(db: Database.Database): { statements: number; fullScans: string[] } {
  const src = fs.readFileSync(path.join(ROOT, "relayer/store/ops.ts"), "utf8");
  const literals = [...src.matchAll(/`([^`]*)`|"((?:SELECT|UPDATE|DELETE)\b[^"]*)"/g)].map((m) => m[1] ?? m[2]);
  const fullScans: string[] = [];
  let planned = 0;
  for (const raw of literals) {
    if (!/^\s*(SELECT|UPDATE|DELETE)\b/.test(raw)) continue;
    const sql = raw
      .replace(/\$\{COLS\}/g, "*")
      .replace(/\$\{PENDING_SQL\}/g, "('observed', 'attested', 'submitted')")
      .replace(/\$\{inList\([^}]*\)\}/g, "?")
      .replace(/\$\{set\}/g, "state = ?")
      .replace(/\$\{[^}]*\}/g, "")
      .replace(/\s+/g, " ")
      .trim();
    const n = (sql.match(/\?/g) ?? []).length;
    let plan: { detail: string }[];
    try {
      plan = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...Array(n).fill(0)) as { detail: string }[];
    } catch {
      continue; // PostgreSQL-only syntax
    }
    planned++;
    for (const p of plan) if (/^SCAN \w+$/.test(p.detail)) fullScans.push(`${p.detail}: ${sql}`);
  }
  return { statements: planned, fullScans };
}

const sup = new Supervisor(path.join(DIR, "logs"));

async function main(): Promise<void> {
  const killed = new Set<number>();
  const stop = stopOnExit(sup, say, killed);

  say(
    `soak: ${PURCHASES} purchases at ${RATE}/s over EVM chains A, B and wasmd; load ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}`,
  );
  const net: Devnet = await startDevnet({ dir: DIR, sup, say, blockTimeMs: 1000, automine: false, services: false });
  const [a, b] = net.evm;
  const cosmos = net.cosmos;

  // ---- one model per chain, priced there
  const evmSetup = async (c: EvmChain) => {
    const price = 1_000_000_000_000n;
    const model = await publishPriced(c, await c.signer(2), "lighthouse://bafkreisoakmodel", price);
    const market = HexsMarket__factory.connect(c.addresses.HexsMarket, c.provider);
    const accounts = ((await c.provider.send("eth_accounts", [])) as string[]).slice(10, 20);
    const data = (to: string) => market.interface.encodeFunctionData("buy", [model, ZeroAddress, to, "0x", "0x"]);
    let i = 0;
    return async (n: number): Promise<void> => {
      const sends = Array.from({ length: n }, () => {
        const from = accounts[i++ % accounts.length];
        return c.provider.send("eth_sendTransaction", [
          { from, to: c.addresses.HexsMarket, data: data(from), value: toBeHex(price), gas: toBeHex(400_000) },
        ]) as Promise<string>;
      });
      await Promise.all(sends);
    };
  };
  const buyOnA = await evmSetup(a);
  const buyOnB = await evmSetup(b);
  const pub = await cosmos.users.alice.client.execute(
    cosmos.users.alice.address,
    cosmos.contract,
    publishMsg({ sdlUri: "lighthouse://bafkreisoakcosmos", price: "1000", deployPrice: "0", forkRoyaltyBps: 0 }),
    "auto",
  );
  const cwModel = pub.events.find((e) => e.type === "wasm")?.attributes.find((x) => x.key === "model")?.value;
  if (!cwModel) throw new Error("the Cosmos publish returned no model id");
  const cwSenders = [cosmos.users.bob, cosmos.users.carol, cosmos.admin];
  let cwTurn = 0;
  const buyOnCosmos = async (n: number): Promise<void> => {
    const u = cwSenders[cwTurn++ % cwSenders.length];
    const instructions: ExecuteInstruction[] = Array.from({ length: n }, () => ({
      contractAddress: cosmos.contract,
      msg: { buy_key: { model: cwModel, recipient: null, with_deployment: false } },
      funds: [{ denom: cosmos.env.denom, amount: "1000" }],
    }));
    await u.client.executeMultiple(u.address, instructions, "auto");
  };

  // ---- the six lanes
  const hubs = net.evm.map((c) => HexsHub__factory.connect(c.addresses.HexsHub, c.provider));
  const lenses = net.evm.map((c) => HexsHubLens__factory.connect(c.addresses.HexsHubLens, c.provider));
  const cwLanes = async (): Promise<LanesResponse> =>
    (await cosmos.admin.client.queryContractSmart(cosmos.contract, { lanes: {} })) as LanesResponse;
  const lanes: Lane[] = [];
  for (const [i, c] of net.evm.entries()) {
    const journal = async () => Number((await lenses[i].journal(hubs[i]))[0]);
    for (const [j, d] of net.evm.entries())
      if (j !== i)
        lanes.push({
          src: c.hexsChainId,
          dst: d.hexsChainId,
          sent: journal,
          applied: async () => Number((await hubs[j].lane(c.hexsChainId)).inbound),
        });
    lanes.push({
      src: c.hexsChainId,
      dst: COSMOS_CHAIN,
      sent: journal,
      applied: async () => (await cwLanes()).inbound.find((l) => l.chain === c.hexsChainId)?.nonce ?? 0,
    });
    lanes.push({
      src: COSMOS_CHAIN,
      dst: c.hexsChainId,
      sent: async () => (await cwLanes()).outbound.find((l) => l.chain === c.hexsChainId)?.nonce ?? 0,
      applied: async () => Number((await hubs[i].lane(COSMOS_CHAIN)).inbound),
    });
  }
  const samples: Sample[] = [];
  let purchases = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      try {
        const [sent, applied] = await Promise.all([
          Promise.all(lanes.map((l) => l.sent())),
          Promise.all(lanes.map((l) => l.applied())),
        ]);
        samples.push({ t: Date.now(), purchases, sent, applied });
      } catch {
        /* an RPC paused by the fault below: the next sample tells */
      }
      await sleep(1000);
    }
  })();

  // ---- faults, at fixed shares of the run
  const operator2 = net.operators.find((o) => o.name === "operator2")!;
  const faults: { at: number; what: string; t?: number }[] = [
    { at: 0.25, what: "kill -9 operator2, restart after 5 s" },
    { at: 0.45, what: "chain B's RPC unreachable for 4 s (node paused)" },
    { at: 0.65, what: "kill -9 operator2, restart after 5 s" },
  ];
  const runFault = async (f: (typeof faults)[number]) => {
    f.t = Date.now() - t0;
    say(`fault: ${f.what}`);
    if (f.what.startsWith("kill")) {
      const c = operator2.child!;
      killed.add(c.pid);
      process.kill(c.pid, "SIGKILL");
      await sleep(5000);
      operator2.child = sup.restart(operator2.name);
    } else {
      const node = sup.status().find((c) => c.name === `node-${b.network}`)!;
      process.kill(node.pid, "SIGSTOP");
      await sleep(4000);
      process.kill(node.pid, "SIGCONT");
    }
  };

  // ---- steady load: every second RATE purchases, spread over the three chains
  const rss: Record<string, Record<string, number>> = {};
  const readRss = (label: string) => {
    rss[label] = Object.fromEntries(net.operators.map((o) => [o.name, rssKiB(o.child!.pid)]));
  };
  const tLoad = Date.now();
  const pendingFaults = [...faults];
  let tick = 0;
  while (purchases < PURCHASES) {
    const tTick = tLoad + tick * 1000;
    const n = Math.min(RATE, PURCHASES - purchases);
    const share = [Math.ceil(n / 3), Math.ceil((n - Math.ceil(n / 3)) / 2)];
    const onCosmos = n - share[0] - share[1];
    await Promise.all([buyOnA(share[0]), buyOnB(share[1]), onCosmos > 0 ? buyOnCosmos(onCosmos) : Promise.resolve()]);
    purchases += n;
    tick++;
    if (!rss.first && purchases >= PURCHASES / 5) readRss("first");
    if (pendingFaults.length && purchases >= pendingFaults[0].at * PURCHASES) void runFault(pendingFaults.shift()!);
    if (tick % 60 === 0) say(`${purchases} purchases sent; load ${os.loadavg()[0].toFixed(2)}`);
    const wait = tTick + 1000 - Date.now();
    if (wait > 0) await sleep(wait);
  }
  const loadMs = Date.now() - tLoad;
  say(`${purchases} purchases sent in ${(loadMs / 1000).toFixed(0)} s; draining every lane…`);
  while (pendingFaults.length) await runFault(pendingFaults.shift()!);

  // ---- drain
  const targets = await Promise.all(lanes.map((l) => l.sent()));
  const until = Date.now() + DRAIN_TIMEOUT_MS;
  for (;;) {
    const applied = await Promise.all(lanes.map((l) => l.applied()));
    if (applied.every((x, i) => x >= targets[i])) break;
    if (Date.now() > until)
      throw new Error(
        `not drained after ${DRAIN_TIMEOUT_MS / 60_000} min: ${lanes.map((l, i) => `${l.src}→${l.dst} ${applied[i]}/${targets[i]}`).join(", ")}`,
      );
    await sleep(1000);
  }
  const tDrained = Date.now();
  readRss("end");
  sampling = false;
  await sampler;
  say(`drained ${(tDrained - tLoad - loadMs) / 1000} s after the last purchase`);

  // ---- checks: nothing refused on any destination, nothing failed or parked in any queue
  const refusedEvm = await Promise.all(hubs.map(async (h) => (await h.queryFilter(h.filters.MessageRejected())).length));
  let refusedCw = 0;
  for (const c of net.evm)
    refusedCw += (
      (await cosmos.admin.client.queryContractSmart(cosmos.contract, {
        refusals: { src: c.hexsChainId, start_after: null, limit: 100 },
      })) as RefusalsResponse
    ).refusals.length;
  const queues: Record<
    string,
    { bytes: number; ops: number; states: Record<string, number>; plans: ReturnType<typeof queryPlans> }
  > = {};
  for (const op of net.operators) {
    const file = path.join(op.dir, "queue.db");
    const db = new Database(file, { readonly: true, fileMustExist: true });
    const states = Object.fromEntries(
      (db.prepare("SELECT state, COUNT(*) AS n FROM ops GROUP BY state").all() as { state: string; n: number }[]).map((r) => [
        r.state,
        r.n,
      ]),
    );
    const ops = Object.values(states).reduce((x, y) => x + y, 0);
    const bytes = ["", "-wal"].reduce((s, ext) => s + (fs.existsSync(file + ext) ? fs.statSync(file + ext).size : 0), 0);
    queues[op.name] = { bytes, ops, states, plans: queryPlans(db) };
    db.close();
  }
  // An operator that stood by may keep operations another delivered as `observed` until it next
  // runs their lane; only a parked one, or one above its destination's nonce, is stuck.
  const appliedEnd = Object.fromEntries(lanes.map((l, i) => [`${l.src}-${l.dst}`, targets[i]]));
  const stuck: string[] = [];
  for (const op of net.operators) {
    const db = new Database(path.join(op.dir, "queue.db"), { readonly: true, fileMustExist: true });
    for (const r of db.prepare("SELECT src_chain, dst_chain, nonce, state FROM ops WHERE state != 'confirmed'").all() as {
      src_chain: number;
      dst_chain: number;
      nonce: number;
      state: string;
    }[])
      if (r.state === "parked" || r.nonce > (appliedEnd[`${r.src_chain}-${r.dst_chain}`] ?? 0))
        stuck.push(`${op.name}: ${r.src_chain}->${r.dst_chain} nonce ${r.nonce} ${r.state}`);
    db.close();
  }

  // ---- throughput: delivered messages per second while the first and the last fifth were sent
  const delivered = (s: Sample) => s.applied.reduce((x, y) => x + y, 0);
  const window = (from: number, to: number) => {
    const inWin = samples.filter((s) => s.purchases >= from && s.purchases <= to);
    if (inWin.length < 2) return NaN;
    const [f, l] = [inWin[0], inWin.at(-1)!];
    return (delivered(l) - delivered(f)) / ((l.t - f.t) / 1000);
  };
  const fifth = PURCHASES / 5;
  const first = window(0, fifth);
  const last = window(PURCHASES - fifth, PURCHASES);
  // mirror lag: at each sample, how many messages the slowest lane had sent but not yet applied
  const lagMsgs = samples.map((s) => Math.max(...s.applied.map((x, i) => Math.max(0, s.sent[i] - x))));
  const result = {
    purchases: PURCHASES,
    rate_per_s: RATE,
    wall_time_s: Math.round((Date.now() - t0) / 1000),
    load_s: Math.round(loadMs / 1000),
    drain_after_load_s: Math.round((tDrained - tLoad - loadMs) / 1000),
    lanes: lanes.map((l, i) => ({ lane: `${l.src}->${l.dst}`, messages: targets[i] })),
    faults,
    delivered_per_s: {
      first_fifth: Math.round(first),
      last_fifth: Math.round(last),
      ratio: Math.round((last / first) * 100) / 100,
    },
    relayer_rss_kib: rss,
    refused: { evm: refusedEvm, cosmwasm: refusedCw },
    queues: Object.fromEntries(
      Object.entries(queues).map(([n, q]) => [n, { ...q, bytes_per_op: q.ops ? Math.round(q.bytes / q.ops) : NaN }]),
    ),
    lag_messages: { p50: percentile(lagMsgs, 50), p99: percentile(lagMsgs, 99), max: Math.max(...lagMsgs) },
    machine: { cores: os.cpus().length, load_end: os.loadavg() },
    git: execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT }).toString().trim(),
  };
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, JSON.stringify(result, null, 2) + "\n");
  say(`wrote ${path.relative(ROOT, OUT)}`);
  console.log(JSON.stringify({ ...result, faults: undefined, queues: undefined }, null, 2));
  const problems = [
    ...stuck,
    ...refusedEvm.flatMap((n, i) => (n ? [`${n} messages refused on ${net.evm[i].label}`] : [])),
    ...(refusedCw ? [`${refusedCw} messages refused on wasmd`] : []),
  ];
  if (problems.length) throw new Error(`soak found problems:\n  ${problems.join("\n  ")}`);
  await stop(0);
}

main().catch(async (e) => {
  console.error(`\nsoak failed: ${(e as Error).stack ?? e}`);
  await sup.stopAll(say);
  process.exit(1);
});
