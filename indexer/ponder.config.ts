// The Hexs indexer: one Ponder app over every EVM chain of the chain registry (the SDK's
// chains.json format). Which chains and contracts it reads comes from config, never from code:
//   HEXS_CHAINS_FILE=path/to/chains.json   (required) the registry; each EVM chain needs rpcUrl,
//                                           evmChainId and contracts.HexsRegistry/HexsMarket, and
//                                           may carry startBlock
//   HEXS_INDEXER_POLL_MS                     polling interval (default 1000 ms)
//   HEXS_INDEXER_DB                          PGlite folder (default .ponder/pglite)
// PostgreSQL when DATABASE_URL is set (Ponder's own switch).
import { createConfig } from "ponder";
import { http } from "viem";
import { indexedChains } from "./chains";
import { HexsRegistry__factory } from "../sdk/typechain/factories/contracts/evm/registry/HexsRegistry__factory";
import { HexsMarket__factory } from "../sdk/typechain/factories/contracts/evm/market/HexsMarket.sol/HexsMarket__factory";

const chains = indexedChains();
const pollingInterval = Number(process.env.HEXS_INDEXER_POLL_MS ?? 1000);
const on = (name: "HexsRegistry" | "HexsMarket") =>
  Object.fromEntries(chains.map((c) => [c.name, { address: c.contracts[name] as `0x${string}`, startBlock: c.startBlock ?? 0 }]));

export default createConfig({
  // Each chain is indexed as far as its own head: with "omnichain", an idle chain (automine) would hold
  // back the others. Handlers do not rely on cross-chain order (a mirror may be read before its home).
  ordering: "multichain",
  ...(process.env.HEXS_INDEXER_DB && !process.env.DATABASE_URL
    ? { database: { kind: "pglite" as const, directory: process.env.HEXS_INDEXER_DB } }
    : {}),
  chains: Object.fromEntries(
    chains.map((c) => [
      c.name,
      {
        id: c.evmChainId,
        // A local node answers fast; viem's response-size cap would refuse large log ranges.
        rpc: http(c.rpcUrl, { retryCount: 2 }),
        pollingInterval,
        maxRequestsPerSecond: 500,
        disableCache: true,
      },
    ]),
  ),
  contracts: {
    HexsRegistry: { abi: HexsRegistry__factory.abi, chain: on("HexsRegistry") },
    HexsMarket: { abi: HexsMarket__factory.abi, chain: on("HexsMarket") },
  },
});
