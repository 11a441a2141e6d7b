// How tasks reach the SDK: this network's deployment as an SDK chain entry, the contracts
// connected to Hardhat's provider, the signer `--from` names, and SDK errors as task errors.
// The SDK loads the compiled typechain factories, so it is imported only when a task runs.
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { Signer } from "ethers";
import { Contract, getAddress, isAddress } from "ethers";
import type { EvmChain, HexsContracts } from "../../sdk";
import { ContractNames, CORE_CONTRACTS, missingLensAdvice } from "../../sdk/chains";
import { fail } from "./errors";

export type ProtocolContracts = HexsContracts;

/** The SDK, loaded on first use (it needs the compiled typechain factories). */
export function sdk(): Promise<typeof import("../../sdk")> {
  return import("../../sdk");
}

/** This network's Hexs deployment as an SDK chain entry, or fail saying how to deploy it. */
export async function chainOf(hre: HardhatRuntimeEnvironment): Promise<EvmChain> {
  const contracts: Record<string, string> = {};
  for (const name of Object.values(ContractNames)) {
    const d = await hre.deployments.getOrNull(name);
    if (d) {
      contracts[name] = d.address;
    } else if (name === ContractNames.registryLens && (await hre.deployments.getOrNull(ContractNames.registry))) {
      fail(missingLensAdvice(`the Hexs deployment on network '${hre.network.name}'`, hre.network.name));
    } else if (CORE_CONTRACTS.includes(name)) {
      fail(
        `no Hexs deployment on network '${hre.network.name}' (missing ${name}). ` +
          (hre.network.name === "hardhat"
            ? "The in-process 'hardhat' network starts empty on every run: start the devnet (npm run devnet -- --keep) and pass --network devnetA (or devnetB)."
            : `Deploy first: npx hardhat deploy --network ${hre.network.name}`),
      );
    }
  }
  for (const name of CORE_CONTRACTS) {
    const address = contracts[name];
    if ((await hre.ethers.provider.getCode(address)) === "0x") {
      fail(
        `the deployment record says ${name} is at ${address} on '${hre.network.name}', but there is no contract there ` +
          `(the node was restarted?). Redeploy: npx hardhat deploy --network ${hre.network.name} --reset`,
      );
    }
  }
  const registry = new Contract(
    contracts[ContractNames.registry],
    ["function chainId() view returns (uint32)"],
    hre.ethers.provider,
  );
  const hexsChainId = Number(await registry.chainId());
  return {
    family: "evm",
    name: hre.network.name,
    hexsChainId,
    evmChainId: Number((await hre.ethers.provider.getNetwork()).chainId),
    contracts,
  };
}

/** Load the protocol deployed on the current network, or fail saying how to deploy it. */
export async function loadProtocol(hre: HardhatRuntimeEnvironment): Promise<ProtocolContracts> {
  const chain = await chainOf(hre);
  const { connectContracts } = await sdk();
  return connectContracts(chain, hre.ethers.provider);
}

/**
 * The signer a task acts as: `--from` is an account index (0, 1, …) or one of the network's
 * account addresses; default account 0 (the deployer).
 */
export async function resolveSigner(hre: HardhatRuntimeEnvironment, from: string | undefined): Promise<Signer> {
  const signers = await hre.ethers.getSigners();
  if (signers.length === 0) fail(`network '${hre.network.name}' has no accounts configured: add accounts to hardhat.config.ts`);
  if (from === undefined || from === "") return signers[0];
  const v = from.trim();
  if (/^\d+$/.test(v)) {
    const i = Number(v);
    if (i >= signers.length)
      fail(`bad --from '${from}': network '${hre.network.name}' has ${signers.length} accounts (0..${signers.length - 1})`);
    return signers[i];
  }
  if (!isAddress(v)) fail(`bad --from '${from}': expected an account index (0, 1, …) or an address`);
  const want = getAddress(v);
  for (const s of signers) if ((await s.getAddress()) === want) return s;
  return fail(`bad --from '${from}': not one of the accounts this network can sign for (use an index 0..${signers.length - 1})`);
}

/** Networks on which tasks may move time and mine blocks (`--fast-forward`). */
export function isLocalNetwork(hre: HardhatRuntimeEnvironment): boolean {
  return ["hardhat", "localhost", "devnetA", "devnetB"].includes(hre.network.name);
}

/**
 * `mine` for the SDK's actions that wait for blocks: mines on local networks, fails elsewhere;
 * undefined without --fast-forward (the action then says to wait).
 */
export function fastForwardMiner(
  hre: HardhatRuntimeEnvironment,
  fastForward: boolean,
  log: (line: string) => void,
): ((blocks: bigint) => Promise<void>) | undefined {
  if (!fastForward) return undefined;
  return async (blocks: bigint) => {
    if (!isLocalNetwork(hre))
      fail(`--fast-forward works only on local devnets (hardhat, localhost, devnetA, devnetB), not '${hre.network.name}'`);
    if (blocks <= 0n) return;
    await hre.network.provider.send("hardhat_mine", [`0x${blocks.toString(16)}`]);
    log(`  fast-forward: mined ${blocks} block(s)`);
  };
}
