// The devnet's chains: two `hardhat node` EVM chains with the real LayerZero EndpointV2 +
// SimpleMessageLib and Hexs deployed by the real deploy script, and a single-node wasmd chain
// with the Hexs CosmWasm contract. Everything listens on 127.0.0.1.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { JsonRpcProvider, Wallet, type Signer } from "ethers";
import { DirectSecp256k1Wallet } from "@cosmjs/proto-signing";
import { fromHex } from "@cosmjs/encoding";
import { deployLzEndpoint, useMessageLibFor, type LzEndpointDeployment } from "./lz";
import { connect, deploy, devnetEnv, instantiateMsg, type DevnetEnv, type User } from "./wasmd";
import { Supervisor, waitFor } from "./procs";
import { readDeploymentRecords } from "../sdk/node/deployments";
import type { EvmChain as SdkEvmChain } from "../sdk/chains";

export const ROOT = path.resolve(__dirname, "..");
const HARDHAT = path.join(ROOT, "node_modules/.bin/hardhat");
/** Account of the dev mnemonic that executes LayerZero packets (SimpleMessageLib's whitelisted caller). */
export const EXECUTOR_INDEX = 9;
export const COSMOS_CHAIN = 100;

export interface EvmSpec {
  network: "devnetA" | "devnetB";
  label: string;
  hexsChainId: number;
  evmChainId: number;
  eid: number;
  port: number;
}

export const EVM_CHAINS: readonly EvmSpec[] = [
  { network: "devnetA", label: "EVM chain A", hexsChainId: 1, evmChainId: 31401, eid: 40101, port: 8545 },
  { network: "devnetB", label: "EVM chain B", hexsChainId: 2, evmChainId: 31402, eid: 40102, port: 8546 },
];

export interface EvmChain extends EvmSpec {
  url: string;
  provider: JsonRpcProvider;
  lz: LzEndpointDeployment;
  /** hardhat-deploy records: contract name → address */
  addresses: Record<string, string>;
  signer: (index: number) => Promise<Signer>;
}

/** The operators' secp256k1 attestation keys: fixed dev keys (keccak of a label), never for real funds. */
export function operatorKeys(n: number): Wallet[] {
  const { keccak256, toUtf8Bytes } = require("ethers") as typeof import("ethers");
  return Array.from({ length: n }, (_, i) => new Wallet(keccak256(toUtf8Bytes(`hexs devnet operator ${i + 1}`))));
}

/** The operators' transaction keys (gas on every chain, lease escrows): apart from their attestation keys. */
export function submitterKeys(n: number): Wallet[] {
  const { keccak256, toUtf8Bytes } = require("ethers") as typeof import("ethers");
  return Array.from({ length: n }, (_, i) => new Wallet(keccak256(toUtf8Bytes(`hexs devnet submitter ${i + 1}`))));
}

export async function cosmosAddressOf(w: Wallet, prefix = "wasm"): Promise<string> {
  const wallet = await DirectSecp256k1Wallet.fromKey(fromHex(w.privateKey.slice(2)), prefix);
  return (await wallet.getAccounts())[0].address;
}

/** Run `hardhat <args>` against the devnet; resolves with its output, rejects with it on failure. */
export function hardhat(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(HARDHAT, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    p.on("exit", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`npx hardhat ${args.join(" ")} failed (exit ${code}):\n${out.slice(-4000)}`)),
    );
  });
}

/** Whether nothing listens on 127.0.0.1:`port`. */
export async function portFree(port: number): Promise<boolean> {
  const net = await import("node:net");
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

export async function requireFreePorts(ports: number[]): Promise<void> {
  const busy: number[] = [];
  for (const p of ports) if (!(await portFree(p))) busy.push(p);
  if (busy.length)
    throw new Error(
      `port(s) ${busy.join(", ")} on 127.0.0.1 are in use: stop what listens there (an earlier devnet or the relayer bench? their PIDs are in .devnet/logs/pids.json and .devnet/bench/logs/pids.json) and retry`,
    );
}

/**
 * The allocator settings a devnet `hardhat node` runs with. EDR records a trace step for every
 * opcode of every transaction it mines (a vector growing to hundreds of MB for a block of 600
 * gateway messages) and frees it after the block. By default its allocator (mimalloc) gives freed
 * memory back to the kernel after 10 ms, and maps what does not fit its 1 GiB arena apart and
 * unmaps it on free, so every block faulted that memory in afresh as zeroed huge pages — most of
 * the node's time on such a block on this VM (bench/README.md, "What a gateway block costs the
 * node"). Keeping freed memory, in a 4 GiB arena, lets the next block reuse it. An environment
 * that sets these keeps its values (MIMALLOC_PURGE_DELAY=10 MIMALLOC_ARENA_RESERVE=1GiB: mimalloc's
 * defaults).
 */
export function evmNodeAllocatorEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return {
    MIMALLOC_PURGE_DELAY: env.MIMALLOC_PURGE_DELAY ?? "-1",
    MIMALLOC_ARENA_RESERVE: env.MIMALLOC_ARENA_RESERVE ?? "4GiB",
  };
}

