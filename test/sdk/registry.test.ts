// The chain registry (from JSON and from the files the tools write) and accounts across families.
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { toBech32 } from "@cosmjs/encoding";
import { JsonRpcProvider, Network } from "ethers";
import {
  AccountFamily,
  addressOf,
  chainRegistry,
  connectContracts,
  ContractNames,
  CORE_CONTRACTS,
  cosmosAccount,
  DeploymentError,
  evmAccount,
  evmChain,
  findChain,
  formatAccount,
  InvalidAccountError,
  keyServiceChainOf,
  originChainOf,
  parseAccount,
  toBech32Address,
  toEvmAddress,
} from "../../sdk";
import { evmChainFromDeployments, readDevnetRegistry } from "../../sdk/node/deployments";

const A = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const B = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";

describe("sdk chain registry", () => {
  const json = {
    chains: [
      { family: "evm", name: "devnetA", hexsChainId: 1, rpcUrl: "http://127.0.0.1:8545", contracts: { HexsRegistry: A } },
      { family: "cosmos", name: "wasmd", hexsChainId: 100, contract: "wasm1xyz", bech32Prefix: "wasm" },
    ],
  };

  it("loads chains from a plain object and finds them by id, name and model id", () => {
    const reg = chainRegistry(JSON.parse(JSON.stringify(json)));
    expect(findChain(reg, "devnetA").hexsChainId).to.equal(1);
    expect(findChain(reg, 100).family).to.equal("cosmos");
    expect(originChainOf(reg, (100n << 32n) | 7n).name).to.equal("wasmd");
    expect(addressOf(evmChain(findChain(reg, 1)), "HexsRegistry")).to.equal(A);
    expect(() => addressOf(evmChain(findChain(reg, 1)), "HexsMarket")).to.throw(
      DeploymentError,
      /no HexsMarket deployed on chain devnetA/,
    );
    expect(() => evmChain(findChain(reg, 100))).to.throw(DeploymentError, /is a cosmos chain/);
    expect(() => findChain(reg, 7)).to.throw(DeploymentError, /unknown chain 7: the registry knows devnetA \(1\), wasmd \(100\)/);
  });

  it("refuses malformed registries, naming the field", () => {
    expect(() => chainRegistry({})).to.throw(DeploymentError, /expected \{ "chains"/);
    expect(() => chainRegistry({ chains: [{ ...json.chains[0], hexsChainId: 0 }] })).to.throw(/hexsChainId must be an integer/);
    expect(() => chainRegistry({ chains: [{ ...json.chains[0], contracts: { HexsRegistry: "0x12" } }] })).to.throw(
      /contracts.HexsRegistry is not an address/,
    );
    expect(() => chainRegistry({ chains: [{ ...json.chains[0], family: "solana" }] })).to.throw(
      /family must be "evm" or "cosmos"/,
    );
    expect(() => chainRegistry({ chains: [json.chains[0], { ...json.chains[1], hexsChainId: 1 }] })).to.throw(
      /share Hexs chain id 1/,
    );
    expect(() => chainRegistry({ chains: [{ ...json.chains[0], keyServiceChain: "" }] })).to.throw(
      /devnetA: keyServiceChain must be a non-empty string/,
    );
  });

  it("names a chain to the key service by its keyServiceChain when the registry gives one, else by its name", () => {
    const reg = chainRegistry({ chains: [{ ...json.chains[0], keyServiceChain: "hexs-evm-31401" }, json.chains[1]] });
    expect(keyServiceChainOf(findChain(reg, 1))).to.equal("hexs-evm-31401");
    expect(keyServiceChainOf(findChain(reg, 100))).to.equal("wasmd");
  });

  it("connectContracts on a deployment record without HexsRegistryLens names the upgrade task that records it", () => {
    // Never asked anything: connectContracts refuses before the first call.
    const provider = new JsonRpcProvider("http://127.0.0.1:9", Network.from(31337), { staticNetwork: true });
    const contracts = Object.fromEntries(CORE_CONTRACTS.map((name) => [name, A]));
    const chain = { family: "evm" as const, name: "devnetA", hexsChainId: 1, contracts };
    expect(connectContracts(chain, provider).registryLens.target).to.equal(A);
    delete contracts[ContractNames.registryLens];
    let err: unknown;
    try {
      connectContracts(chain, provider);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(DeploymentError);
    expect((err as DeploymentError).code).to.equal("no_deployment");
    expect((err as Error).message).to.match(
      /deployment on chain devnetA has no HexsRegistryLens .*npx hardhat protocol:upgrade --contract HexsRegistry --network <network> --execute/,
    );
    // Missing more than the lens: not a deployment to upgrade.
    delete contracts[ContractNames.market];
    expect(() => connectContracts(chain, provider)).to.throw(
      DeploymentError,
      /no Hexs deployment on chain devnetA \(missing HexsRegistryLens, HexsMarket\)/,
    );
  });

  it("reads hardhat-deploy folders and a devnet's state (Node loader)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-sdk-"));
    try {
      const records = path.join(dir, "deployments");
      for (const [network, addr] of [
        ["devnetA", A],
        ["devnetB", B],
      ]) {
        fs.mkdirSync(path.join(records, network), { recursive: true });
        fs.writeFileSync(path.join(records, network, "HexsRegistry.json"), JSON.stringify({ address: addr, abi: [] }));
        fs.writeFileSync(path.join(records, network, ".chainId"), network === "devnetA" ? "31401" : "31402");
      }
      const a = evmChainFromDeployments({ dir: records, network: "devnetA", hexsChainId: 1 });
      expect(a).to.deep.include({ family: "evm", name: "devnetA", evmChainId: 31401, contracts: { HexsRegistry: A } });

      const devnet = path.join(dir, ".devnet");
      fs.mkdirSync(path.join(devnet, "relayers", "operator1"), { recursive: true });
      fs.writeFileSync(
        path.join(devnet, "relayers", "operator1", "relayer.json"),
        JSON.stringify({
          chains: [
            { type: "evm", name: "devnetA", hexsChainId: 1, rpc: "http://127.0.0.1:8545" },
            { type: "evm", name: "devnetB", hexsChainId: 2, rpc: "http://127.0.0.1:8546" },
            { type: "cosmwasm", name: "wasmd", hexsChainId: 100, rpc: "http://127.0.0.1:26657", contract: "wasm1abc" },
          ],
        }),
      );
      fs.writeFileSync(path.join(devnet, "lz-wire.json"), JSON.stringify({ chains: [{ chainId: 2, eid: 40102, bridge: B }] }));
      const reg = readDevnetRegistry(devnet);
      expect(reg.chains.map((c) => c.name)).to.deep.equal(["devnetA", "devnetB", "wasmd"]);
      expect(evmChain(findChain(reg, 2))).to.deep.include({
        lzEid: 40102,
        rpcUrl: "http://127.0.0.1:8546",
        contracts: { HexsRegistry: B },
      });
      expect(findChain(reg, 100)).to.deep.include({ family: "cosmos", contract: "wasm1abc" });
      expect(() => readDevnetRegistry(path.join(dir, "none"))).to.throw(DeploymentError, /no devnet state/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("sdk accounts", () => {
  it("converts EVM addresses and bech32 addresses to codec accounts and back", () => {
    const evm = evmAccount(A);
    expect(evm).to.deep.equal({ family: AccountFamily.Evm, address: A.toLowerCase() });
    expect(toEvmAddress(evm)).to.equal(A);
    const bytes20 = Uint8Array.from({ length: 20 }, (_, i) => i + 1);
    const user = cosmosAccount(toBech32("wasm", bytes20));
    expect(user.family).to.equal(AccountFamily.Cosmos);
    expect(user.address).to.equal("0x0102030405060708090a0b0c0d0e0f1011121314");
    expect(toBech32Address(user, "wasm")).to.equal(toBech32("wasm", bytes20));
    const contract = cosmosAccount(toBech32("wasm", new Uint8Array(32).fill(7)));
    expect(contract.family).to.equal(AccountFamily.CosmWasm);
    expect(formatAccount(contract)).to.equal(`cosmwasm:0x${"07".repeat(32)}`);
    expect(() => cosmosAccount("not-bech32")).to.throw(InvalidAccountError);
    expect(() => toEvmAddress(user)).to.throw(InvalidAccountError, /Cosmos account has no EVM address/);
  });

  it("parses the family:0x… form with the reasons the CLI shows", () => {
    expect(parseAccount(`cosmos:0x${"ab".repeat(20)}`)).to.deep.equal({
      family: AccountFamily.Cosmos,
      address: `0x${"ab".repeat(20)}`,
    });
    expect(parseAccount(A).family).to.equal(AccountFamily.Evm);
    expect(() => parseAccount(`cosmos:0x${"ab".repeat(32)}`)).to.throw(/a Cosmos account has 20 bytes, got 32/);
    expect(() => parseAccount(`evm:0x${"00".repeat(20)}`)).to.throw(/the zero account cannot receive anything/);
    expect(() => parseAccount("bob")).to.throw(/expected an EVM address/);
  });
});
