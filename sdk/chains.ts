// Deployments and the chain registry: which chains Hexs runs on, their Hexs chain ids, family,
// RPC endpoint and the address of each contract. Loaded from a plain object (JSON), so it runs in
// a browser as well as in Node; sdk/node/deployments.ts builds one from hardhat-deploy folders and
// the devnet's state files.
import { chainOf } from "./ids";
import { HexsError } from "./errors";

/** hardhat-deploy names of the protocol's EVM contracts (the keys of `EvmChain.contracts`). */
export const ContractNames = {
  timelock: "HexsTimelock",
  registry: "HexsRegistry",
  registryLens: "HexsRegistryLens",
  market: "HexsMarket",
  keyImplementation: "KeyNFT",
  keyBeacon: "KeyBeacon",
  soulbound: "SoulboundPlugin",
  allowlist: "AllowlistPlugin",
  supplyCap: "SupplyCapPlugin",
  expiry: "ExpiryPlugin",
  membershipImplementation: "DaoMembership",
  governorImplementation: "ModelGovernor",
  daoFactory: "DaoFactory",
  hub: "HexsHub",
  hubLens: "HexsHubLens",
  gateway: "AttestationGateway",
  lzBridge: "HexsLzBridge",
  payoutBindings: "PayoutBindings",
  apiPayments: "HexsApiPayments",
  settlementBatcher: "X402SettlementBatcher",
  resale: "HexsResale",
} as const;

export type ContractName = (typeof ContractNames)[keyof typeof ContractNames];

/** The contracts every EVM deployment has (the cross-chain ones are optional). */
export const CORE_CONTRACTS: readonly ContractName[] = [
  ContractNames.registry,
  ContractNames.registryLens,
  ContractNames.market,
  ContractNames.timelock,
  ContractNames.keyBeacon,
  ContractNames.daoFactory,
  ContractNames.soulbound,
  ContractNames.allowlist,
  ContractNames.supplyCap,
  ContractNames.expiry,
];

export type ChainFamily = "evm" | "cosmos";

interface ChainBase {
  /** A short name for people and CLIs, e.g. "devnetA". */
  name: string;
  /** The chain's name as people see it in the web app, e.g. "Hexs Cosmos devnet" (default: from `name`). */
  label?: string;
  /** The Hexs chain identifier: the upper 32 bits of every model and key id minted there. */
  hexsChainId: number;
  /** JSON-RPC (EVM) or CometBFT RPC (Cosmos) endpoint, when known. */
  rpcUrl?: string;
  /**
   * The key service's name for this chain in access conditions (Lighthouse names chains its own
   * way), when it is not `name`. Grants from the app name it; a name the key service does not
   * know is refused there.
   */
  keyServiceChain?: string;
}

export interface EvmChain extends ChainBase {
  family: "evm";
  /** EIP-155 chain id, when known. */
  evmChainId?: number;
  /** LayerZero endpoint id, when the chain is wired over LayerZero. */
  lzEid?: number;
  /** Contract name → address (hardhat-deploy names, see ContractNames). */
  contracts: Partial<Record<ContractName, string>> & Record<string, string>;
}

export interface CosmosChain extends ChainBase {
  family: "cosmos";
  /** The Cosmos chain id, e.g. "hexs-wasm-1". */
  cosmosChainId?: string;
  /** bech32 prefix of account addresses, e.g. "wasm". */
  bech32Prefix?: string;
  /** The Hexs CosmWasm contract address. */
  contract?: string;
  /** Gas price for fees, e.g. "0.025ucosm" (default 0.025 of the contract's denom). */
  gasPrice?: string;
}

export type ChainEntry = EvmChain | CosmosChain;

export interface ChainRegistry {
  chains: ChainEntry[];
}

