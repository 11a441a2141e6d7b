// In-process fixture for sponsored (ERC-4337) purchases: EntryPoint v0.7, SimpleAccountFactory and
// HexsPaymaster on a single-chain Hexs, with a model priced in an accepted ERC-20, and helpers to
// build, sign and submit user operations through EntryPoint.handleOps as a bundler would.
import { ethers } from "hardhat";
import { Wallet, type Signer } from "ethers";
import { deploySingleChain, deployTestToken, publish, type Protocol } from "./protocol";
import type { EntryPoint, HexsPaymaster, KeyNFT, SimpleAccountFactory, TestToken } from "../../sdk/typechain";
import { accountCallData, pack, signPaymasterData, signUserOp, type Call, type UserOperation } from "../../sdk/aa/userop";

export const ENTRY_POINT_FQN = "@account-abstraction/contracts/core/EntryPoint.sol:EntryPoint";
export const KEY_PRICE = 5_000_000n;

export interface AaFixture {
  p: Protocol;
  entryPoint: EntryPoint;
  factory: SimpleAccountFactory;
  paymaster: HexsPaymaster;
  token: TestToken;
  modelId: bigint;
  keys: KeyNFT;
  policy: Wallet;
  guardian: Signer;
  bundler: Signer;
  chainId: bigint;
}

/** Owner-set policy of a Hexs deployment: which (target, selector) pairs are sponsored. */
export async function configurePolicy(pm: HexsPaymaster, market: string, tokens: string[], factory: string) {
  const m = await ethers.getContractAt("HexsMarket", market);
  const nft = await ethers.getContractAt("KeyNFT", ethers.ZeroAddress);
  const erc20 = await ethers.getContractAt("TestToken", ethers.ZeroAddress);
  const none = { allowed: true, firstArgIsSender: false, firstArg: ethers.ZeroAddress };
  const own = { allowed: true, firstArgIsSender: true, firstArg: ethers.ZeroAddress };
  await (await pm.setRule(market, m.interface.getFunction("buy").selector, none)).wait();
  for (const t of tokens)
    await (
      await pm.setRule(t, erc20.interface.getFunction("approve").selector, {
        allowed: true,
        firstArgIsSender: false,
        firstArg: market,
      })
    ).wait();
  await (await pm.setCollectionRule(nft.interface.getFunction("transferFrom").selector, own)).wait();
  await (await pm.setCollectionRule(nft.interface.getFunction("safeTransferFrom(address,address,uint256)").selector, own)).wait();
  await (await pm.setCollectionRule(nft.interface.getFunction("moveTo").selector, none)).wait();
  await (await pm.setFactory(factory, true)).wait();
}

export async function deployAa(o: { opsPerAccountPerHour?: number; weiPerHour?: bigint } = {}): Promise<AaFixture> {
  const p = await deploySingleChain();
  const [deployer, creator, , , guardian, bundler] = p.signers;
  const entryPoint = (await (await ethers.getContractFactory(ENTRY_POINT_FQN)).deploy()) as unknown as EntryPoint;
  const factory = (await (
    await ethers.getContractFactory("SimpleAccountFactory")
  ).deploy(await entryPoint.getAddress())) as unknown as SimpleAccountFactory;
  const policy = new Wallet(Wallet.createRandom().privateKey);
  const paymaster = (await (
    await ethers.getContractFactory("HexsPaymaster")
  ).deploy(
    await entryPoint.getAddress(),
    await p.registry.getAddress(),
    policy.address,
    await guardian.getAddress(),
    o.opsPerAccountPerHour ?? 2,
    o.weiPerHour ?? ethers.parseEther("1"),
  )) as unknown as HexsPaymaster;
  const token = await deployTestToken(p);
  const { modelId, keys } = await publish(p, creator);
  await (await p.registry.connect(creator).setPrice(modelId, await token.getAddress(), KEY_PRICE, 0, true)).wait();
  await configurePolicy(paymaster, await p.market.getAddress(), [await token.getAddress()], String(factory.target));
  await (await paymaster.allowCollection(modelId)).wait();
  await (await paymaster.connect(deployer).deposit({ value: ethers.parseEther("2") })).wait();
  const chainId = (await ethers.provider.getNetwork()).chainId;
  return { p, entryPoint, factory, paymaster, token, modelId, keys, policy, guardian, bundler, chainId };
}

/** Calls that buy a key of the fixture's model in its ERC-20 for `account`. */
export async function buyCalls(f: AaFixture, account: string): Promise<Call[]> {
  const market = await f.p.market.getAddress();
  const token = await f.token.getAddress();
  return [
    { to: token, data: f.token.interface.encodeFunctionData("approve", [market, KEY_PRICE]) },
    {
      to: market,
      data: f.p.market.interface.encodeFunctionData("buy", [f.modelId, token, account, "0x", "0x"]),
    },
  ];
}

/** An unsigned, unsponsored user operation of `owner`'s SimpleAccount (salt 0), deploying it if new. */
export async function draftOp(f: AaFixture, owner: string, calls: Call[]): Promise<UserOperation> {
  const sender = await f.factory.getFunction("getAddress")(owner, 0);
  const deployed = (await ethers.provider.getCode(sender)) !== "0x";
  const block = await ethers.provider.getBlock("latest");
  const base = block!.baseFeePerGas ?? 1_000_000_000n;
  return {
    sender,
    nonce: await f.entryPoint.getNonce(sender, 0),
    ...(deployed
      ? {}
      : {
          factory: String(f.factory.target),
          factoryData: f.factory.interface.encodeFunctionData("createAccount", [owner, 0]),
        }),
    callData: accountCallData(calls),
    callGasLimit: 400_000n,
    verificationGasLimit: 500_000n,
    preVerificationGas: 60_000n,
    maxFeePerGas: base * 2n + 1_000_000_000n,
    maxPriorityFeePerGas: 1_000_000_000n,
    paymaster: await f.paymaster.getAddress(),
    paymasterVerificationGasLimit: 150_000n,
    paymasterPostOpGasLimit: 0n,
    signature: "0x",
  };
}

/** Sponsor `op` with `signer` (the policy signer unless forged) for [now - 60, now + ttl], then sign it as `owner`. */
export async function sponsorAndSign(
  f: AaFixture,
  op: UserOperation,
  owner: Wallet,
  o: { signer?: Wallet; validAfter?: number; validUntil?: number } = {},
): Promise<UserOperation> {
  const now = (await ethers.provider.getBlock("latest"))!.timestamp;
  const validAfter = o.validAfter ?? now - 60;
  const validUntil = o.validUntil ?? now + 600;
  const paymasterData = await signPaymasterData(o.signer ?? f.policy, op, f.chainId, validUntil, validAfter);
  const sponsored = { ...op, paymasterData };
  return { ...sponsored, signature: await signUserOp(owner, sponsored, await f.entryPoint.getAddress(), f.chainId) };
}

/** Submit through EntryPoint.handleOps from the fixture's bundler account. */
export async function handle(f: AaFixture, ops: UserOperation[]) {
  const beneficiary = await f.bundler.getAddress();
  return f.entryPoint.connect(f.bundler).handleOps(ops.map(pack), beneficiary);
}
