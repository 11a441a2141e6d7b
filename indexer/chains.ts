// The chains the indexer reads: the EVM chains of the chain registry in HEXS_CHAINS_FILE (the
// SDK's chains.json format, parsed by the SDK so the app, the devnet and the indexer agree).
import fs from "node:fs";
import { chainRegistry, type ChainRegistry, type EvmChain } from "../sdk/chains";

export interface IndexedChain extends EvmChain {
  evmChainId: number;
  rpcUrl: string;
  /** First block to read (default 0). */
  startBlock?: number;
}

/** The whole chain registry in HEXS_CHAINS_FILE (the chains the indexer reads and the others). */
export function registry(): ChainRegistry {
  const file = process.env.HEXS_CHAINS_FILE;
  if (!file) throw new Error("HEXS_CHAINS_FILE is not set: point it at the chain registry (chains.json)");
  return chainRegistry(JSON.parse(fs.readFileSync(file, "utf8")));
}

export function indexedChains(): IndexedChain[] {
  const file = process.env.HEXS_CHAINS_FILE;
  const reg = registry();
  const evm = reg.chains.filter((c): c is EvmChain => c.family === "evm");
  for (const c of evm) {
    if (!c.rpcUrl || !c.evmChainId || !c.contracts.HexsRegistry || !c.contracts.HexsMarket)
      throw new Error(`chain ${c.name} in ${file} needs rpcUrl, evmChainId, contracts.HexsRegistry and contracts.HexsMarket`);
  }
  return evm as IndexedChain[];
}
