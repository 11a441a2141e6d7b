// EVM fixtures for relayer tests: a real `hardhat node` (JSON-RPC on 127.0.0.1, ports
// 18800-18899, stopped by its pid) and a minimal Hexs lane on it — registry, hub and attestation
// gateway behind ERC-1967 proxies per logical chain, the deployer allowed to record journal
// entries directly — so the relayer reads real `Recorded` logs and submits real batches.
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Contract, ContractFactory, JsonRpcProvider, Wallet, hexlify, type InterfaceAbi } from "ethers";
import { AccountFamily, encodeBody, Kind } from "../../../codec";

const ROOT = path.resolve(__dirname, "../../..");
/** hardhat's first development account (well known; local devnets only) */
export const DEPLOYER_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

export interface Node {
  url: string;
  provider: JsonRpcProvider;
  proc: ChildProcess;
  stop(): Promise<void>;
}

export async function startNode(port: number): Promise<Node> {
  const busy = await fetch(`http://127.0.0.1:${port}`, { method: "POST" }).then(
    () => true,
    () => false,
  );
  if (busy)
    throw new Error(`port ${port} is already in use: stop whatever listens there (a hardhat node left by an earlier run?)`);
  const proc = spawn(
    path.join(ROOT, "node_modules/.bin/hardhat"),
    ["node", "--hostname", "127.0.0.1", "--port", String(port), "--no-deploy"],
    {
      cwd: ROOT,
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: "true" },
    },
  );
  let stderr = "";
  proc.stderr!.on("data", (d) => (stderr += String(d)));
  const url = `http://127.0.0.1:${port}`;
  const provider = new JsonRpcProvider(url, 31337, { staticNetwork: true, cacheTimeout: -1 });
  const t0 = Date.now();
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`hardhat node exited: ${stderr}`);
    try {
      await provider.getBlockNumber();
      break;
    } catch {
      if (Date.now() - t0 > 90_000) throw new Error(`hardhat node on ${port} not up after 90 s: ${stderr}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  return {
    url,
    provider,
    proc,
    stop: async () => {
      provider.destroy();
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((r) => proc.once("exit", r));
        proc.kill("SIGTERM");
        const t = setTimeout(() => proc.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(t);
      }
    },
  };
}

function artifact(rel: string): { abi: InterfaceAbi; bytecode: string } {
  const j = JSON.parse(fs.readFileSync(path.join(ROOT, rel), "utf8"));
  return { abi: j.abi, bytecode: j.bytecode };
}

const ART = {
  registry: "artifacts/contracts/evm/registry/HexsRegistry.sol/HexsRegistry.json",
  hub: "artifacts/contracts/evm/bridge/HexsHub.sol/HexsHub.json",
  hubLens: "artifacts/contracts/evm/bridge/HexsHubLens.sol/HexsHubLens.json",
  gateway: "artifacts/contracts/evm/bridge/AttestationGateway.sol/AttestationGateway.json",
  proxy:
    "node_modules/@openzeppelin/upgrades-core/artifacts/@openzeppelin/contracts-v5/proxy/ERC1967/ERC1967Proxy.sol/ERC1967Proxy.json",
};

export interface HexsChain {
  hexsChainId: number;
  registry: string;
  hub: Contract;
  /** HexsHubLens: the hub's read-only views (mirrored keys, journal, refusals). */
  lens: Contract;
  gateway: Contract;
}

/** An ERC-1967 proxy over a fresh implementation; `immutables` are the implementation's constructor arguments. */
async function proxy(deployer: Wallet, name: keyof typeof ART, args: unknown[], immutables: unknown[] = []): Promise<Contract> {
  const a = artifact(ART[name]);
  const impl = await new ContractFactory(a.abi, a.bytecode, deployer).deploy(...immutables);
  await impl.waitForDeployment();
  const p = artifact(ART.proxy);
  const init = impl.interface.encodeFunctionData("initialize", args);
  const px = await new ContractFactory(p.abi, p.bytecode, deployer).deploy(await impl.getAddress(), init);
  await px.waitForDeployment();
  return new Contract(await px.getAddress(), a.abi, deployer);
}

/** The deployer; every transaction is awaited (the node automines), so the pending nonce is exact. */
export function deployerOf(provider: JsonRpcProvider): Wallet {
  return new Wallet(DEPLOYER_KEY, provider);
}

/** A logical Hexs chain: registry + hub + gateway (relayer set sorted as the gateway wants). */
export async function deployChain(
  provider: JsonRpcProvider,
  hexsChainId: number,
  relayers: string[],
  threshold: number,
): Promise<HexsChain> {
  const deployer = deployerOf(provider);
  const me = await deployer.getAddress();
  const registry = await proxy(deployer, "registry", [hexsChainId, me, me]);
  const hub = await proxy(deployer, "hub", [await registry.getAddress(), me, me], [hexsChainId]);
  const sorted = [...relayers].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
  const gateway = await proxy(deployer, "gateway", [await hub.getAddress(), hexsChainId, me, sorted, threshold]);
  await (await hub.grantRole(await hub.REGISTRY_ROLE(), me)).wait();
  await (await hub.authorizeRecorder(me)).wait();
  const l = artifact(ART.hubLens);
  const lens = await new ContractFactory(l.abi, l.bytecode, deployer).deploy();
  await lens.waitForDeployment();
  return {
    hexsChainId,
    registry: await registry.getAddress(),
    hub,
    lens: new Contract(await lens.getAddress(), l.abi, deployer),
    gateway,
  };
}

/** Let `dst` accept `src`'s lane (an EVM chain's) through its attestation gateway. */
export async function acceptFrom(dst: HexsChain, src: number): Promise<void> {
  await (await dst.hub.setPeer(src, await dst.gateway.getAddress(), 0, AccountFamily.Evm)).wait();
}

/** Lane 1 → 2 on one node: both chains with the same relayer set, 2 accepting 1, the relayers funded. */
export async function deployLane(
  provider: JsonRpcProvider,
  relayers: string[],
  threshold: number,
): Promise<{ a: HexsChain; b: HexsChain }> {
  const a = await deployChain(provider, 1, relayers, threshold);
  const b = await deployChain(provider, 2, relayers, threshold);
  await acceptFrom(b, 1);
  await fund(provider, relayers);
  return { a, b };
}

/** The relayer config's `chains` for lane a → b (source a delivers to b through b's gateway). */
export function laneChains(
  a: HexsChain,
  b: HexsChain,
  o: { rpcA: string; rpcB?: string; ws?: string; confirmations?: number; pollMsA?: number; pollMsB?: number; fees?: object },
): object[] {
  return [
    {
      type: "evm",
      name: "a",
      hexsChainId: 1,
      rpc: o.rpcA,
      ...(o.ws ? { ws: o.ws } : {}),
      hub: a.hub.target,
      confirmations: o.confirmations ?? 1,
      pollIntervalMs: o.pollMsA ?? 100,
      deliverTo: [2],
    },
    {
      type: "evm",
      name: "b",
      hexsChainId: 2,
      rpc: o.rpcB ?? o.rpcA,
      hub: b.hub.target,
      gateway: b.gateway.target,
      confirmations: 0,
      pollIntervalMs: o.pollMsB ?? 200,
      ...(o.fees ? { fees: o.fees } : {}),
    },
  ];
}

/** The journal body of a PurchaseSettled entry (the hub acknowledges it without mirror state). */
export function purchaseBody(serial: number, tag = 0): string {
  return hexlify(
    encodeBody(Kind.PurchaseSettled, {
      purchaseId: (1n << 32n) | BigInt(serial),
      modelId: (1n << 32n) | 1n,
      keyId: (1n << 32n) | BigInt(serial),
      buyer: { family: AccountFamily.Evm, address: "0x" + (tag + 1).toString(16).padStart(40, "0") },
      currency: "0x",
      amount: BigInt(1000 + serial),
      deploymentRequested: false,
      deploymentParams: "0x",
    }),
  );
}

export async function record(chain: HexsChain, bodies: string[]): Promise<void> {
  for (const b of bodies) await (await chain.hub.record(Kind.PurchaseSettled, b)).wait();
}

/** Every lane nonce a delivery on `dst` from `src` consumed (applied or rejected), in log order (hub BatchApplied). */
export async function appliedNonces(dst: HexsChain, src: number): Promise<number[]> {
  const batches = await dst.hub.queryFilter(dst.hub.filters.BatchApplied(src));
  return batches
    .sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index)
    .flatMap((l) => {
      const { firstNonce, lastNonce } = (l as unknown as { args: { firstNonce: bigint; lastNonce: bigint } }).args;
      return Array.from({ length: Number(lastNonce - firstNonce) + 1 }, (_, i) => Number(firstNonce) + i);
    });
}

export async function mine(provider: JsonRpcProvider, n: number): Promise<void> {
  await provider.send("hardhat_mine", [`0x${n.toString(16)}`]);
}

/** Mine a block every `everyMs` (the relayers wait for confirmations) until `dst` has applied
 * `count` entries of lane `src`; fails with how many arrived. */
export async function minedUntilApplied(
  provider: JsonRpcProvider,
  dst: HexsChain,
  src: number,
  count: number,
  o: { timeoutMs: number; everyMs: number },
): Promise<void> {
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    await mine(provider, 1);
    const inbound = Number((await dst.hub.lane(src)).inbound);
    if (inbound === count) return;
    if (Date.now() > deadline) throw new Error(`only ${inbound} of ${count} delivered in ${o.timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, o.everyMs));
  }
}

