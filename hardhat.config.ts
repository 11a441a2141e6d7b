import { HardhatUserConfig, subtask } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
import "@nomicfoundation/hardhat-ethers";
import "@nomicfoundation/hardhat-chai-matchers";
import "@openzeppelin/hardhat-upgrades";
import "@typechain/hardhat";
import "hardhat-deploy";
import "./tasks";

// The compiler is the solcjs (WebAssembly) build from the pinned `solc` npm package:
// Hardhat must never try to download a native compiler.
const SOLC_VERSION = "0.8.28";

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD).setAction(async (args: { solcVersion: string }) => {
  const installed: string = require("solc/package.json").version;
  if (args.solcVersion !== SOLC_VERSION || installed !== SOLC_VERSION) {
    throw new Error(
      `offline compiler mismatch: sources want solc ${args.solcVersion}, config pins ${SOLC_VERSION}, ` +
        `npm package 'solc' is ${installed}. Align all three (npm install solc@${SOLC_VERSION}).`,
    );
  }
  const longVersion: string = require("solc")
    .version()
    .replace(/\.Emscripten\.clang$/, "");
  return { compilerPath: require.resolve("solc/soljson.js"), isSolcJs: true, version: SOLC_VERSION, longVersion };
});

// Well-known hardhat development mnemonic; used only for the local devnet.
const DEV_MNEMONIC = "test test test test test test test test test test test junk";

const config: HardhatUserConfig = {
  solidity: {
    version: SOLC_VERSION,
    settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: "cancun" },
  },
  // HEXS_BUILD_DIR gives a separate, clean build (static analysis wants exactly one build).
  paths: {
    sources: "contracts/evm",
    tests: "test/evm",
    artifacts: process.env.HEXS_BUILD_DIR ? `${process.env.HEXS_BUILD_DIR}/artifacts` : "artifacts",
    cache: process.env.HEXS_BUILD_DIR ? `${process.env.HEXS_BUILD_DIR}/cache` : "cache",
    // hardhat-deploy records; tests that run their own nodes keep theirs in a temporary folder
    deployments: process.env.HEXS_DEPLOYMENTS_DIR ?? "deployments",
  },
  networks: {
    // LayerZero's EndpointV2Mock exceeds 24,576 bytes; test/evm/sizes.test.ts keeps ours under it.
    // `hardhat node` serves this network; the devnet starts its nodes with HEXS_NODE_CHAIN_ID and
    // wants a reverted transaction mined and returned like on a real node.
    hardhat: process.env.HEXS_NODE_CHAIN_ID
      ? { chainId: Number(process.env.HEXS_NODE_CHAIN_ID), allowUnlimitedContractSize: true, throwOnTransactionFailures: false }
      : { chainId: 31337, allowUnlimitedContractSize: true },
    localhost: { url: "http://127.0.0.1:8545", chainId: 31337, accounts: { mnemonic: DEV_MNEMONIC } },
    // The two EVM chains of `npm run devnet` (devnet/): Hexs chains 1 and 2.
    devnetA: {
      url: process.env.HEXS_DEVNET_URL_A ?? "http://127.0.0.1:8545",
      chainId: 31401,
      accounts: { mnemonic: DEV_MNEMONIC },
    },
    devnetB: {
      url: process.env.HEXS_DEVNET_URL_B ?? "http://127.0.0.1:8546",
      chainId: 31402,
      accounts: { mnemonic: DEV_MNEMONIC },
    },
  },
  namedAccounts: {
    deployer: { default: 0 },
    treasury: { default: 1 },
  },
  typechain: { outDir: "sdk/typechain", target: "ethers-v6" },
  mocha: { timeout: 300_000 },
};

export default config;
