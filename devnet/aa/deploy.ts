// `hardhat run devnet/aa/deploy.ts --network devnetA`: the gas sponsor's contracts (EntryPoint v0.7,
// SimpleAccountFactory, HexsPaymaster with the devnet policy) and an ERC-20 the market accepts,
// either
//   * on a fresh node (the sponsored-purchase stand, `npm run devnet:aa`): Hexs single chain by the
//     real deployHexs, admin handed to the timelock, and one model priced in the ERC-20; or
//   * with HEXS_AA_HEXS=existing, next to the Hexs the deploy script already put on this network
//     (`npm run devnet`'s chain A, its records in $HEXS_DEPLOYMENTS_DIR or deployments/): the
//     market accepts the ERC-20 through the timelock (protocol:accept-token --execute --fast-forward);
//     no model is published (the devnet scenario prices alice's fork in it).
// Writes the addresses to $HEXS_AA_OUT (JSON).
import fs from "node:fs";
import hre from "hardhat";
import type { Signer } from "ethers";
import { deployHexs, handOver } from "../../tasks/lib/deployHexs";
import { publishParams } from "../hardhat/protocol";
import { configurePolicy, ENTRY_POINT_FQN } from "../hardhat/aa";
import { Names } from "../../tasks/lib/protocol";
import { readDeploymentRecords } from "../../sdk/node/deployments";
import { deploymentsDir } from "../chains";

/** The sponsor's contracts and the Hexs they serve (what HEXS_AA_HEXS=existing writes). */
export interface SponsorDeployment {
  chainId: string;
  entryPoint: string;
  factory: string;
  paymaster: string;
  registry: string;
  market: string;
  timelock: string;
  /** a test ERC-20 the market accepts (open minting) */
  token: string;
  policySigner: string;
  /** every Hexs contract under its registry name (the chain registry's `contracts`, for the app and indexer) */
  contracts: Record<string, string>;
}

/** The stand's deployment: also its model priced in `token`. */
export interface AaDeployment extends SponsorDeployment {
  modelId: string;
  keys: string;
  keyPrice: string;
}

interface Hexs {
  registry: string;
  market: string;
  timelock: string;
  token: string;
  contracts: Record<string, string>;
}

/** A fresh single-chain Hexs with a test ERC-20 the market accepts (the stand). */
async function freshHexs(hexsChainId: number): Promise<Hexs> {
  const { ethers } = hre;
  const a = await deployHexs(hre, {
    hexsChainId,
    timelockDelay: 3600,
    protocolFeeBps: 250,
    crossChain: false,
    devnet: true,
    skipHandover: true,
  });
  const market = await ethers.getContractAt("HexsMarket", a.market);
  const token = await (await ethers.getContractFactory("TestToken")).deploy();
  await token.waitForDeployment();
  await (await market.setAcceptedToken(await token.getAddress(), true)).wait();
  await handOver(hre, a);
  const contracts = Object.fromEntries(
    Object.entries(a)
      .filter(([, v]) => v && v !== ethers.ZeroAddress)
      .map(([k, v]) => [Names[k as keyof typeof Names], v]),
  );
  return { registry: a.registry, market: a.market, timelock: a.timelock, token: await token.getAddress(), contracts };
}

/** The Hexs already deployed on this network, and a test ERC-20 accepted as a maintainer would (timelock). */
async function existingHexs(): Promise<Hexs> {
  const contracts = readDeploymentRecords(deploymentsDir(), hre.network.name);
  for (const n of [Names.registry, Names.market, Names.timelock])
    if (!contracts[n]) throw new Error(`no ${n} in the deployment records of ${hre.network.name}: deploy Hexs first`);
  const token = await (await hre.ethers.getContractFactory("TestToken")).deploy();
  await token.waitForDeployment();
  await hre.run("protocol:accept-token", { token: await token.getAddress(), execute: true, fastForward: true, from: "0" });
  return {
    registry: contracts[Names.registry],
    market: contracts[Names.market],
    timelock: contracts[Names.timelock],
    token: await token.getAddress(),
    contracts,
  };
}

