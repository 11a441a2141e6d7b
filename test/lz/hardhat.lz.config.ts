// Hardhat config for the two-node LayerZero path: the project's config plus
//  - the `hardhat` network as served by `hardhat node` with a chain id from HEXS_LZ_NODE_CHAIN_ID
//    and throwOnTransactionFailures off (a reverted tx is mined and returned like on a real node);
//  - networks lzA / lzB pointing at the two nodes (HEXS_LZ_URL_A / HEXS_LZ_URL_B);
//  - deployment records in HEXS_LZ_DEPLOYMENTS (a temporary folder), not in the repository.
// Used as `--config test/lz/hardhat.lz.config.ts` by test/lz/helpers/twoNodes.ts.
import path from "node:path";
import type { HardhatUserConfig } from "hardhat/config";
import base from "../../hardhat.config";

const DEV_MNEMONIC = "test test test test test test test test test test test junk";
const root = path.resolve(__dirname, "../..");

const config: HardhatUserConfig = {
  ...base,
  paths: {
    ...base.paths,
    root,
    deployments: process.env.HEXS_LZ_DEPLOYMENTS ?? path.join(root, ".cache/lz-two-nodes/deployments"),
  },
  networks: {
    ...base.networks,
    hardhat: {
      chainId: Number(process.env.HEXS_LZ_NODE_CHAIN_ID ?? 31337),
      throwOnTransactionFailures: false,
      throwOnCallFailures: true,
    },
    lzA: { url: process.env.HEXS_LZ_URL_A ?? "http://127.0.0.1:18701", accounts: { mnemonic: DEV_MNEMONIC } },
    lzB: { url: process.env.HEXS_LZ_URL_B ?? "http://127.0.0.1:18702", accounts: { mnemonic: DEV_MNEMONIC } },
  },
};

export default config;