/** Start a `hardhat node` for `spec` and wait until it answers with the right chain id. */
export async function startEvmNode(sup: Supervisor, spec: EvmSpec): Promise<{ url: string; provider: JsonRpcProvider }> {
  // HEXS_RPC_TAP=<dir> (diagnostics): the node listens on a private port behind a proxy on
  // spec.port that records every call (devnet/rpc-tap.ts); nothing else changes for its clients.
  const tapDir = process.env.HEXS_RPC_TAP;
  let nodePort = spec.port;
  if (tapDir) for (nodePort = spec.port + 400; !(await portFree(nodePort)); nodePort++);
  const c = sup.spawn(
    `node-${spec.network}`,
    HARDHAT,
    ["node", "--hostname", "127.0.0.1", "--port", String(nodePort), "--no-deploy"],
    {
      cwd: ROOT,
      env: {
        HEXS_NODE_CHAIN_ID: String(spec.evmChainId),
        HARDHAT_DISABLE_TELEMETRY_PROMPT: "true",
        ...evmNodeAllocatorEnv(),
      },
      fatal: true, // its state lives in memory: a restarted node would be an empty chain
    },
  );
  if (tapDir) {
    const { startRpcTap } = await import("./rpc-tap");
    const tap = await startRpcTap(spec.port, nodePort, path.join(tapDir, `${spec.network}.jsonl`));
    c.proc.once("exit", () => {
      tap.closeAllConnections();
      tap.close();
    });
  }
  const url = `http://127.0.0.1:${spec.port}`;
  const provider = new JsonRpcProvider(url, spec.evmChainId, { staticNetwork: true, pollingInterval: 250, cacheTimeout: -1 });
  await waitFor(
    `${spec.label} on :${spec.port}`,
    90_000,
    async () => Number(await provider.send("eth_chainId", [])) === spec.evmChainId,
    { sup, c },
  );
  return { url, provider };
}

/** Where hardhat-deploy keeps a network's records: `deployments/` or $HEXS_DEPLOYMENTS_DIR (tests). */
export function deploymentsDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.HEXS_DEPLOYMENTS_DIR ?? path.join(ROOT, "deployments");
}

/** A devnet EVM chain as an SDK chain entry (for connectContracts and the chain registry). */
export function sdkChain(c: EvmChain): SdkEvmChain {
  return {
    family: "evm",
    name: c.network,
    hexsChainId: c.hexsChainId,
    evmChainId: c.evmChainId,
    rpcUrl: c.url,
    lzEid: c.eid,
    contracts: { ...c.addresses },
  };
}

/** Environment that points `hardhat --network devnetA|devnetB` at the running nodes. */
export function devnetHardhatEnv(chains: readonly { network: string; url: string }[]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { HEXS_QUIET: "0" };
  for (const c of chains) env[c.network === "devnetA" ? "HEXS_DEVNET_URL_A" : "HEXS_DEVNET_URL_B"] = c.url;
  return env;
}

/**
 * LayerZero endpoints, Hexs (relayer quorum `threshold` of `relayers` on the gateway, admin
 * handed to the timelock), LayerZero lanes wired both ways, the CosmWasm lane accepted and, with
 * `lease`, the Akash lane accepted and lease reporting set (the hub resolves deployment escrows,
 * paying `lease.payee`) — every step through the deploy script and the tasks a maintainer would run.
 */
