// What the benchmarks share: percentiles, and child processes (a hardhat node, services) that
// are waited for until ready and stopped by PID at the end.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { id, type Interface, type LogDescription, type Signer } from "ethers";
import * as hexs from "../sdk";
import { sdkChain, type EvmChain } from "../devnet/chains";
import type { Supervisor } from "../devnet/procs";

export const ROOT = path.resolve(__dirname, "..");

export function percentile(samples: number[], p: number): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/** n, p50, p90, p99 and mean, rounded to `decimals`. */
export function stats(xs: number[], decimals: number) {
  const round = (x: number) => Math.round(x * 10 ** decimals) / 10 ** decimals;
  return {
    n: xs.length,
    p50: round(percentile(xs, 50)),
    p90: round(percentile(xs, 90)),
    p99: round(percentile(xs, 99)),
    mean: round(xs.reduce((a, b) => a + b, 0) / xs.length),
  };
}

/** Refuse to start when something (an earlier bench's leftover) already listens on a port. */
export async function requireFreePorts(ports: number[]): Promise<void> {
  for (const port of ports) {
    const busy = await fetch(`http://127.0.0.1:${port}`, { method: "POST" }).then(
      () => true,
      () => false,
    );
    if (busy) throw new Error(`port ${port} is in use: stop what listens there (left by an earlier bench?)`);
  }
}

export class BenchProcesses {
  private readonly children: ChildProcess[] = [];

  /** Spawn and resolve once its stdout satisfies `ready` (120 s at most). */
  start(
    cmd: string,
    args: string[],
    env: NodeJS.ProcessEnv,
    ready: (out: string) => boolean,
    what: string,
  ): Promise<ChildProcess> {
    const childEnv = { ...process.env, ...env };
    delete childEnv.HARDHAT_NETWORK; // a hardhat node serves its own in-process network
    const proc = spawn(cmd, args, { cwd: ROOT, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
    this.children.push(proc);
    let out = "";
    let err = "";
    return new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error(`${what}: not ready after 120 s\n${err}`)), 120_000);
      proc.stderr!.on("data", (d) => (err += String(d)));
      proc.stdout!.on("data", (d) => {
        out += String(d);
        if (ready(out)) {
          clearTimeout(t);
          res(proc);
        }
      });
      proc.once("exit", (c) => {
        clearTimeout(t);
        rej(new Error(`${what} exited with ${c}\n${err}`));
      });
    });
  }

  /** Stop every process this bench started, by its PID. */
  stopAll(): void {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGTERM");
  }
}

/**
 * A devnet benchmark's lifecycle: Ctrl-C, TERM or an exit of one of its processes that is not
 * in `expected` (PIDs the benchmark stopped or killed on purpose) stops every process `sup`
 * started. Returns the stop, for the benchmark's own end.
 */
export function stopOnExit(
  sup: Supervisor,
  say: (line: string) => void,
  expected: Set<number>,
  onUnexpected: (e: Error) => void = () => undefined,
): (code: number) => Promise<void> {
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say("stopping every process the benchmark started…");
    await sup.stopAll(say);
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(130));
  process.on("SIGTERM", () => void stop(143));
  sup.onUnexpectedExit = (c, code, signal) => {
    if (expected.has(c.pid)) return;
    const e = new Error(
      `${c.name} (pid ${c.pid}) exited unexpectedly (${signal ?? `code ${code}`}); its log ${c.logFile} ends:\n${sup.tail(c)}`,
    );
    onUnexpected(e);
    console.error(`\n${e.message}`);
    void stop(1);
  };
  return stop;
}

/** A model published on `c` through the SDK and priced there in the native coin (a benchmark's load). */
export async function publishPriced(c: EvmChain, creator: Signer, sdlLocator: string, keyPrice: bigint): Promise<bigint> {
  const on = hexs.connectContracts(sdkChain(c), creator);
  const { modelId } = await hexs.publish(on, creator, { contentCommitment: id(sdlLocator), sdlLocator, forkRoyaltyBps: 0 });
  await hexs.setPrice(on, creator, { modelId, currency: hexs.NATIVE, keyPrice });
  return modelId;
}

/** The first `name` event among a receipt's logs that `iface` can parse (other contracts' logs skipped). */
export function eventOf(
  iface: Interface,
  receipt: { logs: ReadonlyArray<{ topics: ReadonlyArray<string>; data: string }> } | null,
  name: string,
): LogDescription {
  for (const log of receipt?.logs ?? []) {
    let parsed: LogDescription | null = null;
    try {
      parsed = iface.parseLog(log);
    } catch {
      // a log of another contract
    }
    if (parsed?.name === name) return parsed;
  }
  throw new Error(`no ${name} event in the receipt`);
}

