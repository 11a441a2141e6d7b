// The SDK's actions against the in-process network after the real deploy scripts: publish →
// fork → price → buy (native and ERC-20) → settle → claim, checked on balances and events, and
// the refusals as HexsError subclasses with their codes.
import { expect } from "chai";
import hre, { deployments, ethers } from "hardhat";
import type { Signer } from "ethers";
import { deployProtocol, throughTimelock, type Protocol } from "../../devnet/hardhat/protocol";
import {
  buy,
  chainRegistry,
  claim,
  claimProtocolFees,
  connectContracts,
  deploymentOf,
  ContractNames,
  evmChain,
  findChain,
  fork,
  getModel,
  HexsError,
  InsufficientFundsError,
  NATIVE,
  NotAllowedError,
  NotFoundError,
  publish,
  reclaimEscrow,
  requireDeployed,
  setPrice,
  settle,
  StateError,
  type EvmChain,
  type HexsContracts,
} from "../../sdk";
import type { TasksToken } from "../../sdk/typechain";
import { setQuiet } from "../../tasks/lib/log";

async function chainEntry(): Promise<EvmChain> {
  const contracts: Record<string, string> = {};
  for (const name of Object.values(ContractNames)) {
    const d = await deployments.getOrNull(name);
    if (d) contracts[name] = d.address;
  }
  // Through the registry's JSON form, as a browser app would load it.
  const json = JSON.parse(JSON.stringify({ chains: [{ family: "evm", name: "hardhat", hexsChainId: 1, contracts }] }));
  return evmChain(findChain(chainRegistry(json), 1));
}

async function rejects<E extends HexsError>(p: Promise<unknown>, type: new (...a: never[]) => E, pattern: RegExp): Promise<E> {
  try {
    await p;
  } catch (e) {
    expect(e, `unexpected error: ${(e as Error).message}`).to.be.instanceOf(type);
    expect((e as Error).message).to.match(pattern);
    return e as E;
  }
  throw new Error(`should have failed with ${type.name}: ${pattern}`);
}

