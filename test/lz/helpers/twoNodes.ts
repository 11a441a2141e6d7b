// Two `hardhat node`s on 127.0.0.1 (ports in 18700-18799, chain ids 31401/31402), each with the
// REAL LayerZero EndpointV2 + SimpleMessageLib, Hexs deployed by the real deploy script
// (hardhat-deploy, HEXS_CHAIN_ID 1 and 2, admin handed to the timelock), wired both ways by
// `lz:wire` through the timelock, and a dev executor per direction. Nodes are started as direct
// children (their PIDs are the nodes') and stopped by PID only.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { JsonRpcProvider, type Signer } from "ethers";
import { deployLzEndpoint, JsonFileFailedReceiveStore, LzExecutor, useMessageLibFor, type LzEndpointDeployment } from "../../../relayer/lz";
import { HexsHub__factory, HexsLzBridge__factory, HexsMarket__factory, HexsRegistry__factory } from "../../../typechain-types";
import type { HexsHub, HexsLzBridge, HexsMarket, HexsRegistry } from "../../../typechain-types";
import { hexsErrorInterfaces } from "./inProcess";

const ROOT = path.resolve(__dirname, "../../..");
const HARDHAT = path.join(ROOT, "node_modules/.bin/hardhat");
export const LZ_CONFIG = "test/lz/hardhat.lz.config.ts";
export const EXECUTOR_INDEX = 9;

export interface NodeSpec {
  network: "lzA" | "lzB";
  hexsChainId: number;
  evmChainId: number;
  eid: number;
}

export const NODES: readonly NodeSpec[] = [
  { network: "lzA", hexsChainId: 1, evmChainId: 31401, eid: 40101 },
  { network: "lzB", hexsChainId: 2, evmChainId: 31402, eid: 40102 },
];

export interface RunningNode extends NodeSpec {
  port: number;
  url: string;
  pid: number;
  proc: ChildProcess;
  logFile: string;
  provider: JsonRpcProvider;
}

export interface NodeChain {
  node: RunningNode;
  lz: LzEndpointDeployment;
  addresses: Record<string, string>;
  hub: HexsHub;
  bridge: HexsLzBridge;
  registry: HexsRegistry;
  market: HexsMarket;
  signer: (index: number) => Promise<Signer>;
}