/** Give relayer keys gas money on the node. */
export async function fund(provider: JsonRpcProvider, addresses: string[]): Promise<void> {
  const d = deployerOf(provider);
  for (const a of addresses) await (await d.sendTransaction({ to: a, value: 10n ** 20n })).wait();
}

/**
 * Finish a chain from `deployChain` so the hub can mirror models from other chains into the
 * registry: key beacon (KeyNFT implementation), the soulbound/expiry plugins and the hub link.
 */
export async function wireMirror(provider: JsonRpcProvider, chain: HexsChain): Promise<Contract> {
  const deployer = deployerOf(provider);
  const me = await deployer.getAddress();
  const deployPlain = async (rel: string, args: unknown[] = []): Promise<string> => {
    const a = artifact(rel);
    const c = await new ContractFactory(a.abi, a.bytecode, deployer).deploy(...args);
    await c.waitForDeployment();
    return c.getAddress();
  };
  const hub = await chain.hub.getAddress();
  const keyImpl = await deployPlain("artifacts/contracts/evm/keys/KeyNFT.sol/KeyNFT.json", [chain.registry, me, hub]);
  const beacon = await deployPlain("artifacts/contracts/evm/governance/KeyBeacon.sol/KeyBeacon.json", [keyImpl, me]);
  const soulbound = await deployPlain("artifacts/contracts/evm/plugins/SoulboundPlugin.sol/SoulboundPlugin.json");
  const expiry = await deployPlain("artifacts/contracts/evm/plugins/ExpiryPlugin.sol/ExpiryPlugin.json");
  const registry = new Contract(chain.registry, artifact(ART.registry).abi, deployer);
  await (await registry.setKeyBeacon(beacon)).wait();
  await (await registry.setHub(hub, soulbound, expiry)).wait();
  return registry;
}

/** Record journal entries of any kind (bodies already codec-encoded). */
export async function recordKinds(chain: HexsChain, entries: { kind: number; body: string }[]): Promise<void> {
  for (const e of entries) await (await chain.hub.record(e.kind, e.body)).wait();
}

/**
 * Transactions sent to `to` (the gateway) in blocks [fromBlock, head], by receipt status: the
 * destination's own count of applied batches and of submissions it refused (e.g. a duplicate
 * of a batch another relayer landed first).
 */
export async function submissionsTo(
  provider: JsonRpcProvider,
  to: string,
  fromBlock: number,
): Promise<{ applied: number; reverted: number }> {
  const head = await provider.getBlockNumber();
  const target = to.toLowerCase();
  let applied = 0;
  let reverted = 0;
  for (let h = fromBlock; h <= head; h++) {
    const block = (await provider.send("eth_getBlockByNumber", [`0x${h.toString(16)}`, true])) as {
      transactions: { hash: string; to: string | null }[];
    };
    for (const tx of block.transactions) {
      if (tx.to?.toLowerCase() !== target) continue;
      const r = await provider.getTransactionReceipt(tx.hash);
      if (r?.status === 1) applied++;
      else reverted++;
    }
  }
  return { applied, reverted };
}