describe("sdk actions", function () {
  let p: Protocol;
  let c: HexsContracts;
  let creator: Signer, forker: Signer, buyer: Signer, other: Signer;

  before(() => setQuiet(true)); // the one task used for set-up (protocol:accept-token)
  after(() => setQuiet(false));

  beforeEach(async () => {
    p = await deployProtocol();
    [, , creator, forker, buyer, other] = p.signers;
    c = connectContracts(await chainEntry(), ethers.provider);
    await requireDeployed(c);
  });

  it("publish → fork → price → buy (native) → settle → claim", async () => {
    const lines: string[] = [];
    const log = (l: string) => lines.push(l);
    const root = await publish(
      c,
      creator,
      { contentCommitment: ethers.id("root-sdl"), sdlLocator: "bafy-root", forkRoyaltyBps: 1000, plugins: { supplyCap: 10n } },
      { log },
    );
    expect(root.modelId).to.equal((1n << 32n) | 1n);
    expect(root.plugins).to.deep.equal([await p.plugins.supplyCap.getAddress()]);
    expect(lines.some((l) => l.includes(`publish: tx ${root.txHash}`))).to.equal(true);
    const child = await fork(c, forker, root.modelId, { contentCommitment: ethers.id("child-sdl") });
    expect(child.parentCommitment).to.equal(ethers.id("root-sdl"));
    expect((await p.registry.lineageOf(child.modelId)).parentId).to.equal(root.modelId);

    const price = ethers.parseEther("1");
    const sp = await setPrice(c, forker, { modelId: child.modelId, currency: NATIVE, keyPrice: price });
    expect(sp.listed).to.equal(true);
    const buyerAddr = await buyer.getAddress();
    const before = await ethers.provider.getBalance(buyerAddr);
    const bought = await buy(c, buyer, { modelId: child.modelId, currency: NATIVE, deploymentParams: undefined });
    const receipt = await ethers.provider.getTransactionReceipt(bought.txHash);
    const gas = receipt!.gasUsed * receipt!.gasPrice;
    expect(before - (await ethers.provider.getBalance(buyerAddr))).to.equal(price + gas);
    expect(await (await ethers.getContractAt("KeyNFT", child.keys)).ownerOf(bought.keyId)).to.equal(buyerAddr);
    expect(bought.keyPrice).to.equal(price);
    expect(await p.market.vaultOf(child.modelId, NATIVE)).to.equal(price);

    const levels = await settle(c, other, { modelId: child.modelId, currency: NATIVE });
    expect(levels.map((l) => l.modelId)).to.deep.equal([child.modelId, root.modelId]);
    expect(levels[0].parentShare).to.equal(price / 10n); // the root's 10 % fork royalty
    expect(levels[0].creatorShare + levels[0].parentShare + levels[0].protocolFee + levels[0].daoShare).to.equal(price);
    expect(levels[1].amount).to.equal(price / 10n);

    const to = ethers.Wallet.createRandom().address;
    const owed = await p.market.creditOf(await forker.getAddress(), NATIVE);
    expect(owed).to.equal(levels[0].creatorShare);
    const claimed = await claim(c, forker, { currency: NATIVE, to });
    expect(claimed.amount).to.equal(owed);
    expect(await ethers.provider.getBalance(to)).to.equal(owed);
    const rootClaim = await claim(c, creator, { currency: NATIVE });
    expect(rootClaim.amount).to.equal(levels[1].creatorShare);
    const fees = await claimProtocolFees(c, other, NATIVE);
    expect(fees.amount).to.equal(levels[0].protocolFee + levels[1].protocolFee);

    const view = await getModel(c, child.modelId, NATIVE);
    expect(view.creator).to.equal(await forker.getAddress());
    expect(view.keysSold).to.equal(true);
    expect(view.vault).to.equal(0n);
  });

  it("buys with an ERC-20 the market accepts, approving it first", async () => {
    const token = (await (await ethers.getContractFactory("TasksToken")).deploy()) as unknown as TasksToken;
    const t = await token.getAddress();
    await hre.run("protocol:accept-token", { token: t, execute: true, fastForward: true });
    const m = await publish(c, creator, { contentCommitment: ethers.id("erc20-sdl") });
    await setPrice(c, creator, { modelId: m.modelId, currency: t, keyPrice: 12_500_000n, deploymentPrice: 500_000n });
    const buyerAddr = await buyer.getAddress();
    await rejects(
      buy(c, buyer, { modelId: m.modelId, currency: t }),
      InsufficientFundsError,
      /holds 0\.0 TUSDC but needs 12\.5 TUSDC/,
    );
    await token.mint(buyerAddr, 20_000_000n);
    const lines: string[] = [];
    const r = await buy(
      c,
      buyer,
      { modelId: m.modelId, currency: t, deploymentParams: { region: "eu" } },
      { log: (l) => lines.push(l) },
    );
    expect(r.approvalTx).to.match(/^0x[0-9a-f]{64}$/);
    expect(lines[0]).to.match(/approved 13\.0 TUSDC to the market/);
    expect(r.deploymentEscrow).to.equal(500_000n);
    expect(await token.balanceOf(buyerAddr)).to.equal(7_000_000n);
    expect(await p.market.vaultOf(m.modelId, t)).to.equal(12_500_000n);
    const escrow = await p.market.escrowOf(r.keyId);
    expect(escrow.amount).to.equal(500_000n);
    // The Purchased event carries the deployment parameters as compact JSON bytes.
    const receipt = await ethers.provider.getTransactionReceipt(r.txHash);
    const ev = receipt!.logs.map((l) => p.market.interface.parseLog(l)).find((e) => e?.name === "Purchased");
    expect(ethers.toUtf8String(ev!.args.deploymentParams)).to.equal('{"region":"eu"}');

    const [level] = await settle(c, other, { modelId: m.modelId, currency: t, levels: 1n });
    const got = await claim(c, creator, { currency: t });
    expect(got.amount).to.equal(level.creatorShare);
    expect(await token.balanceOf(await creator.getAddress())).to.equal(level.creatorShare);
  });

  it("refuses with typed errors: unknown model, not the creator, unlisted, nothing to claim", async () => {
    const e = await rejects(buy(c, buyer, { modelId: 99n, currency: NATIVE }), NotFoundError, /unknown model 99 \(0:99\)/);
    expect(e.code).to.equal("not_found");
    expect(e.retryable).to.equal(false);
    const m = await publish(c, creator, { contentCommitment: ethers.id("x") });
    await rejects(setPrice(c, buyer, { modelId: m.modelId, currency: NATIVE, keyPrice: 1n }), NotAllowedError, /not the creator/);
    await rejects(buy(c, buyer, { modelId: m.modelId, currency: NATIVE }), StateError, /has no price in ETH/);
    await rejects(claim(c, buyer, { currency: NATIVE }), StateError, /nothing to claim/);
  });

  it("deploymentOf follows a purchase's deployment: none, pending, reclaimable, reclaimed; leased with its dseq; refunded", async () => {
    const m = await publish(c, creator, { contentCommitment: ethers.id("deploy-sdl"), sdlLocator: "bafy-d" });
    const keyPrice = ethers.parseEther("1");
    const deploymentPrice = ethers.parseEther("0.5");
    await setPrice(c, creator, { modelId: m.modelId, currency: NATIVE, keyPrice, deploymentPrice });
    const plain = await buy(c, buyer, { modelId: m.modelId, currency: NATIVE });
    expect(await deploymentOf(c, plain.keyId)).to.deep.equal({ keyId: plain.keyId, state: "none", amount: 0n });
    const deployParams = { v: 1, region: "any" };
    const [a, b, d] = [
      await buy(c, buyer, { modelId: m.modelId, currency: NATIVE, deploymentParams: deployParams }),
      await buy(c, buyer, { modelId: m.modelId, currency: NATIVE, deploymentParams: deployParams }),
      await buy(c, buyer, { modelId: m.modelId, currency: NATIVE, deploymentParams: deployParams }),
    ];
    const pending = await deploymentOf(c, a.keyId);
    expect(pending.state).to.equal("pending");
    expect(pending.amount).to.equal(deploymentPrice);
    expect(pending.buyer).to.equal(await buyer.getAddress());
    // a lease reported for a, a failed deployment for b (the lease reporter is the hub; here a granted account)
    const [reporter] = p.signers;
    const role = await p.market.LEASE_REPORTER_ROLE();
    const data = p.market.interface.encodeFunctionData("grantRole", [role, await reporter.getAddress()]);
    await (await throughTimelock(p, await p.market.getAddress(), data)).wait();
    const operator = await other.getAddress();
    await (await p.market.connect(reporter).resolveDeployment(a.keyId, true, 4242n, operator)).wait();
    await (await p.market.connect(reporter).resolveDeployment(b.keyId, false, 0n, operator)).wait();
    const leased = await deploymentOf(c, a.keyId);
    expect([leased.state, leased.payee, leased.dseq, leased.amount]).to.deep.equal(["leased", operator, 4242n, deploymentPrice]);
    const refunded = await deploymentOf(c, b.keyId);
    expect([refunded.state, refunded.payee, refunded.dseq]).to.deep.equal(["refunded", await buyer.getAddress(), undefined]);
    // d stays unreported past the timeout: reclaimable, then reclaimed by its buyer
    const waiting = await deploymentOf(c, d.keyId);
    await ethers.provider.send("evm_increaseTime", [
      waiting.reclaimableAt! - (await ethers.provider.getBlock("latest"))!.timestamp,
    ]);
    await ethers.provider.send("evm_mine", []);
    expect((await deploymentOf(c, d.keyId)).state).to.equal("reclaimable");
    await reclaimEscrow(c, buyer, d.keyId);
    const back = await deploymentOf(c, d.keyId);
    expect([back.state, back.payee, back.amount]).to.deep.equal(["reclaimed", await buyer.getAddress(), deploymentPrice]);
  });
});