/** A hardhat node on `port` (the devnet's chain id 31401), started and stopped by `procs`. */
export function startHardhatNode(procs: BenchProcesses, port: number): Promise<ChildProcess> {
  return procs.start(
    path.join(ROOT, "node_modules/.bin/hardhat"),
    ["node", "--hostname", "127.0.0.1", "--port", String(port), "--no-deploy"],
    { HEXS_NODE_CHAIN_ID: "31401" },
    (o) => o.includes("Started HTTP"),
    "hardhat node",
  );
}

/** What the lease benchmarks give the lease service besides the chain, stand-in and store. */
export type LeaseBenchOptions = {
  /** the Akash stand-in's first port */
  standinPort: number;
  /** a throwaway directory for the mnemonic and the databases */
  dir: string;
  rpc: string;
  hub: string;
  market: string;
  /** the block the purchase feed starts at */
  from: number;
  operatorKey: string;
  /** where the SDL comes from: `{ sdlDir }` or `{ keyService }` */
  sdl: { sdlDir: string } | { keyService: string };
};

/** The lease policy of the benchmarks: a 1 s bid window, 100 ms polls, short backoff. */
export const BENCH_LEASE_POLICY = { bidWindowMs: 1000, pollMs: 100, backoffBaseMs: 200, backoffMaxMs: 2000, txTimeoutMs: 10_000 };

/**
 * An Akash stand-in (200 ms blocks, two providers) and the relayer's lease service as leader on
 * hexs chain 1, its Akash account funded, reports attested without co-signers.
 */
export async function startLeaseBench(o: LeaseBenchOptions) {
  const fs = await import("node:fs");
  const { startStandin } = await import("../devnet/akash-standin");
  const { providerAddress } = await import("../devnet/akash-standin/cli");
  const standin = await startStandin({
    chainId: "akash-standin-1",
    blockMs: 200,
    firstPort: o.standinPort,
    providers: [
      { address: providerAddress("provider-a"), bidPermille: 900, attributes: [{ key: "region", value: "us-west" }] },
      { address: providerAddress("provider-b"), bidPermille: 700, attributes: [{ key: "region", value: "eu-central" }] },
    ],
  });
  const mnemonic = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
  const { Secp256k1HdWallet } = await import("@cosmjs/amino");
  const [akashAcct] = await (await Secp256k1HdWallet.fromMnemonic(mnemonic, { prefix: "akash" })).getAccounts();
  standin.chain.fund(akashAcct.address, "uakt", 1_000_000_000n);
  standin.chain.fund(akashAcct.address, "uact", 100_000_000_000n);
  fs.writeFileSync(path.join(o.dir, "akash.mnemonic"), mnemonic, { mode: 0o600 });
  const { parseConfig, loadRelayerKeys } = await import("../relayer/config");
  const { OpStore } = await import("../relayer/store");
  const { AkashService } = await import("../relayer/akash/service");
  process.env.HEXS_BENCH_OPERATOR_KEY = o.operatorKey;
  const cfg = parseConfig({
    operator: { key: { env: "HEXS_BENCH_OPERATOR_KEY" } },
    chains: [
      {
        type: "evm",
        name: "a",
        hexsChainId: 1,
        rpc: o.rpc,
        hub: o.hub,
        confirmations: 0,
        pollIntervalMs: 100,
        startBlock: o.from,
      },
    ],
    store: { sqlite: path.join(o.dir, "relayer.db") },
    http: { port: 0 },
    akash: {
      role: "leader",
      rpc: standin.rpcUrl,
      rest: standin.restUrl,
      chainId: "akash-standin-1",
      mnemonic: { file: path.join(o.dir, "akash.mnemonic") },
      db: path.join(o.dir, "akash.sqlite"),
      ...o.sdl,
      purchases: [{ chain: "a", market: o.market, from: o.from }],
      pollMs: 100,
      policy: BENCH_LEASE_POLICY,
      report: { mode: "attested", minCosigners: 0 },
    },
  });
  const ops = await OpStore.open(cfg.store);
  const service = new AkashService({ cfg: { ...cfg, akash: cfg.akash! }, keys: loadRelayerKeys(cfg), ops });
  await service.start();
  const stop = async () => {
    await service.stop();
    await ops.close();
    await standin.close();
  };
  return { standin, service, stop };
}

/**
 * Hexs deployed as hexs chain 1 on the network hardhat runs this process against (the bench's
 * own node), without deployment records next to the devnet's; its registry and market.
 */
export async function deployBenchHexs(prefix: string) {
  const hre = require("hardhat") as typeof import("hardhat");
  (hre.network as unknown as { saveDeployments: boolean }).saveDeployments = false;
  const { deployHexs } = await import("../tasks/lib/deployHexs");
  const a = await deployHexs(hre, {
    prefix,
    hexsChainId: 1,
    timelockDelay: 60,
    protocolFeeBps: 0,
    skipHandover: true,
    devnet: true,
  });
  const registry = await hre.ethers.getContractAt("HexsRegistry", a.registry);
  const market = await hre.ethers.getContractAt("HexsMarket", a.market);
  return { hre, ethers: hre.ethers, a, registry, market };
}
