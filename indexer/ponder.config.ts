// The Hexs indexer: one Ponder app over every EVM chain of the chain registry (the SDK's
// chains.json format). Which chains and contracts it reads comes from config, never from code:
//   HEXS_CHAINS_FILE=path/to/chains.json   (required) the registry; each EVM chain needs rpcUrl,
//                                           evmChainId and contracts.HexsRegistry/HexsMarket, and
//                                           may carry startBlock and contracts.HexsResale (listings,
//                                           offers and resales are indexed where it is deployed) and
//                                           contracts.AttestationGateway (sales on the other chains,
//                                           e.g. the CosmWasm chain, as the hub receives them)
//   HEXS_INDEXER_POLL_MS                     polling interval (default 1000 ms)
//   HEXS_INDEXER_DB                          PGlite folder (default .ponder/pglite)
//   HEXS_INDEXER_RPC_LANES                   request lanes per chain's RPC URL (default 4; 1 for a metered provider)
// Key collections (one KeyNFT clone per model and chain) are found as the registry announces
// them: ModelPublished for a model's home copy, ModelMirrored for each mirror.
// PostgreSQL when DATABASE_URL is set (Ponder's own switch).
import { createConfig, factory } from "ponder";
import { getAbiItem } from "viem";
import { indexedChains } from "./chains";
import { HexsRegistry__factory } from "../sdk/typechain/factories/contracts/evm/registry/HexsRegistry__factory";
import { KeyNFT__factory } from "../sdk/typechain/factories/contracts/evm/keys/KeyNFT__factory";
import { HexsMarket__factory } from "../sdk/typechain/factories/contracts/evm/market/HexsMarket.sol/HexsMarket__factory";
import { HexsResale__factory } from "../sdk/typechain/factories/contracts/evm/market/HexsResale.sol/HexsResale__factory";
import { AttestationGateway__factory } from "../sdk/typechain/factories/contracts/evm/bridge/AttestationGateway__factory";

const chains = indexedChains();
const pollingInterval = Number(process.env.HEXS_INDEXER_POLL_MS ?? 1000);
// Ponder paces each RPC URL it is given, starting at 20 requests a second and rising 5% at a time
// (its rpc/index.js; maxRequestsPerSecond no longer overrides that). A backfill asks for a block
// with its transactions per block with events, so 20/s caps it at ~20 blocks a second whatever the
// node could serve. Each listed URL is paced on its own: the same URL listed N times starts at N×20/s.
// Each lane backs off on its own when rate-limited: against a metered provider, set 1.
const rpcLanes = Number(process.env.HEXS_INDEXER_RPC_LANES ?? 4);
if (!Number.isInteger(rpcLanes) || rpcLanes < 1)
  throw new Error(`HEXS_INDEXER_RPC_LANES must be a whole number ≥ 1, not ${process.env.HEXS_INDEXER_RPC_LANES}`);
const on = (name: "HexsRegistry" | "HexsMarket" | "HexsResale" | "AttestationGateway") =>
  Object.fromEntries(
    chains
      .filter((c) => c.contracts[name]) // the secondary market is optional (older deployments lack it)
      .map((c) => [c.name, { address: c.contracts[name] as `0x${string}`, startBlock: c.startBlock ?? 0 }]),
  );

const published = getAbiItem({ abi: HexsRegistry__factory.abi, name: "ModelPublished" });
const mirrored = getAbiItem({ abi: HexsRegistry__factory.abi, name: "ModelMirrored" });
/** Each chain's key collections announced by `event` of its registry (its `keys` parameter). */
const keysFrom = (event: typeof published | typeof mirrored) =>
  Object.fromEntries(
    chains.map((c) => [
      c.name,
      {
        address: factory({
          address: c.contracts.HexsRegistry as `0x${string}`,
          event,
          parameter: "keys" as never, // both events name it `keys`; the union hides that from the type

          startBlock: c.startBlock ?? 0,
        }),
        startBlock: c.startBlock ?? 0,
      },
    ]),
  );

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
        // URLs, not a viem transport: Ponder then uses its own HTTP client (no response-size cap,
        // retries its own) and paces each entry separately (rpcLanes above).
        rpc: Array.from({ length: rpcLanes }, () => c.rpcUrl),
        pollingInterval,
        disableCache: true,
      },
    ]),
  ),
  contracts: {
    HexsRegistry: { abi: HexsRegistry__factory.abi, chain: on("HexsRegistry") },
    HexsMarket: { abi: HexsMarket__factory.abi, chain: on("HexsMarket") },
    HexsResale: { abi: HexsResale__factory.abi, chain: on("HexsResale") },
    // Facts from chains the indexer does not read (the CosmWasm chain): attested batches delivered
    // to this chain's hub, whose PurchaseSettled messages are sales made there (src/index.ts).
    AttestationGateway: { abi: AttestationGateway__factory.abi, chain: on("AttestationGateway") },
    // Same ABI, two announcements: a model's key collection on its home chain and on each mirror.
    HomeKeys: { abi: KeyNFT__factory.abi, chain: keysFrom(published) },
    MirrorKeys: { abi: KeyNFT__factory.abi, chain: keysFrom(mirrored) },
  },
});
