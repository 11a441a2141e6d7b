// Runtime config: the chain registry (the SDK's format) and where the indexer answers, read from
// config.json beside index.html, so one build serves any deployment.
import { chainRegistry, type ChainRegistry, type EvmChain } from "../../sdk/chains";

export interface AppConfig {
  indexerUrl: string;
  registry: ChainRegistry;
  /** The key service's front (its discovery names the shard stores); decrypting needs it. */
  keyServiceUrl?: string;
}

export async function loadConfig(): Promise<AppConfig> {
  const res = await fetch(new URL("config.json", document.baseURI));
  if (!res.ok)
    throw new Error(`config.json: HTTP ${res.status} (the deployment must serve the chain registry beside index.html)`);
  const raw = (await res.json()) as { indexerUrl?: unknown; chains?: unknown; keyServiceUrl?: unknown };
  if (typeof raw.indexerUrl !== "string") throw new Error("config.json: indexerUrl is missing");
  return {
    indexerUrl: raw.indexerUrl.replace(/\/$/, ""),
    registry: chainRegistry(raw),
    ...(typeof raw.keyServiceUrl === "string" ? { keyServiceUrl: raw.keyServiceUrl.replace(/\/$/, "") } : {}),
  };
}

export function evmChains(reg: ChainRegistry): EvmChain[] {
  return reg.chains.filter((c): c is EvmChain => c.family === "evm");
}

/** "EVM chain A"-style label: the registry's name, made readable. */
export function chainLabel(reg: ChainRegistry, hexsChainId: number): string {
  const c = reg.chains.find((x) => x.hexsChainId === hexsChainId);
  if (!c) return `chain ${hexsChainId}`;
  return c.name.replace(/^devnet([A-Z])$/, "Devnet $1");
}
