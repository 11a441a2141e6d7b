// Protocol settings per network and the names under which deployments are saved.
import type { HardhatRuntimeEnvironment } from "hardhat/types";

export interface ProtocolSettings {
  /** This chain's Hexs chain identifier: the upper 32 bits of every model and key id. */
  hexsChainId: number;
  /** Seconds between scheduling and executing a timelocked change. */
  timelockDelay: number;
  protocolFeeBps: number;
  /** LayerZero EndpointV2 on this network (HEXS_LZ_ENDPOINT); no LayerZero bridge without it. */
  lzEndpoint?: string;
  /** Attestation-gateway relayer addresses (HEXS_RELAYERS, comma-separated) and threshold. */
  relayers?: string[];
  threshold?: number;
  /** A development chain: its gateway may trust one relayer (1-of-1). Set per network below, or HEXS_DEVNET=1. */
  devnet: boolean;
}

const DEFAULTS: Record<string, ProtocolSettings> = {
  hardhat: { hexsChainId: 1, timelockDelay: 3600, protocolFeeBps: 250, devnet: true },
  localhost: { hexsChainId: 1, timelockDelay: 60, protocolFeeBps: 250, devnet: true },
  devnetA: { hexsChainId: 1, timelockDelay: 2, protocolFeeBps: 250, devnet: true },
  devnetB: { hexsChainId: 2, timelockDelay: 2, protocolFeeBps: 250, devnet: true },
};

/** A development chain (the networks above), or another network that HEXS_DEVNET=1 declares one. */
export function isDevnet(hre: HardhatRuntimeEnvironment): boolean {
  return DEFAULTS[hre.network.name]?.devnet ?? process.env.HEXS_DEVNET === "1";
}

/** Settings for the current network; HEXS_CHAIN_ID and HEXS_TIMELOCK_DELAY override them. */
export function protocolSettings(hre: HardhatRuntimeEnvironment): ProtocolSettings {
  const base = DEFAULTS[hre.network.name];
  if (!base && !process.env.HEXS_CHAIN_ID) {
    throw new Error(`no Hexs settings for network '${hre.network.name}': add it to tasks/lib/protocol.ts or set HEXS_CHAIN_ID`);
  }
  const settings = { ...(base ?? DEFAULTS.localhost), devnet: isDevnet(hre) };
  if (process.env.HEXS_CHAIN_ID) settings.hexsChainId = parseUint32("HEXS_CHAIN_ID", process.env.HEXS_CHAIN_ID);
  if (process.env.HEXS_TIMELOCK_DELAY) {
    settings.timelockDelay = parseUint32("HEXS_TIMELOCK_DELAY", process.env.HEXS_TIMELOCK_DELAY);
  }
  if (process.env.HEXS_LZ_ENDPOINT) settings.lzEndpoint = process.env.HEXS_LZ_ENDPOINT;
  if (process.env.HEXS_RELAYERS) {
    settings.relayers = process.env.HEXS_RELAYERS.split(",").map((a) => a.trim());
    settings.threshold = parseUint32("HEXS_THRESHOLD", process.env.HEXS_THRESHOLD ?? (settings.devnet ? "1" : ""));
  }
  return settings;
}

function parseUint32(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0 || n > 0xffffffff) {
    throw new Error(`${name} must be an integer in 1..4294967295, got '${value}'`);
  }
  return n;
}

/** hardhat-deploy names of the protocol's contracts (the SDK's chain registry uses the same). */
export { ContractNames as Names } from "../../sdk/chains";