/** The deployment does not have what was asked for (no such chain, no such contract). */
export class DeploymentError extends HexsError {
  constructor(message: string) {
    super("no_deployment", message);
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isAddress = (v: unknown): v is string => typeof v === "string" && /^0x[0-9a-fA-F]{40}$/.test(v);

function bad(where: string, what: string): never {
  throw new DeploymentError(`bad chain registry: ${where}: ${what}`);
}

/** Validate a chain entry read from JSON (or built by hand). */
export function parseChain(raw: unknown, where = "chain"): ChainEntry {
  if (!isRecord(raw)) bad(where, "expected an object");
  const name = raw.name;
  if (typeof name !== "string" || name === "") bad(where, "name must be a non-empty string");
  const id = raw.hexsChainId;
  if (typeof id !== "number" || !Number.isInteger(id) || id < 1 || id > 0xffffffff)
    bad(`${where} ${name}`, "hexsChainId must be an integer in 1..4294967295");
  if (raw.rpcUrl !== undefined && typeof raw.rpcUrl !== "string") bad(`${where} ${name}`, "rpcUrl must be a string");
  if (raw.label !== undefined && (typeof raw.label !== "string" || raw.label.trim() === ""))
    bad(`${where} ${name}`, "label must be a non-empty string");
  if (raw.keyServiceChain !== undefined && (typeof raw.keyServiceChain !== "string" || raw.keyServiceChain === ""))
    bad(`${where} ${name}`, "keyServiceChain must be a non-empty string");
  if (raw.family === "evm") {
    const contracts = raw.contracts ?? {};
    if (!isRecord(contracts)) bad(`${where} ${name}`, "contracts must be an object of name → address");
    for (const [k, v] of Object.entries(contracts))
      if (!isAddress(v)) bad(`${where} ${name}`, `contracts.${k} is not an address`);
    return { ...(raw as object), family: "evm", name, hexsChainId: id, contracts: { ...(contracts as Record<string, string>) } };
  }
  if (raw.family === "cosmos") {
    if (raw.contract !== undefined && typeof raw.contract !== "string") bad(`${where} ${name}`, "contract must be a string");
    return { ...(raw as object), family: "cosmos", name, hexsChainId: id } as CosmosChain;
  }
  return bad(`${where} ${name}`, `family must be "evm" or "cosmos", got ${JSON.stringify(raw.family)}`);
}

/** A registry from a plain object such as `{ "chains": [ … ] }` (e.g. a JSON file's contents). */
export function chainRegistry(raw: unknown): ChainRegistry {
  if (!isRecord(raw) || !Array.isArray(raw.chains)) bad("registry", 'expected { "chains": [ … ] }');
  const chains = raw.chains.map((c, i) => parseChain(c, `chains[${i}]`));
  const seen = new Map<number, string>();
  for (const c of chains) {
    const other = seen.get(c.hexsChainId);
    if (other !== undefined) bad("registry", `chains ${other} and ${c.name} share Hexs chain id ${c.hexsChainId}`);
    seen.set(c.hexsChainId, c.name);
  }
  return { chains };
}

/** The name access conditions give this chain at the key service. */
export const keyServiceChainOf = (c: ChainEntry): string => c.keyServiceChain ?? c.name;

/** The chain with this Hexs chain id or name. */
export function findChain(reg: ChainRegistry, which: number | string): ChainEntry {
  const c = reg.chains.find((x) => (typeof which === "number" ? x.hexsChainId === which : x.name === which));
  if (!c) {
    const known = reg.chains.map((x) => `${x.name} (${x.hexsChainId})`).join(", ") || "none";
    throw new DeploymentError(`unknown chain ${which}: the registry knows ${known}`);
  }
  return c;
}

/** The chain a model or key id was minted on (its upper 32 bits). */
export function originChainOf(reg: ChainRegistry, id: bigint): ChainEntry {
  return findChain(reg, chainOf(id));
}

export function evmChain(c: ChainEntry): EvmChain {
  if (c.family !== "evm") throw new DeploymentError(`chain ${c.name} (${c.hexsChainId}) is a ${c.family} chain, not an EVM one`);
  return c;
}

/** The address of a contract on an EVM chain, or a DeploymentError naming what is missing. */
export function addressOf(c: EvmChain, name: ContractName): string {
  const a = c.contracts[name];
  if (!a) throw new DeploymentError(`no ${name} deployed on chain ${c.name} (Hexs chain ${c.hexsChainId})`);
  return a;
}

/**
 * What to do about a deployment recorded before `HexsRegistryLens` existed (`where` names it,
 * `network` is the hardhat network to name in the command).
 */
export function missingLensAdvice(where: string, network: string): string {
  return (
    `${where} has no ${ContractNames.registryLens} (it was deployed before the lens existed). ` +
    `Run npx hardhat protocol:upgrade --contract ${ContractNames.registry} --network ${network} --execute: ` +
    `it deploys and records the lens, upgrades the registry and wires its sale terms to the market.`
  );
}

/** Which of `names` the chain lacks. */
export function missingContracts(c: EvmChain, names: readonly ContractName[] = CORE_CONTRACTS): ContractName[] {
  return names.filter((n) => !c.contracts[n]);
}
