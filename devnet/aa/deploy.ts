// `hardhat run devnet/aa/deploy.ts --network devnetA` against the sponsored-purchase stand's node:
// Hexs (single chain, the real deployHexs, admin handed to the timelock), an accepted ERC-20 and
// a model priced in it, EntryPoint v0.7, SimpleAccountFactory and HexsPaymaster with the devnet
// policy. Writes the addresses to $HEXS_AA_OUT (JSON).
import fs from "node:fs";
import hre from "hardhat";
import { deployHexs, handOver } from "../../tasks/lib/deployHexs";
import { publishParams } from "../hardhat/protocol";
import { configurePolicy, ENTRY_POINT_FQN } from "../hardhat/aa";
import { Names } from "../../tasks/lib/protocol";

export interface AaDeployment {
  chainId: string;
  entryPoint: string;
  factory: string;
  paymaster: string;
  registry: string;
  market: string;
  timelock: string;
  token: string;
  modelId: string;
  keys: string;
  keyPrice: string;
  policySigner: string;
  /** every Hexs contract under its registry name (the chain registry's `contracts`, for the app and indexer) */
  contracts: Record<string, string>;
}

async function main() {
  const { ethers } = hre;
  const out = process.env.HEXS_AA_OUT;
  const policySigner = process.env.HEXS_AA_POLICY_SIGNER;
  if (!out || !policySigner) throw new Error("set HEXS_AA_OUT (output file) and HEXS_AA_POLICY_SIGNER (address)");
  const opsPerHour = Number(process.env.HEXS_AA_OPS_PER_HOUR ?? "3");
  const weiPerHour = BigInt(process.env.HEXS_AA_WEI_PER_HOUR ?? ethers.parseEther("1").toString());
  const keyPrice = BigInt(process.env.HEXS_AA_KEY_PRICE ?? "5000000");
  const [, , creator, guardian] = await ethers.getSigners();

  const a = await deployHexs(hre, {
    hexsChainId: 1,
    timelockDelay: 3600,
    protocolFeeBps: 250,
    crossChain: false,
    devnet: true,
    skipHandover: true,
  });
  const market = await ethers.getContractAt("HexsMarket", a.market);
  const registry = await ethers.getContractAt("HexsRegistry", a.registry);
  const token = await (await ethers.getContractFactory("TestToken")).deploy();
  await token.waitForDeployment();
  await (await market.setAcceptedToken(await token.getAddress(), true)).wait();
  await handOver(hre, a);

  const rc = await (await registry.connect(creator).publish(publishParams())).wait();
  const ev = rc!.logs.map((l) => registry.interface.parseLog(l)).find((e) => e?.name === "ModelPublished");
  const modelId = ev!.args.modelId as bigint;
  await (await registry.connect(creator).setPrice(modelId, await token.getAddress(), keyPrice, 0, true)).wait();

  const entryPoint = await (await ethers.getContractFactory(ENTRY_POINT_FQN)).deploy();
  await entryPoint.waitForDeployment();
  const factory = await (await ethers.getContractFactory("SimpleAccountFactory")).deploy(await entryPoint.getAddress());
  await factory.waitForDeployment();
  const paymaster = await (
    await ethers.getContractFactory("HexsPaymaster")
  ).deploy(await entryPoint.getAddress(), a.registry, policySigner, await guardian.getAddress(), opsPerHour, weiPerHour);
  await paymaster.waitForDeployment();
  await configurePolicy(paymaster, a.market, [await token.getAddress()], String(factory.target));
  await (await paymaster.allowCollection(modelId)).wait();
  await (await paymaster.deposit({ value: ethers.parseEther("10") })).wait();
  // The timelock owns the policy, as on a real chain (the devnet deployer keeps nothing).
  await (await paymaster.transferOwnership(a.timelock)).wait();

  const d: AaDeployment = {
    chainId: (await ethers.provider.getNetwork()).chainId.toString(),
    entryPoint: await entryPoint.getAddress(),
    factory: String(factory.target),
    paymaster: await paymaster.getAddress(),
    registry: a.registry,
    market: a.market,
    timelock: a.timelock,
    token: await token.getAddress(),
    modelId: modelId.toString(),
    keys: await registry.keysOf(modelId),
    keyPrice: keyPrice.toString(),
    policySigner,
    contracts: Object.fromEntries(
      Object.entries(a)
        .filter(([, v]) => v && v !== ethers.ZeroAddress)
        .map(([k, v]) => [Names[k as keyof typeof Names], v]),
    ),
  };
  fs.writeFileSync(out, JSON.stringify(d, null, 2) + "\n");
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
