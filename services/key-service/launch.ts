// Command lines of the key service's processes (`cli.ts store` and `cli.ts service`), the one
// place that spells them for whoever starts the service: the devnet and the services benchmark.
import path from "node:path";

const CLI = path.join(__dirname, "cli.ts");

/** `--evm name,rpc,chainId` / `--cosmwasm name,rpc` flags, as both processes take them. */
export interface KeyChains {
  evm?: readonly { name: string; rpc: string; chainId: number }[];
  cosmwasm?: readonly { name: string; rpc: string }[];
}

function chainFlags(chains: KeyChains): string[] {
  return [
    ...(chains.evm ?? []).flatMap((c) => ["--evm", `${c.name},${c.rpc},${c.chainId}`]),
    ...(chains.cosmwasm ?? []).flatMap((c) => ["--cosmwasm", `${c.name},${c.rpc}`]),
  ];
}

/** ts-node arguments of shard store `index` (1-based), keeping its state in `dir`. */
export function shardStoreArgs(o: { index: number; dir: string; port: number; front: string; chains: KeyChains }): string[] {
  return [
    "--transpile-only",
    CLI,
    "store",
    "--index",
    String(o.index),
    "--dir",
    o.dir,
    "--port",
    String(o.port),
    "--front",
    o.front,
    ...chainFlags(o.chains),
  ];
}

/** ts-node arguments of the front, which hands out the stores' URLs. */
export function frontArgs(o: { dir: string; port: number; storeUrls: readonly string[]; chains: KeyChains }): string[] {
  return [
    "--transpile-only",
    CLI,
    "service",
    "--dir",
    o.dir,
    "--port",
    String(o.port),
    "--stores",
    o.storeUrls.join(","),
    ...chainFlags(o.chains),
  ];
}