export async function deployEvm(
  nodes: (EvmSpec & { url: string; provider: JsonRpcProvider })[],
  relayers: string[],
  threshold: number,
  dir: string,
  say: (line: string) => void,
  o: {
    /** accept the Akash lane and resolve deployment escrows from its reports, paying `payee` */
    lease?: { akashChain: number; payee: string };
    /** extra environment for the hardhat runs (e.g. HEXS_DEPLOYMENTS_DIR, HEXS_TIMELOCK_DELAY) */
    env?: NodeJS.ProcessEnv;
  } = {},
): Promise<EvmChain[]> {
  const { lease } = o;
  const env = { ...devnetHardhatEnv(nodes), ...o.env };
  const records = deploymentsDir({ ...process.env, ...env });
  const lzs: LzEndpointDeployment[] = [];
  for (const n of nodes) {
    const owner = await n.provider.getSigner(0);
    const executor = await (await n.provider.getSigner(EXECUTOR_INDEX)).getAddress();
    const lz = await deployLzEndpoint(owner, n.eid, executor);
    await useMessageLibFor(
      owner,
      lz,
      nodes.filter((x) => x.eid !== n.eid).map((x) => x.eid),
    );
    lzs.push(lz);
    say(`${n.label}: LayerZero EndpointV2 ${lz.endpoint} + SimpleMessageLib ${lz.messageLib}`);
  }
  await Promise.all(
    nodes.map(async (n, i) => {
      fs.rmSync(path.join(records, n.network), { recursive: true, force: true }); // a fresh node: forget old records
      await hardhat(["deploy", "--network", n.network, "--tags", "core"], {
        ...env,
        HEXS_LZ_ENDPOINT: lzs[i].endpoint,
        HEXS_RELAYERS: relayers.join(","),
        HEXS_THRESHOLD: String(threshold),
      });
    }),
  );
  const chains: EvmChain[] = nodes.map((n, i) => ({
    ...n,
    lz: lzs[i],
    addresses: readDeploymentRecords(records, n.network),
    signer: (index: number) => n.provider.getSigner(index),
  }));
  for (const c of chains)
    say(
      `${c.label}: Hexs chain ${c.hexsChainId} deployed (registry ${c.addresses.HexsRegistry}, hub ${c.addresses.HexsHub}); admin is the timelock`,
    );
  const wireFile = path.join(dir, "lz-wire.json");
  fs.writeFileSync(
    wireFile,
    JSON.stringify(
      {
        chains: chains.map((c) => ({
          chainId: c.hexsChainId,
          eid: c.eid,
          bridge: c.addresses.HexsLzBridge,
          ratePerHour: 0,
          payoutBindings: c.addresses.PayoutBindings,
        })),
      },
      null,
      2,
    ),
  );
  await Promise.all(
    chains.map((c) => hardhat(["lz:wire", "--network", c.network, "--file", wireFile, "--execute", "--fast-forward"], env)),
  );
  say(
    `LayerZero lanes wired both ways (npx hardhat lz:wire --network <chain> --file ${path.relative(ROOT, wireFile)} --execute)`,
  );
  await Promise.all(
    chains.map((c) =>
      hardhat(
        [
          "gateway:accept",
          "--network",
          c.network,
          "--chain",
          String(COSMOS_CHAIN),
          "--hrp",
          "wasm",
          "--execute",
          "--fast-forward",
        ],
        env,
      ),
    ),
  );
  say(
    `both EVM hubs accept the CosmWasm chain's lane through their attestation gateways (npx hardhat gateway:accept --chain ${COSMOS_CHAIN})`,
  );
  if (lease) {
    const lane = String(lease.akashChain);
    await Promise.all(
      chains.map(async (c) => {
        await hardhat(["gateway:accept", "--network", c.network, "--chain", lane, "--execute", "--fast-forward"], env);
        await hardhat(
          [
            "hub:lease-reporting",
            "--network",
            c.network,
            "--akash-chain",
            lane,
            "--payee",
            lease.payee,
            "--execute",
            "--fast-forward",
          ],
          env,
        );
      }),
    );
    say(
      `both EVM hubs accept the Akash lane ${lane} through their gateways and resolve deployment escrows from its LeaseReported, paying ${lease.payee} (npx hardhat gateway:accept --chain ${lane}; npx hardhat hub:lease-reporting --akash-chain ${lane} --payee …)`,
    );
  }
  return chains;
}

export interface CosmosChain {
  env: DevnetEnv;
  contract: string;
  admin: User;
  users: Record<string, User>;
}

/** Start the single-node wasmd chain (fresh home in `home`), through scripts/wasmd.sh. */
export async function startWasmd(sup: Supervisor, home: string, rpcPort: number, grpcPort: number): Promise<void> {
  const env = { ...process.env, WASMD_HOME: home, WASMD_RPC_PORT: String(rpcPort), WASMD_GRPC_PORT: String(grpcPort) };
  Object.assign(process.env, { WASMD_HOME: home, WASMD_RPC_PORT: String(rpcPort), WASMD_GRPC_PORT: String(grpcPort) });
  const run = (cmd: string) =>
    new Promise<void>((resolve, reject) => {
      const p = spawn("bash", [path.join(ROOT, "scripts/wasmd.sh"), cmd], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      p.stdout!.on("data", (d: Buffer) => (out += d.toString()));
      p.stderr!.on("data", (d: Buffer) => (out += d.toString()));
      p.on("exit", (code) =>
        code === 0 ? resolve() : reject(new Error(`scripts/wasmd.sh ${cmd} failed (exit ${code}):\n${out.slice(-3000)}`)),
      );
    });
  sup.atStop("wasmd", () => run("stop"));
  await run("start");
}

/**
 * Upload and instantiate the Hexs contract: Hexs chain 100, peers = the EVM chains, `threshold` of the
 * operators' keys. Each EVM peer's PayoutBindings is the EIP-712 verifying contract its payout
 * bindings are checked against on arrival.
 */
export async function deployCosmwasm(
  evm: EvmChain[],
  operatorPubkeys: string[],
  threshold: number,
  users: string[],
): Promise<CosmosChain> {
  const env = devnetEnv();
  const admin = await connect("validator", env);
  const msg = instantiateMsg(admin.address, operatorPubkeys, env.denom);
  msg.config.peers = evm.map((c) => c.hexsChainId);
  msg.config.peer_bindings = evm.map((c) => ({
    chain: c.hexsChainId,
    verifying_contract: c.addresses.PayoutBindings.slice(2).toLowerCase(),
    bech32_prefix: null,
  }));
  msg.threshold = threshold;
  const { contract } = await deploy(admin, msg);
  const byName: Record<string, User> = {};
  for (const u of users) byName[u] = await connect(u, env);
  return { env, contract, admin, users: byName };
}
