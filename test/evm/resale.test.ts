import { expect } from "chai";
import { ethers, upgrades } from "hardhat";
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
import { listingOf } from "../../sdk/actions/resale";
import type { HexsContracts } from "../../sdk/contracts";
import type { FeeOnTransferToken, HexsResaleV2, KeyNFT, ReentrantReceiver, ReentrantToken, TestToken } from "../../sdk/typechain";

const ONE = ethers.parseEther("1");
const ROYALTY_BPS = 500n; // publishParams' default secondaryRoyaltyBps
const PRICED_IN = 0;
const TO_SELLER = 1;
const DAY = 24n * 3600n;
const royaltyOf = (price: bigint) => (price * ROYALTY_BPS) / 10_000n;
// Whether a listing would fill now, as the SDK reads it (HexsResale has no room for the view).
const fillable = async (p: Protocol, keyId: bigint) => {
  const c = { resale: p.resale, registry: p.registry, provider: ethers.provider, chain: { name: "hardhat" } };
  return (await listingOf(c as unknown as HexsContracts, keyId))?.fillable ?? false;
};

describe("HexsResale", () => {
  let p: Protocol;
  let creator: Signer, alice: Signer, bob: Signer, carol: Signer;
  let A: string, B: string, C: string;
  let resaleAddr: string, marketAddr: string;

  beforeEach(async () => {
    p = await deployProtocol();
    [, , creator, , alice, bob, , carol] = p.signers;
    [A, B, C] = await Promise.all([alice.getAddress(), bob.getAddress(), carol.getAddress()]);
    resaleAddr = await p.resale.getAddress();
    marketAddr = await p.market.getAddress();
  });

  /** A model whose key alice holds (bought for 1 ETH), approved for the resale contract. */
  async function aliceHoldsKey(o: Parameters<typeof publish>[2] = {}) {
    const { modelId, keys } = await publish(p, creator, o);
    await setNativePrice(p, creator, modelId, ONE);
    const keyId = await buyNative(p, alice, modelId, ONE);
    await keys.connect(alice).approve(resaleAddr, keyId);
    return { modelId, keys, keyId };
  }

  async function fund(token: TestToken, who: Signer, amount: bigint) {
    await token.mint(await who.getAddress(), amount);
    await token.connect(who).approve(resaleAddr, amount);
  }

  describe("listings", () => {
    it("sells a listed key for the native coin: seller credited price minus royalty, royalty into the model's vault", async () => {
      const { modelId, keys, keyId } = await aliceHoldsKey();
      const price = 2n * ONE;
      const royalty = royaltyOf(price);
      const vaultBefore = await p.market.vaultOf(modelId, NATIVE);
      await expect(p.resale.connect(alice).list(modelId, keyId, NATIVE, price, TO_SELLER))
        .to.emit(p.resale, "Listed")
        .withArgs(keyId, modelId, A, NATIVE, price, TO_SELLER);
      expect(await fillable(p, keyId)).to.equal(true);

      const tx = p.resale.connect(bob).buy(keyId, NATIVE, price, { value: price });
      await expect(tx).to.emit(p.resale, "ResaleFilled").withArgs(keyId, modelId, B, A, NATIVE, price, royalty, 0n, TO_SELLER);
      await expect(tx).to.emit(p.market, "RoyaltyDeposited").withArgs(modelId, NATIVE, royalty);
      await expect(tx).to.changeEtherBalances([bob, p.resale, p.market, keys], [-price, price - royalty, royalty, 0n]);
      expect(await keys.ownerOf(keyId)).to.equal(B);
      expect(await keys.hasAccess(B)).to.equal(true);
      expect(await keys.hasAccess(A)).to.equal(false);
      expect(await p.market.vaultOf(modelId, NATIVE)).to.equal(vaultBefore + royalty);
      expect(await p.resale.creditOf(A, NATIVE)).to.equal(price - royalty);
      expect((await p.resale.listingOf(keyId)).seller).to.equal(ethers.ZeroAddress);

      // Pull payment: the seller claims to any address, once.
      await expect(p.resale.connect(alice).claim(NATIVE, C)).to.changeEtherBalances(
        [carol, p.resale],
        [price - royalty, -(price - royalty)],
      );
      await expect(p.resale.connect(alice).claim(NATIVE, A))
        .to.be.revertedWithCustomError(p.resale, "NothingToClaim")
        .withArgs(A, NATIVE);
      // The royalty follows the lineage like a sale: settle splits it (protocol fee included).
      await expect(p.market.settle(modelId, NATIVE)).to.emit(p.market, "Settled");
    });

    it("sells a listed key for an accepted ERC-20 with exact token balances", async () => {
      const { modelId, keys, keyId } = await aliceHoldsKey();
      const token = await deployTestToken(p);
      const t = await token.getAddress();
      const price = 7_000_001n;
      const royalty = royaltyOf(price);
      await p.resale.connect(alice).list(modelId, keyId, t, price, PRICED_IN);
      await fund(token, bob, price);

      await expect(p.resale.connect(bob).buy(keyId, t, price))
        .to.emit(p.resale, "ResaleFilled")
        .withArgs(keyId, modelId, B, A, t, price, royalty, 0n, PRICED_IN);
      expect(await token.balanceOf(B)).to.equal(0n);
      expect(await token.balanceOf(resaleAddr)).to.equal(price - royalty);
      expect(await token.balanceOf(marketAddr)).to.equal(royalty);
      expect(await token.balanceOf(await keys.getAddress())).to.equal(0n);
      expect(await p.market.vaultOf(modelId, t)).to.equal(royalty);
      expect(await p.resale.creditOf(A, t)).to.equal(price - royalty);
      expect(await keys.ownerOf(keyId)).to.equal(B);

      await p.resale.connect(alice).claim(t, A);
      expect(await token.balanceOf(A)).to.equal(price - royalty);
      expect(await token.balanceOf(resaleAddr)).to.equal(0n);
    });

    it("a listing goes stale when the key changes hands: buy refused, nothing moves", async () => {
      const { modelId, keys, keyId } = await aliceHoldsKey();
      await p.resale.connect(alice).list(modelId, keyId, NATIVE, ONE, PRICED_IN);
      await keys.connect(alice).transferFrom(A, C, keyId);
      expect(await fillable(p, keyId)).to.equal(false);

      await expect(p.resale.connect(bob).buy(keyId, NATIVE, ONE, { value: ONE }))
        .to.be.revertedWithCustomError(p.resale, "ListingStale")
        .withArgs(keyId, A, C);
      expect(await keys.ownerOf(keyId)).to.equal(C);
      expect(await ethers.provider.getBalance(resaleAddr)).to.equal(0n);
      expect(await p.resale.creditOf(A, NATIVE)).to.equal(0n);
      // The new holder's own listing replaces the stale one.
      await keys.connect(carol).approve(resaleAddr, keyId);
      await p.resale.connect(carol).list(modelId, keyId, NATIVE, 3n * ONE, PRICED_IN);
      expect((await p.resale.listingOf(keyId)).seller).to.equal(C);
      await expect(p.resale.connect(bob).buy(keyId, NATIVE, 3n * ONE, { value: 3n * ONE })).to.emit(p.resale, "ResaleFilled");
      expect(await keys.ownerOf(keyId)).to.equal(B);
    });

    it("the seller cancels; nobody else can; a cancelled listing cannot be bought", async () => {
      const { modelId, keys, keyId } = await aliceHoldsKey();
      await p.resale.connect(alice).list(modelId, keyId, NATIVE, ONE, PRICED_IN);
      await expect(p.resale.connect(bob).cancelListing(keyId))
        .to.be.revertedWithCustomError(p.resale, "NotSeller")
        .withArgs(keyId, B);
      await expect(p.resale.connect(alice).cancelListing(keyId)).to.emit(p.resale, "ListingCancelled").withArgs(keyId, A);
      await expect(p.resale.connect(alice).cancelListing(keyId))
        .to.be.revertedWithCustomError(p.resale, "NotListed")
        .withArgs(keyId);
      await expect(p.resale.connect(bob).buy(keyId, NATIVE, ONE, { value: ONE }))
        .to.be.revertedWithCustomError(p.resale, "NotListed")
        .withArgs(keyId);
      expect(await keys.ownerOf(keyId)).to.equal(A);
    });

    it("refuses a wrong payment: short or excess value, value with an ERC-20, a changed price or currency", async () => {
      const { modelId, keys, keyId } = await aliceHoldsKey();
      const token = await deployTestToken(p);
      const t = await token.getAddress();
      await p.resale.connect(alice).list(modelId, keyId, NATIVE, ONE, PRICED_IN);
      await expect(p.resale.connect(bob).buy(keyId, NATIVE, ONE, { value: ONE - 1n }))
        .to.be.revertedWithCustomError(p.resale, "WrongPayment")
        .withArgs(ONE, ONE - 1n);
      await expect(p.resale.connect(bob).buy(keyId, NATIVE, ONE, { value: ONE + 1n }))
        .to.be.revertedWithCustomError(p.resale, "WrongPayment")
        .withArgs(ONE, ONE + 1n);
      // The seller re-lists at a higher price while the buyer's transaction is pending.
      await p.resale.connect(alice).list(modelId, keyId, NATIVE, 2n * ONE, PRICED_IN);
      await expect(p.resale.connect(bob).buy(keyId, NATIVE, ONE, { value: ONE }))
        .to.be.revertedWithCustomError(p.resale, "ListingChanged")
        .withArgs(keyId, NATIVE, 2n * ONE);
      await p.resale.connect(alice).list(modelId, keyId, t, 100n, PRICED_IN);
      await expect(p.resale.connect(bob).buy(keyId, NATIVE, 100n, { value: 100n }))
        .to.be.revertedWithCustomError(p.resale, "ListingChanged")
        .withArgs(keyId, t, 100n);
      await fund(token, bob, 100n);
      await expect(p.resale.connect(bob).buy(keyId, t, 100n, { value: 1n })).to.be.revertedWithCustomError(
        p.resale,
        "UnexpectedNativeValue",
      );
      expect(await keys.ownerOf(keyId)).to.equal(A);
      expect(await token.balanceOf(B)).to.equal(100n);
      expect(await p.resale.creditOf(A, t)).to.equal(0n);
    });

    it("refuses a fee-on-transfer token payment: nothing moves", async () => {
      const { modelId, keys, keyId } = await aliceHoldsKey();
      const fot = (await (await ethers.getContractFactory("FeeOnTransferToken")).deploy()) as unknown as FeeOnTransferToken;
      const t = await fot.getAddress();
      await p.market.connect(await timelockSigner(p)).setAcceptedToken(t, true);
      await p.resale.connect(alice).list(modelId, keyId, t, 10_000n, PRICED_IN);
      await fot.mint(B, 10_000n);
      await fot.connect(bob).approve(resaleAddr, 10_000n);
      await expect(p.resale.connect(bob).buy(keyId, t, 10_000n)).to.be.revertedWithCustomError(p.resale, "WrongPayment");
      expect(await fot.balanceOf(B)).to.equal(10_000n);
      expect(await keys.ownerOf(keyId)).to.equal(A);
    });

    it("refuses a listing by a non-holder, without approval, at price 0, in an unaccepted currency or an unknown lease-escrow mode", async () => {
      const { modelId, keys, keyId } = await aliceHoldsKey();
      await expect(p.resale.connect(bob).list(modelId, keyId, NATIVE, ONE, PRICED_IN))
        .to.be.revertedWithCustomError(p.resale, "NotKeyHolder")
        .withArgs(keyId, B);
      await expect(p.resale.connect(alice).list(modelId, keyId, NATIVE, 0n, PRICED_IN)).to.be.revertedWithCustomError(
        p.resale,
        "ZeroPrice",
      );
      const unaccepted = await deployTestToken(p, false);
      await expect(p.resale.connect(alice).list(modelId, keyId, await unaccepted.getAddress(), ONE, PRICED_IN))
        .to.be.revertedWithCustomError(p.resale, "UnsupportedCurrency")
        .withArgs(await unaccepted.getAddress());
      await expect(p.resale.connect(alice).list(modelId, keyId, NATIVE, ONE, 2))
        .to.be.revertedWithCustomError(p.resale, "InvalidLeaseEscrow")
        .withArgs(2);
      await keys.connect(alice).approve(ethers.ZeroAddress, keyId);
      await expect(p.resale.connect(alice).list(modelId, keyId, NATIVE, ONE, PRICED_IN))
        .to.be.revertedWithCustomError(p.resale, "NotApproved")
        .withArgs(keyId);
      // Approval for all works as well as per-key approval.
      await keys.connect(alice).setApprovalForAll(resaleAddr, true);
      await p.resale.connect(alice).list(modelId, keyId, NATIVE, ONE, PRICED_IN);
      // A key of another model's collection is not this model's key.
      const other = await publish(p, creator, { content: "other" });
      await expect(p.resale.connect(alice).list(other.modelId, keyId, NATIVE, ONE, PRICED_IN)).to.be.revertedWithCustomError(
        other.keys,
        "ERC721NonexistentToken",
      );
    });

    it("a soul-bound key cannot be listed or offered for", async () => {
      const soulbound = [{ plugin: await p.plugins.soulbound.getAddress(), config: "0x" }];
      const { modelId, keys } = await publish(p, creator, { plugins: soulbound });
      await setNativePrice(p, creator, modelId, ONE);
      const keyId = await buyNative(p, alice, modelId, ONE);
      expect(await keys.locked(keyId)).to.equal(true);
      await keys.connect(alice).approve(resaleAddr, keyId);
      await expect(p.resale.connect(alice).list(modelId, keyId, NATIVE, ONE, PRICED_IN))
        .to.be.revertedWithCustomError(p.resale, "KeyNotTransferable")
        .withArgs(keyId);
      const validUntil = (await time.latest()) + 3600;
      await expect(p.resale.connect(bob).makeOffer(modelId, keyId, NATIVE, ONE, validUntil, PRICED_IN, { value: ONE }))
        .to.be.revertedWithCustomError(p.resale, "KeyNotTransferable")
        .withArgs(keyId);
      expect(await p.resale.offersMade()).to.equal(0n);
      expect(await ethers.provider.getBalance(resaleAddr)).to.equal(0n);
    });

    it("an expired key cannot be listed, and a listing whose key expired meanwhile cannot be bought", async () => {
      const expiry = [
        {
          plugin: await p.plugins.expiry.getAddress(),
          config: ethers.AbiCoder.defaultAbiCoder().encode(["uint64"], [DAY]),
        },
      ];
      const { modelId, keys, keyId } = await aliceHoldsKey({ plugins: expiry });
      const expiresAt = await keys.expiresAt(keyId);
      await p.resale.connect(alice).list(modelId, keyId, NATIVE, ONE, PRICED_IN);
      await time.increaseTo(expiresAt);
      expect(await fillable(p, keyId)).to.equal(false);
      await expect(p.resale.connect(bob).buy(keyId, NATIVE, ONE, { value: ONE }))
        .to.be.revertedWithCustomError(p.resale, "KeyExpired")
        .withArgs(keyId, expiresAt);
      await expect(p.resale.connect(alice).list(modelId, keyId, NATIVE, ONE, PRICED_IN))
        .to.be.revertedWithCustomError(p.resale, "KeyExpired")
        .withArgs(keyId, expiresAt);
      expect(await keys.ownerOf(keyId)).to.equal(A);
    });
  });

  describe("offers", () => {
    it("an ERC-20 offer is escrowed; the holder accepts: key to the maker, royalty into the vault, seller credited", async () => {
      const { modelId, keys, keyId } = await aliceHoldsKey();
      const token = await deployTestToken(p);
      const t = await token.getAddress();
      const amount = 3_333_333n;
      const royalty = royaltyOf(amount);
      await fund(token, bob, amount);
      const validUntil = (await time.latest()) + 3600;
      await expect(p.resale.connect(bob).makeOffer(modelId, keyId, t, amount, validUntil, TO_SELLER))
        .to.emit(p.resale, "OfferMade")
        .withArgs(1n, keyId, B, modelId, t, amount, validUntil, TO_SELLER);
      expect(await token.balanceOf(B)).to.equal(0n);
      expect(await token.balanceOf(resaleAddr)).to.equal(amount);
      // A listing of the key is cleared when an offer fills it.
      await p.resale.connect(alice).list(modelId, keyId, NATIVE, ONE, PRICED_IN);

      await expect(p.resale.connect(carol).acceptOffer(1n))
        .to.be.revertedWithCustomError(p.resale, "NotKeyHolder")
        .withArgs(keyId, C);
      await expect(p.resale.connect(alice).acceptOffer(1n))
        .to.emit(p.resale, "ResaleFilled")
        .withArgs(keyId, modelId, B, A, t, amount, royalty, 1n, TO_SELLER);
      expect(await keys.ownerOf(keyId)).to.equal(B);
      expect(await token.balanceOf(resaleAddr)).to.equal(amount - royalty);
      expect(await token.balanceOf(marketAddr)).to.equal(royalty);
      expect(await p.market.vaultOf(modelId, t)).to.equal(royalty);
      expect(await p.resale.creditOf(A, t)).to.equal(amount - royalty);
      expect((await p.resale.offerOf(1n)).buyer).to.equal(ethers.ZeroAddress);
      expect((await p.resale.listingOf(keyId)).seller).to.equal(ethers.ZeroAddress);
      await expect(p.resale.connect(alice).acceptOffer(1n)).to.be.revertedWithCustomError(p.resale, "UnknownOffer").withArgs(1n);
    });

    it("a native offer: cancel credits the escrow back to the maker only, and a cancelled offer cannot be accepted", async () => {
      const { modelId, keys, keyId } = await aliceHoldsKey();
      const validUntil = (await time.latest()) + 3600;
      await expect(p.resale.connect(bob).makeOffer(modelId, keyId, NATIVE, ONE, validUntil, PRICED_IN, { value: ONE - 1n }))
        .to.be.revertedWithCustomError(p.resale, "WrongPayment")
        .withArgs(ONE, ONE - 1n);
      await expect(
        p.resale.connect(bob).makeOffer(modelId, keyId, NATIVE, ONE, validUntil, PRICED_IN, { value: ONE }),
      ).to.changeEtherBalances([bob, p.resale], [-ONE, ONE]);
      await expect(p.resale.connect(carol).cancelOffer(1n))
        .to.be.revertedWithCustomError(p.resale, "NotOfferMaker")
        .withArgs(1n, C);
      await expect(p.resale.connect(bob).cancelOffer(1n)).to.emit(p.resale, "OfferCancelled").withArgs(1n, B, ONE);
      expect(await p.resale.creditOf(B, NATIVE)).to.equal(ONE);
      await expect(p.resale.connect(alice).acceptOffer(1n)).to.be.revertedWithCustomError(p.resale, "UnknownOffer").withArgs(1n);
      await expect(p.resale.connect(bob).cancelOffer(1n)).to.be.revertedWithCustomError(p.resale, "UnknownOffer").withArgs(1n);
      await expect(p.resale.connect(bob).claim(NATIVE, B)).to.changeEtherBalances([bob, p.resale], [ONE, -ONE]);
      expect(await keys.ownerOf(keyId)).to.equal(A);
    });

    it("a native offer accepted pays royalty and seller; an expired offer is refused and stays refundable", async () => {
      const { modelId, keys, keyId } = await aliceHoldsKey();
      const now = await time.latest();
      await expect(
        p.resale.connect(bob).makeOffer(modelId, keyId, NATIVE, ONE, now, PRICED_IN, { value: ONE }),
      ).to.be.revertedWithCustomError(p.resale, "OfferExpired");
      await p.resale.connect(bob).makeOffer(modelId, keyId, NATIVE, ONE, now + 100, PRICED_IN, { value: ONE });
      await p.resale.connect(carol).makeOffer(modelId, keyId, NATIVE, 2n * ONE, now + 10_000, TO_SELLER, {
        value: 2n * ONE,
      });
      await time.increaseTo(now + 101);
      await expect(p.resale.connect(alice).acceptOffer(1n))
        .to.be.revertedWithCustomError(p.resale, "OfferExpired")
        .withArgs(1n, now + 100);

      const royalty = royaltyOf(2n * ONE);
      const tx = p.resale.connect(alice).acceptOffer(2n);
      await expect(tx)
        .to.emit(p.resale, "ResaleFilled")
        .withArgs(keyId, modelId, C, A, NATIVE, 2n * ONE, royalty, 2n, TO_SELLER);
      await expect(tx).to.changeEtherBalances([p.resale, p.market], [-royalty, royalty]);
      expect(await keys.ownerOf(keyId)).to.equal(C);
      expect(await p.resale.creditOf(A, NATIVE)).to.equal(2n * ONE - royalty);
      // The expired offer's escrow is still the maker's.
      await p.resale.connect(bob).cancelOffer(1n);
      expect(await p.resale.creditOf(B, NATIVE)).to.equal(ONE);
      expect(await ethers.provider.getBalance(resaleAddr)).to.equal(ONE + 2n * ONE - royalty);
    });
  });

  describe("hostile counterparties and pause", () => {
    it("a seller contract re-entering claim from its receive() is refused and paid once", async () => {
      const r = (await (await ethers.getContractFactory("ReentrantReceiver")).deploy()) as unknown as ReentrantReceiver;
      const ra = await r.getAddress();
      const { modelId, keys } = await publish(p, creator);
      await setNativePrice(p, creator, modelId, ONE);
      const keyId = await buyNative(p, alice, modelId, ONE, { recipient: ra });
      await r.exec(await keys.getAddress(), keys.interface.encodeFunctionData("approve", [resaleAddr, keyId]));
      await r.exec(resaleAddr, p.resale.interface.encodeFunctionData("list", [modelId, keyId, NATIVE, ONE, PRICED_IN]));
      await p.resale.connect(bob).buy(keyId, NATIVE, ONE, { value: ONE });
      const owed = ONE - royaltyOf(ONE);
      expect(await p.resale.creditOf(ra, NATIVE)).to.equal(owed);

      const claim = p.resale.interface.encodeFunctionData("claim", [NATIVE, ra]);
      const reentrancy = p.resale.interface.encodeErrorResult("ReentrancyGuardReentrantCall", []);
      // Bubbling the guard's error makes the payout fail: nothing moves, the credit stays.
      await r.arm(resaleAddr, claim, true);
      await expect(r.exec(resaleAddr, claim)).to.be.revertedWithCustomError(p.resale, "NativeTransferFailed");
      expect(await p.resale.creditOf(ra, NATIVE)).to.equal(owed);
      // Swallowing it: the claim pays once and the re-entry failed with the guard's error.
      await r.arm(resaleAddr, claim, false);
      await expect(r.exec(resaleAddr, claim)).to.changeEtherBalances([r, p.resale], [owed, -owed]);
      expect(await r.reentrySucceeded()).to.equal(false);
      expect(await r.reentryError()).to.equal(reentrancy);
      expect(await p.resale.creditOf(ra, NATIVE)).to.equal(0n);
    });

    it("a token re-entering buy from inside the buyer's payment is refused: the key sells once", async () => {
      const token = (await (await ethers.getContractFactory("ReentrantToken")).deploy()) as unknown as ReentrantToken;
      const t = await token.getAddress();
      await p.market.connect(await timelockSigner(p)).setAcceptedToken(t, true);
      const { modelId, keys, keyId } = await aliceHoldsKey();
      await p.resale.connect(alice).list(modelId, keyId, t, 1000n, PRICED_IN);
      await token.mint(B, 2000n);
      await token.connect(bob).approve(resaleAddr, 2000n);
      const rebuy = p.resale.interface.encodeFunctionData("buy", [keyId, t, 1000n]);
      await token.arm(resaleAddr, rebuy, true);
      await expect(p.resale.connect(bob).buy(keyId, t, 1000n)).to.be.revertedWithCustomError(
        p.resale,
        "ReentrancyGuardReentrantCall",
      );
      expect(await keys.ownerOf(keyId)).to.equal(A);
      expect(await token.balanceOf(B)).to.equal(2000n);
      await token.arm(resaleAddr, rebuy, false);
      await p.resale.connect(bob).buy(keyId, t, 1000n);
      expect(await token.reentrySucceeded()).to.equal(false);
      expect(await keys.ownerOf(keyId)).to.equal(B);
      expect(await token.balanceOf(B)).to.equal(1000n);
      expect(await p.resale.creditOf(A, t)).to.equal(1000n - royaltyOf(1000n));
    });

    it("the guardian pauses listings, offers and fills; cancels and claims stay open; only the timelock unpauses", async () => {
      const { modelId, keys, keyId } = await aliceHoldsKey();
      const [guardian] = p.signers;
      const validUntil = (await time.latest()) + 10_000;
      await p.resale.connect(bob).makeOffer(modelId, keyId, NATIVE, ONE, validUntil, PRICED_IN, { value: ONE });
      await p.resale.connect(alice).list(modelId, keyId, NATIVE, ONE, PRICED_IN);
      const pauser = await p.resale.PAUSER_ROLE();
      await expect(p.resale.connect(bob).pause())
        .to.be.revertedWithCustomError(p.resale, "AccessControlUnauthorizedAccount")
        .withArgs(B, pauser);
      await expect(p.resale.connect(guardian).pause()).to.emit(p.resale, "Paused");

      for (const call of [
        () => p.resale.connect(alice).list(modelId, keyId, NATIVE, ONE, PRICED_IN),
        () => p.resale.connect(carol).buy(keyId, NATIVE, ONE, { value: ONE }),
        () => p.resale.connect(carol).makeOffer(modelId, keyId, NATIVE, ONE, validUntil, PRICED_IN, { value: ONE }),
        () => p.resale.connect(alice).acceptOffer(1n),
      ]) {
        await expect(call()).to.be.revertedWithCustomError(p.resale, "ResalePaused");
      }
      expect(await fillable(p, keyId)).to.equal(false);
      await expect(p.resale.connect(guardian).unpause())
        .to.be.revertedWithCustomError(p.resale, "AccessControlUnauthorizedAccount")
        .withArgs(await guardian.getAddress(), ethers.ZeroHash);
      // Exits stay open while paused.
      await p.resale.connect(bob).cancelOffer(1n);
      await expect(p.resale.connect(bob).claim(NATIVE, B)).to.changeEtherBalance(bob, ONE);
      await p.resale.connect(alice).cancelListing(keyId);

      await expect(throughTimelock(p, resaleAddr, p.resale.interface.encodeFunctionData("unpause"))).to.emit(
        p.resale,
        "Unpaused",
      );
      await p.resale.connect(alice).list(modelId, keyId, NATIVE, ONE, PRICED_IN);
      await p.resale.connect(carol).buy(keyId, NATIVE, ONE, { value: ONE });
      expect(await keys.ownerOf(keyId)).to.equal(C);
    });
  });

  describe("upgrades", () => {
    it("an append-only V2 through the timelock keeps listings, offers and credits", async () => {
      const { modelId, keys, keyId } = await aliceHoldsKey();
      await p.resale.connect(alice).list(modelId, keyId, NATIVE, ONE, TO_SELLER);
      const validUntil = (await time.latest()) + 10_000;
      await p.resale.connect(carol).makeOffer(modelId, keyId, NATIVE, ONE / 2n, validUntil, PRICED_IN, {
        value: ONE / 2n,
      });
      await p.resale.connect(carol).makeOffer(modelId, keyId, NATIVE, ONE / 4n, validUntil, PRICED_IN, {
        value: ONE / 4n,
      });
      await p.resale.connect(carol).cancelOffer(2n);

      const factory = await ethers.getContractFactory("HexsResaleV2");
      const impl = (await upgrades.prepareUpgrade(resaleAddr, factory, { kind: "uups" })) as string;
      const data = p.resale.interface.encodeFunctionData("upgradeToAndCall", [impl, "0x"]);
      await expect(p.resale.connect(alice).upgradeToAndCall(impl, "0x"))
        .to.be.revertedWithCustomError(p.resale, "AccessControlUnauthorizedAccount")
        .withArgs(A, await p.resale.UPGRADER_ROLE());
      await expect(throughTimelock(p, resaleAddr, data))
        .to.emit(p.resale, "Upgraded")
        .withArgs(impl);

      const v2 = (await ethers.getContractAt("HexsResaleV2", resaleAddr)) as unknown as HexsResaleV2;
      expect(await v2.version()).to.equal(2n);
      const l = await v2.listingOf(keyId);
      expect([l.seller, l.modelId, l.currency, l.price, l.leaseEscrow]).to.deep.equal([A, modelId, NATIVE, ONE, 1n]);
      expect((await v2.offerOf(1n)).amount).to.equal(ONE / 2n);
      expect(await v2.offersMade()).to.equal(2n);
      expect(await v2.creditOf(C, NATIVE)).to.equal(ONE / 4n);
      // The listing made before the upgrade still fills.
      await v2.connect(bob).buy(keyId, NATIVE, ONE, { value: ONE });
      expect(await keys.ownerOf(keyId)).to.equal(B);
      expect(await v2.creditOf(A, NATIVE)).to.equal(ONE - royaltyOf(ONE));
    });

    it("a V2 with a broken storage layout is refused by the upgrades plugin", async () => {
      const bad = await ethers.getContractFactory("HexsResaleBadV2");
      await expect(upgrades.validateUpgrade(resaleAddr, bad, { kind: "uups" })).to.be.rejectedWith(
        /New storage layout is incompatible[\s\S]*Inserted `insertedCounter`/,
      );
      await expect(upgrades.prepareUpgrade(resaleAddr, bad, { kind: "uups" })).to.be.rejectedWith(
        /New storage layout is incompatible|insertedCounter/,
      );
      await upgrades.validateUpgrade(resaleAddr, await ethers.getContractFactory("HexsResaleV2"), { kind: "uups" });
    });
  });

  it("is deployed by the one deployment, with roles handed to the timelock", async () => {
    const TL = await p.timelock.getAddress();
    const [deployer] = p.signers;
    expect(await p.resale.registry()).to.equal(await p.registry.getAddress());
    expect(await p.resale.market()).to.equal(marketAddr);
    expect(await p.resale.hasRole(ethers.ZeroHash, TL)).to.equal(true);
    expect(await p.resale.hasRole(await p.resale.UPGRADER_ROLE(), TL)).to.equal(true);
    expect(await p.resale.hasRole(ethers.ZeroHash, await deployer.getAddress())).to.equal(false);
    expect(await p.resale.hasRole(await p.resale.PAUSER_ROLE(), await deployer.getAddress())).to.equal(true);
    const k: KeyNFT = (await publish(p, creator)).keys;
    expect(await k.supportsInterface("0x2a55205a")).to.equal(true); // ERC-2981
  });
});
