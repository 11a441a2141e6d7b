// Two `hardhat node`s on 127.0.0.1 (free ports in 18700-18799, the devnet's chain ids
// 31401/31402) with the REAL LayerZero EndpointV2 + SimpleMessageLib and Hexs deployed and wired
// exactly as `npm run devnet` does it (devnet/chains.ts: the deploy script, then
// `lz:wire` through each timelock), deployment records in a temporary folder, and a dev executor
// per direction. Nodes are children of a devnet Supervisor and stopped by PID only.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Signer } from "ethers";
import { JsonFileFailedReceiveStore, LzExecutor, type LzEndpointDeployment } from "../../../devnet/lz";
import {
  HexsHub__factory,
  HexsHubLens__factory,
  HexsLzBridge__factory,
  HexsMarket__factory,
  HexsRegistry__factory,
  HexsRegistryLens__factory,
} from "../../../sdk/typechain";
import type { HexsHub, HexsHubLens, HexsLzBridge, HexsMarket, HexsRegistry, HexsRegistryLens } from "../../../sdk/typechain";
import {
  deployEvm,
  devnetHardhatEnv,
  EVM_CHAINS,
  EXECUTOR_INDEX,
  hardhat,
  startEvmNode,
  type EvmChain,
  portFree,
} from "../../../devnet/chains";
import { Supervisor } from "../../../devnet/procs";
import { hexsErrorInterfaces } from "../../../devnet/hardhat/lz";

export { EXECUTOR_INDEX };

export interface NodeChain {
  node: EvmChain;
  lz: LzEndpointDeployment;
  addresses: Record<string, string>;
  hub: HexsHub;
  lens: HexsHubLens;
  bridge: HexsLzBridge;
  registry: HexsRegistry;
  registryLens: HexsRegistryLens;
  market: HexsMarket;
  signer: (index: number) => Promise<Signer>;
}

export interface TwoNodes {
  dir: string;
  a: NodeChain;
  b: NodeChain;
  aToB: LzExecutor;
  bToA: LzExecutor;
  /** Environment that points `hardhat --network devnetA|devnetB` at these nodes and records. */
  env: NodeJS.ProcessEnv;
  stop: () => Promise<void>;
}

/** The test port range: HEXS_PORT_RANGE="<lo>-<hi>" (one engineer's range on a shared machine), else 18700-18799. */
export function portRange(): { lo: number; size: number } {
  const m = /^(\d+)-(\d+)$/.exec(process.env.HEXS_PORT_RANGE ?? "");
  return m ? { lo: Number(m[1]), size: Number(m[2]) - Number(m[1]) + 1 } : { lo: 18700, size: 100 };
}

/** `count` free ports in the test port range, starting at a pseudo-random offset (parallel runs). */
export async function freePorts(count: number): Promise<number[]> {
  const { lo, size } = portRange();
  const out: number[] = [];
  const start = (process.pid % Math.max(1, Math.floor(size / 2))) * 2;
  for (let i = 0; i < size && out.length < count; i++) {
    const port = lo + ((start + i) % size);
    if (await portFree(port)) out.push(port);
  }
  if (out.length < count) throw new Error(`no free ports left in ${lo}-${lo + size - 1}`);
  return out;
}

/** Run `hardhat <args>` against the nodes; rejects with its output on failure. */
export function runHardhat(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return hardhat(args, env);
}

export async function startTwoNodes(log: (line: string) => void = () => undefined): Promise<TwoNodes> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-lz-"));
  const sup = new Supervisor(path.join(dir, "logs"));
  const stop = () => sup.stopAll();
  try {
    const ports = await freePorts(2);
    const specs = EVM_CHAINS.map((spec, i) => ({ ...spec, port: ports[i] }));
    const nodes = await Promise.all(specs.map(async (spec) => ({ ...spec, ...(await startEvmNode(sup, spec)) })));
    log(`nodes up: ${nodes.map((n) => `${n.network} :${n.port}`).join(", ")}`);
    const env: NodeJS.ProcessEnv = {
      ...devnetHardhatEnv(nodes),
      HEXS_DEPLOYMENTS_DIR: path.join(dir, "deployments"),
      HEXS_TIMELOCK_DELAY: "1",
    };
    // The deployer alone is the gateway's relayer set here (this path is LayerZero only).
    const deployer = await (await nodes[0].provider.getSigner(0)).getAddress();
    const [ca, cb] = await deployEvm(nodes, [deployer], 1, dir, log, { env });
    const chain = (c: EvmChain): NodeChain => ({
      node: c,
      lz: c.lz,
      addresses: c.addresses,
      hub: HexsHub__factory.connect(c.addresses.HexsHub, c.provider),
      lens: HexsHubLens__factory.connect(c.addresses.HexsHubLens, c.provider),
      bridge: HexsLzBridge__factory.connect(c.addresses.HexsLzBridge, c.provider),
      registry: HexsRegistry__factory.connect(c.addresses.HexsRegistry, c.provider),
      registryLens: HexsRegistryLens__factory.connect(c.addresses.HexsRegistryLens, c.provider),
      market: HexsMarket__factory.connect(c.addresses.HexsMarket, c.provider),
      signer: c.signer,
    });
    const [a, b] = [chain(ca), chain(cb)];
    const errorInterfaces = hexsErrorInterfaces();
    const store = new JsonFileFailedReceiveStore(path.join(dir, "failed-receives.json"));
    const mk = async (src: NodeChain, dst: NodeChain) =>
      new LzExecutor({
        name: `${src.node.network}>${dst.node.network}`,
        source: { provider: src.node.provider, endpoint: src.lz.endpoint, eid: src.node.eid },
        destination: {
          signer: await dst.signer(EXECUTOR_INDEX),
          endpoint: dst.lz.endpoint,
          messageLib: dst.lz.messageLib,
          eid: dst.node.eid,
        },
        receivers: [dst.addresses.HexsLzBridge],
        errorInterfaces,
        store,
        log,
      });
    return { dir, a, b, aToB: await mk(a, b), bToA: await mk(b, a), env, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
