// Runtime config: the chain registry (the SDK's format) and where the indexer answers, read from
// config.json beside index.html, so one build serves any deployment.
import { chainRegistry, type ChainRegistry, type EvmChain } from "../../sdk/chains";
import { parseAkash, type AkashConfig } from "./akash";

export interface AppConfig {
  indexerUrl: string;
  registry: ChainRegistry;
  /** The key service's front (its discovery names the shard stores); decrypting needs it. */
  keyServiceUrl?: string;
  /** Gas sponsors (ERC-4337) by Hexs chain id: where a burner's operations go on that chain. */
  sponsors: Record<number, Sponsor>;
  /** The Akash node's REST API and the lease service's accounts: the live state of a purchase's lease. */
  akash?: AkashConfig;
  /** The relayer operators' EVM addresses whose lease pipeline decrypts an SDL to open a lease (a creator grants them). */
  leaseOperators?: string[];
}

/** An ERC-4337 gas sponsor on one chain: its bundler, policy signer and contracts. */
export interface Sponsor {
  bundlerUrl: string;
  policyUrl: string;
  entryPoint: string;
  factory: string;
  paymaster: string;
  /** the EVM chain id it sponsors on, when the deployment states it (the devnet does) */
  chainId?: string;
}

const SPONSOR_FIELDS = ["bundlerUrl", "policyUrl", "entryPoint", "factory", "paymaster"] as const;

/** config.json's optional `sponsors: {"<hexsChainId>": {bundlerUrl, policyUrl, entryPoint, factory, paymaster}}`. */
export function parseSponsors(raw: unknown): Record<number, Sponsor> {
  if (raw === undefined) return {};
  if (!raw || typeof raw !== "object") throw new Error("config.json: sponsors must be an object keyed by Hexs chain id");
  const out: Record<number, Sponsor> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    const r = (v ?? {}) as Record<string, unknown>;
    for (const f of SPONSOR_FIELDS) if (typeof r[f] !== "string") throw new Error(`config.json: sponsors.${k}.${f} is missing`);
    if (r.chainId !== undefined && typeof r.chainId !== "string")
      throw new Error(`config.json: sponsors.${k}.chainId must be a string (the EVM chain id)`);
    out[Number(k)] = {
      ...(Object.fromEntries(SPONSOR_FIELDS.map((f) => [f, r[f] as string])) as unknown as Sponsor),
      ...(r.chainId === undefined ? {} : { chainId: r.chainId }),
    };
  }
  return out;
}

export async function loadConfig(): Promise<AppConfig> {
  const res = await fetch(new URL("config.json", document.baseURI));
  if (!res.ok)
    throw new Error(`config.json: HTTP ${res.status} (the deployment must serve the chain registry beside index.html)`);
  const raw = (await res.json()) as {
    indexerUrl?: unknown;
    chains?: unknown;
    keyServiceUrl?: unknown;
    sponsors?: unknown;
    akash?: unknown;
    leaseOperators?: unknown;
  };
  const akash = parseAkash(raw.akash);
  if (typeof raw.indexerUrl !== "string") throw new Error("config.json: indexerUrl is missing");
  const ops = raw.leaseOperators;
  if (ops !== undefined && (!Array.isArray(ops) || !ops.every((a) => typeof a === "string" && /^0x[0-9a-fA-F]{40}$/.test(a))))
    throw new Error("config.json: leaseOperators must be a list of EVM addresses (the relayer operators' keys)");
  return {
    indexerUrl: raw.indexerUrl.replace(/\/$/, ""),
    registry: chainRegistry(raw),
    sponsors: parseSponsors(raw.sponsors),
    ...(akash ? { akash } : {}),
    ...(ops ? { leaseOperators: ops as string[] } : {}),
    ...(typeof raw.keyServiceUrl === "string" ? { keyServiceUrl: raw.keyServiceUrl.replace(/\/$/, "") } : {}),
  };
}

export function evmChains(reg: ChainRegistry): EvmChain[] {
  return reg.chains.filter((c): c is EvmChain => c.family === "evm");
}

/**
 * The chain's name for people: the registry entry's `label` (e.g. "Hexs Cosmos devnet"), else its
 * `name` made readable ("devnetA" → "Devnet A"). Never an implementation's name the entry does not give.
 */
export function chainLabel(reg: ChainRegistry, hexsChainId: number): string {
  const c = reg.chains.find((x) => x.hexsChainId === hexsChainId);
  if (!c) return `chain ${hexsChainId}`;
  if (c.label) return c.label;
  return c.name.replace(/^devnet([A-Z])$/, "Devnet $1");
}