/** EntryPoint v0.7, the account factory and HexsPaymaster (policy: buy on the market, approve the token to it, key transfers and moves), funded, owned by the timelock. */
async function deploySponsor(
  h: Hexs,
  o: { policySigner: string; guardian: Signer; opsPerHour: number; weiPerHour: bigint },
): Promise<{ entryPoint: string; factory: string; paymaster: string }> {
  const { ethers } = hre;
  const entryPoint = await (await ethers.getContractFactory(ENTRY_POINT_FQN)).deploy();
  await entryPoint.waitForDeployment();
  const factory = await (await ethers.getContractFactory("SimpleAccountFactory")).deploy(await entryPoint.getAddress());
  await factory.waitForDeployment();
  const paymaster = await (
    await ethers.getContractFactory("HexsPaymaster")
  ).deploy(await entryPoint.getAddress(), h.registry, o.policySigner, await o.guardian.getAddress(), o.opsPerHour, o.weiPerHour);
  await paymaster.waitForDeployment();
  await configurePolicy(paymaster, h.market, [h.token], String(factory.target));
  await (await paymaster.deposit({ value: ethers.parseEther("10") })).wait();
  // The timelock owns the policy, as on a real chain (the devnet deployer keeps nothing).
  await (await paymaster.transferOwnership(h.timelock)).wait();
  return { entryPoint: await entryPoint.getAddress(), factory: String(factory.target), paymaster: await paymaster.getAddress() };
}

async function main() {
  const { ethers } = hre;
  const out = process.env.HEXS_AA_OUT;
  const policySigner = process.env.HEXS_AA_POLICY_SIGNER;
  if (!out || !policySigner) throw new Error("set HEXS_AA_OUT (output file) and HEXS_AA_POLICY_SIGNER (address)");
  const existing = process.env.HEXS_AA_HEXS === "existing";
  const opsPerHour = Number(process.env.HEXS_AA_OPS_PER_HOUR ?? "3");
  const weiPerHour = BigInt(process.env.HEXS_AA_WEI_PER_HOUR ?? ethers.parseEther("1").toString());
  const keyPrice = BigInt(process.env.HEXS_AA_KEY_PRICE ?? "5000000");
  const [deployer, , creator, standGuardian] = await ethers.getSigners();

  const hexsChain = Number(process.env.HEXS_AA_HEXS_CHAIN ?? "1"); // the stand's chain A or B
  if (!Number.isInteger(hexsChain) || hexsChain <= 0) throw new Error(`bad HEXS_AA_HEXS_CHAIN ${process.env.HEXS_AA_HEXS_CHAIN}`);
  const h = existing ? await existingHexs() : await freshHexs(hexsChain);
  // on the devnet the deployer is Hexs's guardian already (deployHexs leaves it the pause roles)
  const s = await deploySponsor(h, { policySigner, guardian: existing ? deployer : standGuardian, opsPerHour, weiPerHour });

  let model: Partial<Pick<AaDeployment, "modelId" | "keys" | "keyPrice">> = {};
  if (!existing) {
    const registry = await ethers.getContractAt("HexsRegistry", h.registry);
    const rc = await (await registry.connect(creator).publish(publishParams())).wait();
    const ev = rc!.logs.map((l) => registry.interface.parseLog(l)).find((e) => e?.name === "ModelPublished");
    const modelId = ev!.args.modelId as bigint;
    await (await registry.connect(creator).setPrice(modelId, h.token, keyPrice, 0, true)).wait();
    const paymaster = await ethers.getContractAt("HexsPaymaster", s.paymaster);
    await (await paymaster.allowCollection(modelId)).wait(); // anyone may: the registry vouches for it
    model = { modelId: modelId.toString(), keys: await registry.keysOf(modelId), keyPrice: keyPrice.toString() };
  }

  const d: SponsorDeployment & typeof model = {
    chainId: (await ethers.provider.getNetwork()).chainId.toString(),
    ...s,
    registry: h.registry,
    market: h.market,
    timelock: h.timelock,
    token: h.token,
    ...model,
    policySigner,
    contracts: h.contracts,
  };
  fs.writeFileSync(out, JSON.stringify(d, null, 2) + "\n");
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