export interface TwoNodes {
  dir: string;
  a: NodeChain;
  b: NodeChain;
  aToB: LzExecutor;
  bToA: LzExecutor;
  /** Environment that points hardhat (with LZ_CONFIG) at these nodes and deployments. */
  env: NodeJS.ProcessEnv;
  stop: () => Promise<void>;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

/** `count` free ports in 18700-18799, starting at a pseudo-random offset (parallel runs). */
export async function freePorts(count: number): Promise<number[]> {
  const out: number[] = [];
  const start = 18700 + (process.pid % 50) * 2;
  for (let i = 0; i < 100 && out.length < count; i++) {
    const port = 18700 + ((start - 18700 + i) % 100);
    if (await portFree(port)) out.push(port);
  }
  if (out.length < count) throw new Error("no free ports left in 18700-18799");
  return out;
}

export function startNode(spec: NodeSpec, port: number, dir: string): RunningNode {
  const logFile = path.join(dir, `${spec.network}.node.log`);
  const log = fs.openSync(logFile, "w");
  const proc = spawn(HARDHAT, ["node", "--config", LZ_CONFIG, "--hostname", "127.0.0.1", "--port", String(port), "--no-deploy"], {
    cwd: ROOT,
    env: { ...process.env, HEXS_LZ_NODE_CHAIN_ID: String(spec.evmChainId), HARDHAT_DISABLE_TELEMETRY_PROMPT: "true" },
    stdio: ["ignore", log, log],
  });
  fs.closeSync(log);
  if (proc.pid === undefined) throw new Error(`could not start the ${spec.network} node`);
  const url = `http://127.0.0.1:${port}`;
  const provider = new JsonRpcProvider(url, spec.evmChainId, { staticNetwork: true, pollingInterval: 100, cacheTimeout: -1 });
  return { ...spec, port, url, pid: proc.pid, proc, logFile, provider };
}

export async function waitForNode(n: RunningNode, timeoutMs = 90_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (n.proc.exitCode !== null) throw new Error(`${n.network} node exited (${n.proc.exitCode}); see ${n.logFile}:\n${fs.readFileSync(n.logFile, "utf8").slice(-2000)}`);
    try {
      const id = await n.provider.send("eth_chainId", []);
      if (Number(id) !== n.evmChainId) throw new Error(`port ${n.port} answers chain ${Number(id)}, expected ${n.evmChainId}: another node?`);
      return;
    } catch (e) {
      if ((e as Error).message.includes("expected")) throw e;
      if (Date.now() > until) throw new Error(`${n.network} node on :${n.port} did not come up in ${timeoutMs} ms; see ${n.logFile}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** Stop a node we started, by its PID, and wait for it to exit. */
export async function stopNode(n: RunningNode): Promise<void> {
  n.provider.destroy();
  if (n.proc.exitCode !== null || n.proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => n.proc.once("exit", () => resolve()));
  process.kill(n.pid, "SIGTERM");
  const timer = setTimeout(() => {
    if (n.proc.exitCode === null && n.proc.signalCode === null) process.kill(n.pid, "SIGKILL");
  }, 5000);
  await exited;
  clearTimeout(timer);
}

/** Run `hardhat <args> --config LZ_CONFIG` against the nodes; rejects with its output on failure. */
export function runHardhat(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(HARDHAT, [...args, "--config", LZ_CONFIG], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    p.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`hardhat ${args.join(" ")} exited ${code}:\n${out.slice(-4000)}`))));
  });
}

function readDeployments(dir: string, network: string): Record<string, string> {
  const folder = path.join(dir, network);
  const out: Record<string, string> = {};
  for (const f of fs.readdirSync(folder)) {
    if (f.endsWith(".json")) out[f.replace(/\.json$/, "")] = (JSON.parse(fs.readFileSync(path.join(folder, f), "utf8")) as { address: string }).address;
  }
  return out;
}

export async function startTwoNodes(log: (line: string) => void = () => undefined): Promise<TwoNodes> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-lz-"));
  const ports = await freePorts(2);
  const nodes = NODES.map((spec, i) => startNode(spec, ports[i], dir));
  const stopAll = async () => {
    for (const n of nodes) await stopNode(n);
  };
  try {
    await Promise.all(nodes.map((n) => waitForNode(n)));
    log(`nodes up: ${nodes.map((n) => `${n.network} :${n.port} pid ${n.pid}`).join(", ")}`);
    const env: NodeJS.ProcessEnv = {
      HEXS_LZ_URL_A: nodes[0].url,
      HEXS_LZ_URL_B: nodes[1].url,
      HEXS_LZ_DEPLOYMENTS: path.join(dir, "deployments"),
      HEXS_QUIET: "0",
    };
    // 1. The real endpoint + SimpleMessageLib on each node (account 0 owns them; account 9 executes).
    const lzs: LzEndpointDeployment[] = [];
    for (const n of nodes) {
      const owner = await n.provider.getSigner(0);
      const executor = await (await n.provider.getSigner(EXECUTOR_INDEX)).getAddress();
      const lz = await deployLzEndpoint(owner, n.eid, executor);
      await useMessageLibFor(owner, lz, NODES.filter((x) => x.eid !== n.eid).map((x) => x.eid));
      lzs.push(lz);
    }
    // 2. Hexs on each node with the real deploy script (admin handed to the timelock).
    await Promise.all(
      nodes.map((n, i) =>
        runHardhat(["deploy", "--network", n.network, "--tags", "core"], {
          ...env,
          HEXS_CHAIN_ID: String(n.hexsChainId),
          HEXS_LZ_ENDPOINT: lzs[i].endpoint,
          HEXS_TIMELOCK_DELAY: "1",
        }),
      ),
    );
    const addresses = nodes.map((n) => readDeployments(env.HEXS_LZ_DEPLOYMENTS!, n.network));
    log("Hexs deployed on both nodes");
    // 3. Wire both ways with lz:wire, through each chain's timelock.
    const wireFile = path.join(dir, "wire.json");
    fs.writeFileSync(
      wireFile,
      JSON.stringify({ chains: nodes.map((n, i) => ({ chainId: n.hexsChainId, eid: n.eid, bridge: addresses[i].HexsLzBridge, ratePerHour: 0 })) }, null, 2),
    );
    // First pass schedules every step on the timelock (delay 1 s), the second executes them.
    await Promise.all(nodes.map((n) => runHardhat(["lz:wire", "--network", n.network, "--file", wireFile], env)));
    await new Promise((r) => setTimeout(r, 1100));
    for (const n of nodes) await n.provider.send("evm_mine", []);
    await Promise.all(nodes.map((n) => runHardhat(["lz:wire", "--network", n.network, "--file", wireFile, "--execute"], env)));
    log("lanes wired through the timelocks");

    const chains = nodes.map((n, i): NodeChain => {
      return {
        node: n,
        lz: lzs[i],
        addresses: addresses[i],
        hub: HexsHub__factory.connect(addresses[i].HexsHub, n.provider),
        bridge: HexsLzBridge__factory.connect(addresses[i].HexsLzBridge, n.provider),
        registry: HexsRegistry__factory.connect(addresses[i].HexsRegistry, n.provider),
        market: HexsMarket__factory.connect(addresses[i].HexsMarket, n.provider),
        signer: (index: number) => n.provider.getSigner(index),
      };
    });
    const [a, b] = chains;
    const errorInterfaces = hexsErrorInterfaces();
    const store = new JsonFileFailedReceiveStore(path.join(dir, "failed-receives.json"));
    const mk = async (src: NodeChain, dst: NodeChain) =>
      new LzExecutor({
        name: `${src.node.network}>${dst.node.network}`,
        source: { provider: src.node.provider, endpoint: src.lz.endpoint, eid: src.node.eid },
        destination: { signer: await dst.signer(EXECUTOR_INDEX), endpoint: dst.lz.endpoint, messageLib: dst.lz.messageLib, eid: dst.node.eid },
        receivers: [dst.addresses.HexsLzBridge],
        errorInterfaces,
        store,
        log,
      });
    return { dir, a, b, aToB: await mk(a, b), bToA: await mk(b, a), env, stop: stopAll };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
