import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { Signer } from "ethers";
import {
  buyNative,
  deployProtocol,
  deployTestToken,
  NATIVE,
  publish,
  setNativePrice,
  throughTimelock,
  timelockSigner,
  type Protocol,
} from "../../devnet/hardhat/protocol";
import type { ContractAccount, FeeOnTransferToken, TestToken } from "../../sdk/typechain";

const ONE = ethers.parseEther("1");
const FEE_BPS = 250n; // protocol fee on the hardhat network (tasks/lib/protocol.ts)
const keyIdOf = (serial: bigint) => (1n << 32n) | serial;

/** What settle() must compute for one level. */
function split(amount: bigint, o: { upstreamBps?: bigint; daoBps?: bigint; feeBps?: bigint } = {}) {
  const fee = (amount * (o.feeBps ?? FEE_BPS)) / 10_000n;
  const parent = (amount * (o.upstreamBps ?? 0n)) / 10_000n;
  const dao = (amount * (o.daoBps ?? 0n)) / 10_000n;
  return { fee, parent, dao, creator: amount - fee - parent - dao };
}

describe("HexsMarket", () => {
  let p: Protocol;
  let deployer: Signer, treasury: Signer, creator: Signer, forker: Signer, alice: Signer, bob: Signer, op: Signer;
  let A: string, B: string;

  beforeEach(async () => {
    p = await deployProtocol();
    [deployer, treasury, creator, forker, alice, bob, op] = p.signers;
    [A, B] = [await alice.getAddress(), await bob.getAddress()];
  });

  async function listedToken(modelId: bigint, price: bigint, deploymentPrice = 0n): Promise<TestToken> {
    const token = await deployTestToken(p);
    await p.registry.connect(creator).setPrice(modelId, await token.getAddress(), price, deploymentPrice, true);
    return token;
  }
  async function fund(token: TestToken, who: Signer, amount: bigint) {
    await token.mint(await who.getAddress(), amount);
    await token.connect(who).approve(await p.market.getAddress(), amount);
  }
  async function grantReporter(account: string) {
    const data = p.market.interface.encodeFunctionData("grantRole", [await p.market.LEASE_REPORTER_ROLE(), account]);
    await (await throughTimelock(p, await p.market.getAddress(), data)).wait();
  }

  describe("buy", () => {
    it("sells a key for the native price: key to the recipient, price into the model's vault", async () => {
      const { modelId, keys } = await publish(p, creator);
      await setNativePrice(p, creator, modelId, ONE);
      const tx = p.market.connect(alice).buy(modelId, NATIVE, B, "0x", "0x", { value: ONE });
      await expect(tx).to.emit(p.market, "Purchased").withArgs(keyIdOf(1n), modelId, A, B, NATIVE, ONE, 0n, "0x");
      await expect(tx).to.changeEtherBalances([alice, p.market], [-ONE, ONE]);
      expect(await keys.ownerOf(keyIdOf(1n))).to.equal(B);
      expect(await keys.hasAccess(A)).to.equal(false);
      expect(await p.market.vaultOf(modelId, NATIVE)).to.equal(ONE);
      expect(await p.market.keysSold()).to.equal(1);
      // Key ids are global too: the second key sold on this chain, whatever the model.
      const other = await publish(p, forker, { content: "other" });
      await setNativePrice(p, forker, other.modelId, 1n);
      expect(await buyNative(p, bob, other.modelId, 1n)).to.equal(keyIdOf(2n));
    });

    it("sells a key for an accepted ERC-20 at the creator's price in that token", async () => {
      const { modelId, keys } = await publish(p, creator);
      const price = 5_000_000n;
      const token = await listedToken(modelId, price);
      const t = await token.getAddress();
      await fund(token, alice, price);
      await expect(p.market.connect(alice).buy(modelId, t, A, "0x", "0x"))
        .to.emit(p.market, "Purchased")
        .withArgs(keyIdOf(1n), modelId, A, A, t, price, 0n, "0x");
      expect(await token.balanceOf(A)).to.equal(0n);
      expect(await token.balanceOf(await p.market.getAddress())).to.equal(price);
      expect(await p.market.vaultOf(modelId, t)).to.equal(price);
      expect(await p.market.vaultOf(modelId, NATIVE)).to.equal(0n);
      expect(await keys.hasAccess(A)).to.equal(true);
    });

    it("a free key (price 0) in a token needs no transfer", async () => {
      const { modelId, keys } = await publish(p, creator);
      const token = await listedToken(modelId, 0n);
      await p.market.connect(alice).buy(modelId, await token.getAddress(), A, "0x", "0x");
      expect(await keys.balanceOf(A)).to.equal(1n);
    });

    it("refuses the wrong native amount (too little, too much)", async () => {
      const { modelId } = await publish(p, creator);
      await setNativePrice(p, creator, modelId, ONE);
      for (const value of [ONE - 1n, ONE + 1n, 0n]) {
        await expect(p.market.connect(alice).buy(modelId, NATIVE, A, "0x", "0x", { value }))
          .to.be.revertedWithCustomError(p.market, "WrongPayment")
          .withArgs(ONE, value);
      }
    });

    it("refuses an unlisted currency and a currency unlisted by the creator", async () => {
      const { modelId } = await publish(p, creator);
      const token = await deployTestToken(p); // accepted by the market, but no price set
      const t = await token.getAddress();
      await fund(token, alice, ONE);
      await expect(p.market.connect(alice).buy(modelId, t, A, "0x", "0x"))
        .to.be.revertedWithCustomError(p.market, "NotForSale")
        .withArgs(modelId, t);
      await expect(p.market.connect(alice).buy(modelId, NATIVE, A, "0x", "0x", { value: 0 }))
        .to.be.revertedWithCustomError(p.market, "NotForSale")
        .withArgs(modelId, NATIVE);
      await setNativePrice(p, creator, modelId, ONE);
      await p.registry.connect(creator).setPrice(modelId, NATIVE, ONE, 0, false);
      await expect(p.market.connect(alice).buy(modelId, NATIVE, A, "0x", "0x", { value: ONE }))
        .to.be.revertedWithCustomError(p.market, "NotForSale")
        .withArgs(modelId, NATIVE);
    });

    it("refuses a token the market does not accept, even when the creator priced it", async () => {
      const { modelId } = await publish(p, creator);
      const token = (await (await ethers.getContractFactory("TestToken")).deploy()) as unknown as TestToken;
      const t = await token.getAddress();
      await p.registry.connect(creator).setPrice(modelId, t, 10n, 0, true);
      await fund(token, alice, 10n);
      expect(await p.market.isAccepted(t)).to.equal(false);
      await expect(p.market.connect(alice).buy(modelId, t, A, "0x", "0x"))
        .to.be.revertedWithCustomError(p.market, "UnsupportedCurrency")
        .withArgs(t);
      // Accepted, then withdrawn again.
      const tl = await timelockSigner(p);
      await expect(p.market.connect(tl).setAcceptedToken(t, true)).to.emit(p.market, "TokenAccepted").withArgs(t, true);
      await p.market.connect(tl).setAcceptedToken(t, false);
      await expect(p.market.connect(alice).buy(modelId, t, A, "0x", "0x"))
        .to.be.revertedWithCustomError(p.market, "UnsupportedCurrency")
        .withArgs(t);
    });

    it("refuses native value sent along an ERC-20 purchase", async () => {
      const { modelId } = await publish(p, creator);
      const token = await listedToken(modelId, 10n);
      await fund(token, alice, 10n);
      await expect(
        p.market.connect(alice).buy(modelId, await token.getAddress(), A, "0x", "0x", { value: 1 }),
      ).to.be.revertedWithCustomError(p.market, "UnexpectedNativeValue");
    });

    it("fails cleanly without allowance", async () => {
      const { modelId } = await publish(p, creator);
      const token = await listedToken(modelId, 10n);
      await token.mint(A, 10n);
      await expect(p.market.connect(alice).buy(modelId, await token.getAddress(), A, "0x", "0x"))
        .to.be.revertedWithCustomError(token, "ERC20InsufficientAllowance")
        .withArgs(await p.market.getAddress(), 0, 10);
    });

    it("refuses a fee-on-transfer token (WrongPayment with what actually arrived)", async () => {
      const { modelId } = await publish(p, creator);
      const fot = (await (await ethers.getContractFactory("FeeOnTransferToken")).deploy()) as unknown as FeeOnTransferToken;
      const t = await fot.getAddress();
      await p.market.connect(await timelockSigner(p)).setAcceptedToken(t, true);
      await p.registry.connect(creator).setPrice(modelId, t, 10_000n, 0, true);
      await fot.mint(A, 10_000n);
      await fot.connect(alice).approve(await p.market.getAddress(), 10_000n);
      await expect(p.market.connect(alice).buy(modelId, t, A, "0x", "0x"))
        .to.be.revertedWithCustomError(p.market, "WrongPayment")
        .withArgs(10_000n, 9_900n);
    });

    it("refuses a retired model and an unknown model", async () => {
      const { modelId } = await publish(p, creator);
      await setNativePrice(p, creator, modelId, ONE);
      await p.registry.connect(creator).retire(modelId);
      await expect(p.market.connect(alice).buy(modelId, NATIVE, A, "0x", "0x", { value: ONE }))
        .to.be.revertedWithCustomError(p.market, "ModelIsRetired")
        .withArgs(modelId);
      await expect(p.market.connect(alice).buy(keyIdOf(99n), NATIVE, A, "0x", "0x", { value: ONE }))
        .to.be.revertedWithCustomError(p.registry, "ModelNotFound")
        .withArgs(keyIdOf(99n));
    });

    it("the guardian pauses sales, the timelock unpauses them; nobody else can", async () => {
      const { modelId } = await publish(p, creator);
      await setNativePrice(p, creator, modelId, ONE);
      await expect(p.market.connect(alice).pause())
        .to.be.revertedWithCustomError(p.market, "AccessControlUnauthorizedAccount")
        .withArgs(A, await p.market.PAUSER_ROLE());
      await expect(p.market.connect(deployer).pause())
        .to.emit(p.market, "Paused")
        .withArgs(await deployer.getAddress());
      expect(await p.market.paused()).to.equal(true);
      await expect(p.market.connect(alice).buy(modelId, NATIVE, A, "0x", "0x", { value: ONE })).to.be.revertedWithCustomError(
        p.market,
        "MarketPaused",
      );
      // Money already in the market keeps flowing while sales are paused.
      // lifting a pause is governance's (issue 11 item 10), no longer the guardian's
      await expect(p.market.connect(alice).unpause())
        .to.be.revertedWithCustomError(p.market, "AccessControlUnauthorizedAccount")
        .withArgs(A, ethers.ZeroHash);
      await expect(throughTimelock(p, await p.market.getAddress(), p.market.interface.encodeFunctionData("unpause"))).to.emit(
        p.market,
        "Unpaused",
      );
      await buyNative(p, alice, modelId, ONE);
      await p.market.connect(deployer).pause();
      await p.market.settle(modelId, NATIVE);
      await p.market.connect(creator).claim(NATIVE, await creator.getAddress());
    });
  });

  describe("deployment escrow", () => {
    const KEY = ONE;
    const DEPLOY = ethers.parseEther("0.4");
    const params = ethers.AbiCoder.defaultAbiCoder().encode(["string", "uint256"], ["akash:gpu=1;region=eu", 3600n]);

    it("holds the deployment part in the purchase's escrow, not in the vault; the event carries the params", async () => {
      const { modelId } = await publish(p, creator);
      await setNativePrice(p, creator, modelId, KEY, DEPLOY);
      const tx = p.market.connect(alice).buy(modelId, NATIVE, B, params, "0x", { value: KEY + DEPLOY });
      await expect(tx).to.emit(p.market, "Purchased").withArgs(keyIdOf(1n), modelId, A, B, NATIVE, KEY, DEPLOY, params);
      await expect(tx).to.changeEtherBalance(p.market, KEY + DEPLOY);
      expect(await p.market.vaultOf(modelId, NATIVE)).to.equal(KEY);
      const e = await p.market.escrowOf(keyIdOf(1n));
      expect([e.buyer, e.currency, e.amount]).to.deep.equal([A, NATIVE, DEPLOY]);
      // Settling the vault never touches the escrow.
      await p.market.settle(modelId, NATIVE);
      expect((await p.market.escrowOf(keyIdOf(1n))).amount).to.equal(DEPLOY);
    });

    it("without deployment params only the key price is due and no escrow is opened", async () => {
      const { modelId } = await publish(p, creator);
      await setNativePrice(p, creator, modelId, KEY, DEPLOY);
      await expect(p.market.connect(alice).buy(modelId, NATIVE, A, "0x", "0x", { value: KEY + DEPLOY }))
        .to.be.revertedWithCustomError(p.market, "WrongPayment")
        .withArgs(KEY, KEY + DEPLOY);
      await expect(p.market.connect(alice).buy(modelId, NATIVE, A, params, "0x", { value: KEY }))
        .to.be.revertedWithCustomError(p.market, "WrongPayment")
        .withArgs(KEY + DEPLOY, KEY);
      const keyId = await buyNative(p, alice, modelId, KEY);
      expect((await p.market.escrowOf(keyId)).amount).to.equal(0n);
    });

    it("escrows ERC-20 purchases too", async () => {
      const { modelId } = await publish(p, creator);
      const token = await listedToken(modelId, 100n, 40n);
      const t = await token.getAddress();
      await fund(token, alice, 140n);
      await expect(p.market.connect(alice).buy(modelId, t, A, params, "0x"))
        .to.emit(p.market, "Purchased")
        .withArgs(keyIdOf(1n), modelId, A, A, t, 100n, 40n, params);
      expect(await p.market.vaultOf(modelId, t)).to.equal(100n);
      expect((await p.market.escrowOf(keyIdOf(1n))).amount).to.equal(40n);
      expect(await token.balanceOf(await p.market.getAddress())).to.equal(140n);
    });

    it("resolveDeployment is reserved to LEASE_REPORTER_ROLE (granted through the timelock)", async () => {
      const { modelId } = await publish(p, creator);
      await setNativePrice(p, creator, modelId, KEY, DEPLOY);
      await p.market.connect(alice).buy(modelId, NATIVE, A, params, "0x", { value: KEY + DEPLOY });
      const role = await p.market.LEASE_REPORTER_ROLE();
      for (const who of [alice, deployer, creator]) {
        await expect(p.market.connect(who).resolveDeployment(keyIdOf(1n), true, 7n, await op.getAddress()))
          .to.be.revertedWithCustomError(p.market, "AccessControlUnauthorizedAccount")
          .withArgs(await who.getAddress(), role);
      }
      // The deployer is no longer admin: it cannot grant the role itself.
      await expect(p.market.connect(deployer).grantRole(role, await deployer.getAddress()))
        .to.be.revertedWithCustomError(p.market, "AccessControlUnauthorizedAccount")
        .withArgs(await deployer.getAddress(), ethers.ZeroHash);
      await grantReporter(await deployer.getAddress());
      expect(await p.market.hasRole(role, await deployer.getAddress())).to.equal(true);
    });

    it("a reported lease credits the operator, who claims; the escrow is closed", async () => {
      const { modelId } = await publish(p, creator);
      await setNativePrice(p, creator, modelId, KEY, DEPLOY);
      await p.market.connect(alice).buy(modelId, NATIVE, A, params, "0x", { value: KEY + DEPLOY });
      await grantReporter(await deployer.getAddress());
      const O = await op.getAddress();
      await expect(
        p.market.connect(deployer).resolveDeployment(keyIdOf(1n), true, 7n, ethers.ZeroAddress),
      ).to.be.revertedWithCustomError(p.market, "ZeroAddress");
      const tx = p.market.connect(deployer).resolveDeployment(keyIdOf(1n), true, 7n, O);
      await expect(tx).to.emit(p.market, "DeploymentResolved").withArgs(keyIdOf(1n), true, O, DEPLOY, 7n);
      await expect(tx).to.emit(p.market, "Credited").withArgs(O, NATIVE, DEPLOY);
      expect((await p.market.escrowOf(keyIdOf(1n))).amount).to.equal(0n);
      expect(await p.market.creditOf(O, NATIVE)).to.equal(DEPLOY);
      await expect(p.market.connect(deployer).resolveDeployment(keyIdOf(1n), false, 0n, O))
        .to.be.revertedWithCustomError(p.market, "NoEscrow")
        .withArgs(keyIdOf(1n));
      await expect(p.market.connect(op).claim(NATIVE, O)).to.changeEtherBalances([op, p.market], [DEPLOY, -DEPLOY]);
    });

    it("a failed deployment credits the buyer (not the key recipient), who claims the refund", async () => {
      const { modelId } = await publish(p, creator);
      await setNativePrice(p, creator, modelId, KEY, DEPLOY);
      await p.market.connect(alice).buy(modelId, NATIVE, B, params, "0x", { value: KEY + DEPLOY });
      await grantReporter(await deployer.getAddress());
      await expect(p.market.connect(deployer).resolveDeployment(keyIdOf(1n), false, 0n, ethers.ZeroAddress))
        .to.emit(p.market, "DeploymentResolved")
        .withArgs(keyIdOf(1n), false, A, DEPLOY, 0n);
      expect(await p.market.creditOf(A, NATIVE)).to.equal(DEPLOY);
      expect(await p.market.creditOf(B, NATIVE)).to.equal(0n);
      await expect(p.market.connect(alice).claim(NATIVE, A)).to.emit(p.market, "Claimed").withArgs(A, NATIVE, A, DEPLOY);
      await expect(p.market.connect(bob).claim(NATIVE, B))
        .to.be.revertedWithCustomError(p.market, "NothingToClaim")
        .withArgs(B, NATIVE);
      await expect(p.market.connect(deployer).resolveDeployment(keyIdOf(99n), false, 0n, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(p.market, "NoEscrow")
        .withArgs(keyIdOf(99n));
    });
  });

  describe("deployment escrow: one purchase per deployment, the buyer's exit (issue 11 items 6, 14)", () => {
    const KEY = ONE;
    const DEPLOY = ethers.parseEther("0.4");
    const params = ethers.AbiCoder.defaultAbiCoder().encode(["string", "uint256"], ["akash:gpu=1;region=eu", 3600n]);
    const HOUR = 3600;

    /** alice and bob each buy a key with a deployment; returns the key ids, the model and alice's purchase time. */
    async function twoPurchases(): Promise<{ k1: bigint; k2: bigint; modelId: bigint; boughtAt: bigint }> {
      const { modelId } = await publish(p, creator);
      await setNativePrice(p, creator, modelId, KEY, DEPLOY);
      const r = await (await p.market.connect(alice).buy(modelId, NATIVE, A, params, "0x", { value: KEY + DEPLOY })).wait();
      await p.market.connect(bob).buy(modelId, NATIVE, B, params, "0x", { value: KEY + DEPLOY });
      const boughtAt = BigInt((await ethers.provider.getBlock(r!.blockNumber))!.timestamp);
      return { k1: keyIdOf(1n), k2: keyIdOf(2n), modelId, boughtAt };
    }

    it("a deployment (dseq) releases one escrow only: a lease naming a used dseq is refused, a lease needs a dseq", async () => {
      const { k1, k2 } = await twoPurchases();
      await grantReporter(await deployer.getAddress());
      const O = await op.getAddress();
      await p.market.connect(deployer).resolveDeployment(k1, true, 4242n, O);
      expect(await p.market.purchaseOfDseq(4242n)).to.equal(k1);
      await expect(p.market.connect(deployer).resolveDeployment(k2, true, 4242n, O))
        .to.be.revertedWithCustomError(p.market, "DseqAlreadyUsed")
        .withArgs(4242n, k1);
      await expect(p.market.connect(deployer).resolveDeployment(k2, true, 0n, O))
        .to.be.revertedWithCustomError(p.market, "NoDeployment")
        .withArgs(k2);
      expect((await p.market.escrowOf(k2)).amount).to.equal(DEPLOY);
      expect(await p.market.creditOf(O, NATIVE)).to.equal(DEPLOY);
      // its own deployment releases it
      await p.market.connect(deployer).resolveDeployment(k2, true, 4243n, O);
      expect(await p.market.creditOf(O, NATIVE)).to.equal(2n * DEPLOY);
    });

    it("the buyer reclaims an unreported escrow after the timeout, exactly once; a report after it is refused", async () => {
      const { k1, boughtAt } = await twoPurchases();
      expect(await p.market.escrowTimeout()).to.equal(24 * HOUR);
      const e = await p.market.escrowOf(k1);
      expect(e.reclaimableAt).to.equal(boughtAt + BigInt(24 * HOUR));
      await expect(p.market.connect(alice).reclaimEscrow(k1))
        .to.be.revertedWithCustomError(p.market, "EscrowNotExpired")
        .withArgs(k1, e.reclaimableAt);
      await time.increaseTo(e.reclaimableAt - 2n); // the next block is one second short
      await expect(p.market.connect(alice).reclaimEscrow(k1)).to.be.revertedWithCustomError(p.market, "EscrowNotExpired");
      await expect(p.market.connect(bob).reclaimEscrow(k1)).to.be.revertedWithCustomError(p.market, "NotBuyer").withArgs(k1, B);
      const tx = p.market.connect(alice).reclaimEscrow(k1);
      await expect(tx).to.emit(p.market, "EscrowReclaimed").withArgs(k1, A, DEPLOY);
      await expect(tx).to.emit(p.market, "Credited").withArgs(A, NATIVE, DEPLOY);
      expect(await p.market.creditOf(A, NATIVE)).to.equal(DEPLOY);
      expect((await p.market.escrowOf(k1)).amount).to.equal(0n);
      await expect(p.market.connect(alice).reclaimEscrow(k1)).to.be.revertedWithCustomError(p.market, "NoEscrow").withArgs(k1);
      await grantReporter(await deployer.getAddress());
      await expect(p.market.connect(deployer).resolveDeployment(k1, true, 7n, await op.getAddress()))
        .to.be.revertedWithCustomError(p.market, "NoEscrow")
        .withArgs(k1);
      await expect(p.market.connect(alice).claim(NATIVE, A)).to.changeEtherBalances([alice, p.market], [DEPLOY, -DEPLOY]);
      expect(await p.market.creditOf(A, NATIVE)).to.equal(0n);
    });

    it("governance (the timelock) sets the timeout within bounds; it applies to later purchases", async () => {
      const bad = [HOUR - 1, 30 * 24 * HOUR + 1];
      const tl = await timelockSigner(p);
      for (const t of bad) {
        await expect(p.market.connect(tl).setEscrowTimeout(t))
          .to.be.revertedWithCustomError(p.market, "InvalidEscrowTimeout")
          .withArgs(t);
      }
      await expect(p.market.connect(alice).setEscrowTimeout(2 * HOUR))
        .to.be.revertedWithCustomError(p.market, "AccessControlUnauthorizedAccount")
        .withArgs(A, await p.market.TREASURER_ROLE());
      const { k1, modelId, boughtAt } = await twoPurchases();
      await expect(p.market.connect(tl).setEscrowTimeout(2 * HOUR))
        .to.emit(p.market, "EscrowTimeoutSet")
        .withArgs(2 * HOUR);
      expect(await p.market.escrowTimeout()).to.equal(2 * HOUR);
      const r = await (await p.market.connect(alice).buy(modelId, NATIVE, A, params, "0x", { value: KEY + DEPLOY })).wait();
      const at = BigInt((await ethers.provider.getBlock(r!.blockNumber))!.timestamp);
      expect((await p.market.escrowOf(keyIdOf(3n))).reclaimableAt).to.equal(at + BigInt(2 * HOUR));
      // the earlier purchase keeps the timeout it was bought under
      expect((await p.market.escrowOf(k1)).reclaimableAt).to.equal(boughtAt + BigInt(24 * HOUR));
    });
  });

  describe("settlement: one lineage level per call", () => {
    it("splits a fork's vault into protocol fee, parent share, creator share; the parent vault climbs on its own settle", async () => {
      const root = await publish(p, creator, { forkRoyaltyBps: 2000 });
      const child = await publish(p, forker, { parentId: root.modelId, forkRoyaltyBps: 1000 });
      const grand = await publish(p, alice, { parentId: child.modelId, forkRoyaltyBps: 500 });
      await setNativePrice(p, alice, grand.modelId, ONE);
      await buyNative(p, bob, grand.modelId, ONE);

      const s1 = split(ONE, { upstreamBps: 1000n }); // grand owes child 10%
      await expect(p.market.settle(grand.modelId, NATIVE))
        .to.emit(p.market, "Settled")
        .withArgs(grand.modelId, NATIVE, s1.creator, s1.parent, 0n, s1.fee);
      expect(await p.market.vaultOf(grand.modelId, NATIVE)).to.equal(0n);
      expect(await p.market.vaultOf(child.modelId, NATIVE)).to.equal(s1.parent);
      expect(await p.market.vaultOf(root.modelId, NATIVE)).to.equal(0n); // one level only
      expect(await p.market.creditOf(A, NATIVE)).to.equal(s1.creator);

      const s2 = split(s1.parent, { upstreamBps: 2000n }); // child owes root 20%
      await expect(p.market.connect(bob).settle(child.modelId, NATIVE)) // anyone may settle
        .to.emit(p.market, "Settled")
        .withArgs(child.modelId, NATIVE, s2.creator, s2.parent, 0n, s2.fee);
      expect(await p.market.vaultOf(root.modelId, NATIVE)).to.equal(s2.parent);
      expect(await p.market.creditOf(await forker.getAddress(), NATIVE)).to.equal(s2.creator);

      const s3 = split(s2.parent); // the root owes nobody
      await expect(p.market.settle(root.modelId, NATIVE))
        .to.emit(p.market, "Settled")
        .withArgs(root.modelId, NATIVE, s3.creator, 0n, 0n, s3.fee);
      expect(await p.market.creditOf(await creator.getAddress(), NATIVE)).to.equal(s3.creator);
      expect(await p.market.protocolFeesOf(NATIVE)).to.equal(s1.fee + s2.fee + s3.fee);
      expect(s1.creator + s2.creator + s3.creator + s1.fee + s2.fee + s3.fee).to.equal(ONE);

      for (const m of [grand, child, root]) {
        await expect(p.market.settle(m.modelId, NATIVE))
          .to.be.revertedWithCustomError(p.market, "NothingToSettle")
          .withArgs(m.modelId, NATIVE);
      }
    });

    it("a purchase costs the same at any depth and only credits its own model's vault", async () => {
      let parent = (await publish(p, creator)).modelId;
      const ids = [parent];
      for (let d = 1; d <= 8; d++) {
        parent = (await publish(p, forker, { parentId: parent, content: `d${d}` })).modelId;
        ids.push(parent);
      }
      await setNativePrice(p, forker, ids[1], ONE);
      await setNativePrice(p, forker, ids[8], ONE);
      await buyNative(p, alice, ids[1], ONE); // warm both vaults first
      await buyNative(p, alice, ids[8], ONE);
      const g1 = (await (await p.market.connect(bob).buy(ids[1], NATIVE, B, "0x", "0x", { value: ONE })).wait())!.gasUsed;
      const g8 = (await (await p.market.connect(op).buy(ids[8], NATIVE, B, "0x", "0x", { value: ONE })).wait())!.gasUsed;
      expect(g8).to.equal(g1);
      for (const m of ids.slice(2, 8)) expect(await p.market.vaultOf(m, NATIVE)).to.equal(0n);
    });

    it("the DAO share goes to the creator until the model has a DAO, then to the DAO's governor", async () => {
      const { modelId } = await publish(p, creator, { daoBps: 3000 });
      await setNativePrice(p, creator, modelId, ONE);
      const C = await creator.getAddress();
      await buyNative(p, alice, modelId, ONE);
      const before = split(ONE); // no DAO yet: no DAO share
      await expect(p.market.settle(modelId, NATIVE))
        .to.emit(p.market, "Settled")
        .withArgs(modelId, NATIVE, before.creator, 0n, 0n, before.fee);
      expect(await p.market.creditOf(C, NATIVE)).to.equal(before.creator);

      await p.daoFactory.connect(creator).createDao(modelId, [C, A], 1, 10, 50);
      const governor = await p.registry.daoOf(modelId);
      expect(governor).to.not.equal(ethers.ZeroAddress);
      await buyNative(p, bob, modelId, ONE);
      const after = split(ONE, { daoBps: 3000n });
      await expect(p.market.settle(modelId, NATIVE))
        .to.emit(p.market, "Settled")
        .withArgs(modelId, NATIVE, after.creator, 0n, after.dao, after.fee);
      expect(await p.market.creditOf(governor, NATIVE)).to.equal(after.dao);
      expect(await p.market.creditOf(C, NATIVE)).to.equal(before.creator + after.creator);
    });

    it("splits fork royalty and DAO share together, and rounds in the creator's favour only by the remainder", async () => {
      const root = await publish(p, creator, { forkRoyaltyBps: 3333 });
      const child = await publish(p, forker, { parentId: root.modelId, daoBps: 1111 });
      await p.daoFactory.connect(forker).createDao(child.modelId, [await forker.getAddress()], 1, 10, 50);
      const odd = 1_000_003n;
      await setNativePrice(p, forker, child.modelId, odd);
      await buyNative(p, alice, child.modelId, odd);
      const s = split(odd, { upstreamBps: 3333n, daoBps: 1111n });
      await expect(p.market.settle(child.modelId, NATIVE))
        .to.emit(p.market, "Settled")
        .withArgs(child.modelId, NATIVE, s.creator, s.parent, s.dao, s.fee);
      expect(s.creator + s.parent + s.dao + s.fee).to.equal(odd);
    });

    it("settles each currency separately", async () => {
      const { modelId } = await publish(p, creator);
      await setNativePrice(p, creator, modelId, ONE);
      const token = await listedToken(modelId, 1000n);
      const t = await token.getAddress();
      await fund(token, alice, 1000n);
      await p.market.connect(alice).buy(modelId, t, A, "0x", "0x");
      await buyNative(p, bob, modelId, ONE);
      await p.market.settle(modelId, t);
      expect(await p.market.vaultOf(modelId, NATIVE)).to.equal(ONE);
      expect(await p.market.protocolFeesOf(t)).to.equal(25n);
      expect(await p.market.protocolFeesOf(NATIVE)).to.equal(0n);
      expect(await p.market.creditOf(await creator.getAddress(), t)).to.equal(975n);
    });
  });

  describe("claims and protocol fees", () => {
    let modelId: bigint;
    beforeEach(async () => {
      modelId = (await publish(p, creator)).modelId;
      await setNativePrice(p, creator, modelId, ONE);
      await buyNative(p, alice, modelId, ONE);
      await p.market.settle(modelId, NATIVE);
    });

    it("a payee pulls its credit once; a second claim reverts NothingToClaim", async () => {
      const C = await creator.getAddress();
      const owed = split(ONE).creator;
      const tx = p.market.connect(creator).claim(NATIVE, C);
      await expect(tx).to.emit(p.market, "Claimed").withArgs(C, NATIVE, C, owed);
      await expect(tx).to.changeEtherBalances([p.market], [-owed]);
      expect(await p.market.creditOf(C, NATIVE)).to.equal(0n);
      await expect(p.market.connect(creator).claim(NATIVE, C))
        .to.be.revertedWithCustomError(p.market, "NothingToClaim")
        .withArgs(C, NATIVE);
      await expect(p.market.connect(alice).claim(NATIVE, A))
        .to.be.revertedWithCustomError(p.market, "NothingToClaim")
        .withArgs(A, NATIVE);
    });

    it("a payee may claim to another address, never to the zero address", async () => {
      const C = await creator.getAddress();
      await expect(p.market.connect(creator).claim(NATIVE, ethers.ZeroAddress)).to.be.revertedWithCustomError(
        p.market,
        "ZeroAddress",
      );
      const owed = split(ONE).creator;
      await expect(p.market.connect(creator).claim(NATIVE, B)).to.changeEtherBalances([bob, creator], [owed, 0n]);
      expect(await p.market.creditOf(C, NATIVE)).to.equal(0n);
    });

    it("protocol fees accrue per currency and anyone can pay them to the fee recipient, once", async () => {
      const fee = split(ONE).fee;
      const T = await treasury.getAddress();
      expect(await p.market.protocolFeesOf(NATIVE)).to.equal(fee);
      const [bps, recipient] = await p.market.protocolFee();
      expect([bps, recipient]).to.deep.equal([FEE_BPS, T]);
      const tx = p.market.connect(bob).claimProtocolFees(NATIVE);
      await expect(tx).to.emit(p.market, "Claimed").withArgs(T, NATIVE, T, fee);
      await expect(tx).to.changeEtherBalances([treasury, p.market], [fee, -fee]);
      await expect(p.market.claimProtocolFees(NATIVE))
        .to.be.revertedWithCustomError(p.market, "NothingToClaim")
        .withArgs(T, NATIVE);
    });

    it("ERC-20 credits and fees are paid in the token", async () => {
      const token = await listedToken(modelId, 10_000n);
      const t = await token.getAddress();
      await fund(token, bob, 10_000n);
      await p.market.connect(bob).buy(modelId, t, B, "0x", "0x");
      await p.market.settle(modelId, t);
      await p.market.connect(creator).claim(t, await creator.getAddress());
      await p.market.claimProtocolFees(t);
      expect(await token.balanceOf(await creator.getAddress())).to.equal(9_750n);
      expect(await token.balanceOf(await treasury.getAddress())).to.equal(250n);
      expect(await token.balanceOf(await p.market.getAddress())).to.equal(0n);
    });

    it("fee settings are the treasurer's (timelock's), capped, with a non-zero recipient", async () => {
      const tl = await timelockSigner(p);
      const role = await p.market.TREASURER_ROLE();
      await expect(p.market.connect(deployer).setProtocolFee(0, A))
        .to.be.revertedWithCustomError(p.market, "AccessControlUnauthorizedAccount")
        .withArgs(await deployer.getAddress(), role);
      await expect(p.market.connect(tl).setProtocolFee(1001, A))
        .to.be.revertedWithCustomError(p.market, "FeeTooHigh")
        .withArgs(1001);
      await expect(p.market.connect(tl).setProtocolFee(100, ethers.ZeroAddress)).to.be.revertedWithCustomError(
        p.market,
        "ZeroAddress",
      );
      await expect(p.market.connect(tl).setAcceptedToken(NATIVE, true))
        .to.be.revertedWithCustomError(p.market, "UnsupportedCurrency")
        .withArgs(NATIVE);
      await expect(p.market.connect(tl).setProtocolFee(1000, A)).to.emit(p.market, "ProtocolFeeSet").withArgs(1000, A);
      // Fees already accrued go to the new recipient; new settlements use the new rate.
      await buyNative(p, bob, modelId, ONE);
      const s = split(ONE, { feeBps: 1000n });
      await expect(p.market.settle(modelId, NATIVE))
        .to.emit(p.market, "Settled")
        .withArgs(modelId, NATIVE, s.creator, 0n, 0n, s.fee);
      await expect(p.market.claimProtocolFees(NATIVE)).to.changeEtherBalance(alice, split(ONE).fee + s.fee);
    });
  });

  describe("a reverting recipient", () => {
    it("cannot block other payees, and can still claim to another address", async () => {
      const acct = (await (await ethers.getContractFactory("ContractAccount")).deploy()) as unknown as ContractAccount;
      const acctAddr = await acct.getAddress();
      // The contract account creates a model; a normal account forks it.
      const params = {
        contentCommitment: ethers.id("contract-model"),
        sdlLocator: "cid",
        metadataUri: "uri",
        forkRoyaltyBps: 2000,
        daoBps: 0,
        forkable: true,
        secondaryRoyaltyBps: 0,
        plugins: [],
      };
      await acct.exec(await p.registry.getAddress(), p.registry.interface.encodeFunctionData("publish", [params]));
      const rootId = keyIdOf(1n);
      expect(await p.registry.creatorOf(rootId)).to.equal(acctAddr);
      await acct.exec(
        await p.registry.getAddress(),
        p.registry.interface.encodeFunctionData("setPrice", [rootId, NATIVE, ONE, 0, true]),
      );
      const child = await publish(p, forker, { parentId: rootId });
      await setNativePrice(p, forker, child.modelId, ONE);
      await buyNative(p, alice, rootId, ONE);
      await buyNative(p, bob, child.modelId, ONE);
      await p.market.settle(child.modelId, NATIVE);
      await p.market.settle(rootId, NATIVE);
      await acct.setRejectPayments(true);

      const owed = await p.market.creditOf(acctAddr, NATIVE);
      expect(owed).to.be.greaterThan(0n);
      const claimData = p.market.interface.encodeFunctionData("claim", [NATIVE, acctAddr]);
      await expect(acct.exec(await p.market.getAddress(), claimData))
        .to.be.revertedWithCustomError(p.market, "NativeTransferFailed")
        .withArgs(acctAddr, owed);
      expect(await p.market.creditOf(acctAddr, NATIVE)).to.equal(owed); // nothing lost

      // Everyone else is paid normally.
      const F = await forker.getAddress();
      await expect(p.market.connect(forker).claim(NATIVE, F)).to.changeEtherBalance(
        forker,
        split(ONE, { upstreamBps: 2000n }).creator,
        { includeFee: false },
      );
      await p.market.claimProtocolFees(NATIVE);

      // The rejecting contract redirects its claim to an address that accepts payments.
      const other = ethers.Wallet.createRandom().address;
      await acct.exec(await p.market.getAddress(), p.market.interface.encodeFunctionData("claim", [NATIVE, other]));
      expect(await ethers.provider.getBalance(other)).to.equal(owed);
      expect(await ethers.provider.getBalance(await p.market.getAddress())).to.equal(0n);
    });

    it("a reverting fee recipient keeps its fees until the timelock names a new one", async () => {
      const acct = (await (await ethers.getContractFactory("ContractAccount")).deploy()) as unknown as ContractAccount;
      await acct.setRejectPayments(true);
      const tl = await timelockSigner(p);
      await p.market.connect(tl).setProtocolFee(FEE_BPS, await acct.getAddress());
      const { modelId } = await publish(p, creator);
      await setNativePrice(p, creator, modelId, ONE);
      await buyNative(p, alice, modelId, ONE);
      await p.market.settle(modelId, NATIVE);
      const fee = split(ONE).fee;
      await expect(p.market.claimProtocolFees(NATIVE))
        .to.be.revertedWithCustomError(p.market, "NativeTransferFailed")
        .withArgs(await acct.getAddress(), fee);
      await p.market.connect(creator).claim(NATIVE, await creator.getAddress()); // unaffected
      await p.market.connect(tl).setProtocolFee(FEE_BPS, B);
      await expect(p.market.claimProtocolFees(NATIVE)).to.changeEtherBalance(bob, fee);
    });
  });
});
