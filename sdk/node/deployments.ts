// Node-only: build chain entries from the files the tools write — hardhat-deploy's
// `deployments/<network>/` folders and the devnet's state directory (`.devnet/`).
import fs from "node:fs";
import path from "node:path";
import { chainRegistry, DeploymentError, type ChainRegistry, type CosmosChain, type EvmChain } from "../chains";

/** Contract name → address from a hardhat-deploy folder (`<dir>/<network>/*.json`). */
export function readDeploymentRecords(dir: string, network: string): Record<string, string> {
  const folder = path.join(dir, network);
  if (!fs.existsSync(folder)) throw new DeploymentError(`no deployment records for network '${network}' in ${folder}`);
  const out: Record<string, string> = {};
  for (const f of fs.readdirSync(folder).sort()) {
    if (!f.endsWith(".json")) continue;
    const rec = JSON.parse(fs.readFileSync(path.join(folder, f), "utf8")) as { address?: unknown };
    if (typeof rec.address === "string") out[f.replace(/\.json$/, "")] = rec.address;
  }
  return out;
}

/** The EIP-155 chain id hardhat-deploy wrote next to the records (`.chainId`), if any. */
export function readDeploymentChainId(dir: string, network: string): number | undefined {
  const file = path.join(dir, network, ".chainId");
  if (!fs.existsSync(file)) return undefined;
  const n = Number(fs.readFileSync(file, "utf8").trim());
  return Number.isInteger(n) ? n : undefined;
}

/** An EVM chain entry from a hardhat-deploy folder. */
export function evmChainFromDeployments(o: {
  dir: string;
  network: string;
  hexsChainId: number;
  rpcUrl?: string;
  lzEid?: number;
}): EvmChain {
  return {
    family: "evm",
    name: o.network,
    hexsChainId: o.hexsChainId,
    rpcUrl: o.rpcUrl,
    evmChainId: readDeploymentChainId(o.dir, o.network),
    lzEid: o.lzEid,
    contracts: readDeploymentRecords(o.dir, o.network),
  };
}

interface RelayerChainConfig {
  type: "evm" | "cosmwasm";
  name: string;
  hexsChainId: number;
  rpc: string;
  contract?: string;
}

/**
 * The registry of a running (or kept) devnet: its chains as the relayer operators' config names
 * them (`<devnetDir>/relayers/operator1/relayer.json`), EVM contract addresses from the
 * hardhat-deploy folders in `deploymentsDir` (default `deployments/` next to `devnetDir`),
 * LayerZero endpoint ids from `<devnetDir>/lz-wire.json` when present.
 */
export function readDevnetRegistry(devnetDir: string, deploymentsDir?: string): ChainRegistry {
  const configFile = path.join(devnetDir, "relayers", "operator1", "relayer.json");
  if (!fs.existsSync(configFile)) {
    throw new DeploymentError(`no devnet state in ${devnetDir} (missing ${configFile}): start it with npm run devnet -- --keep`);
  }
  const cfg = JSON.parse(fs.readFileSync(configFile, "utf8")) as { chains: RelayerChainConfig[] };
  const records = deploymentsDir ?? path.join(path.dirname(path.resolve(devnetDir)), "deployments");
  const eids = new Map<number, number>();
  const wire = path.join(devnetDir, "lz-wire.json");
  if (fs.existsSync(wire)) {
    const w = JSON.parse(fs.readFileSync(wire, "utf8")) as { chains?: { chainId: number; eid: number }[] };
    for (const c of w.chains ?? []) eids.set(c.chainId, c.eid);
  }
  const chains = cfg.chains.map((c): EvmChain | CosmosChain =>
    c.type === "evm"
      ? evmChainFromDeployments({
          dir: records,
          network: c.name,
          hexsChainId: c.hexsChainId,
          rpcUrl: c.rpc,
          lzEid: eids.get(c.hexsChainId),
        })
      : { family: "cosmos", name: c.name, hexsChainId: c.hexsChainId, rpcUrl: c.rpc, contract: c.contract, bech32Prefix: "wasm" },
  );
  return chainRegistry({ chains });
}

/** A registry from a JSON file of the form `{ "chains": [ … ] }`. */
export function readRegistryFile(file: string): ChainRegistry {
  return chainRegistry(JSON.parse(fs.readFileSync(file, "utf8")));
}
