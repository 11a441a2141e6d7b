import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { Signer } from "ethers";
import {
  buyNative,
  deployProtocol,
  deployTestToken,
  eventsOf,
  NATIVE,
  publish,
  setNativePrice,
  type Protocol,
} from "../../devnet/hardhat/protocol";
import type { FeeOnTransferToken } from "../../sdk/typechain";

const abi = ethers.AbiCoder.defaultAbiCoder();
const DAY = 86_400;
const PRICE = ethers.parseEther("0.1");

describe("KeyNFT", () => {
  let p: Protocol;
  let creator: Signer, alice: Signer, bob: Signer, carol: Signer;
  let A: string, B: string, C: string;

  beforeEach(async () => {
    p = await deployProtocol();
    [, , creator, , alice, bob, carol] = p.signers;
    [A, B, C] = await Promise.all([alice, bob, carol].map((s) => s.getAddress()));
  });

  async function model(opts: Parameters<typeof publish>[2] = {}) {
    const m = await publish(p, creator, opts);
    await setNativePrice(p, creator, m.modelId, PRICE);
    return m;
  }
  const soulbound = async () => ({ plugin: await p.plugins.soulbound.getAddress(), config: "0x" });
  const expiry = async (seconds: number) => ({
    plugin: await p.plugins.expiry.getAddress(),
    config: abi.encode(["uint64"], [seconds]),
  });

  describe("standards", () => {
    it("supports ERC-165, ERC-721, ERC-721 metadata, ERC-2981 and ERC-5192 (and not a random id)", async () => {
      const { keys } = await model();
      for (const iid of ["0x01ffc9a7", "0x80ac58cd", "0x5b5e139f", "0x2a55205a", "0xb45a3c0e"]) {
        expect(await keys.supportsInterface(iid), iid).to.equal(true);
      }
      expect(await keys.supportsInterface("0xffffffff")).to.equal(false);
      expect(await keys.supportsInterface("0x12345678")).to.equal(false);
    });

    it("royaltyInfo names the collection itself as receiver at the model's secondary rate", async () => {
      const { keys, modelId } = await model({ secondaryRoyaltyBps: 750 });
      const keyId = await buyNative(p, alice, modelId, PRICE);
      const [receiver, amount] = await keys.royaltyInfo(keyId, ethers.parseEther("2"));
      expect(receiver).to.equal(await keys.getAddress());
      expect(amount).to.equal(ethers.parseEther("0.15"));
      const [, none] = await (await model({ secondaryRoyaltyBps: 0, content: "z" })).keys.royaltyInfo(1, 1000);
      expect(none).to.equal(0n);
    });

    it("tokenURI is the model's metadata URI; unknown keys revert", async () => {
      const { keys, modelId } = await model();
      const keyId = await buyNative(p, alice, modelId, PRICE);
      expect(await keys.tokenURI(keyId)).to.equal(await p.registry.metadataUriOf(modelId));
      await expect(keys.tokenURI(keyId + 1n))
        .to.be.revertedWithCustomError(keys, "ERC721NonexistentToken")
        .withArgs(keyId + 1n);
    });

    it("only the market can mint", async () => {
      const { keys } = await model();
      await expect(keys.connect(alice).mint(A, 1, "0x"))
        .to.be.revertedWithCustomError(keys, "NotMarket")
        .withArgs(A);
    });

    it("cannot be re-initialized", async () => {
      const { keys } = await model();
      await expect(keys.initialize(5, 0, [])).to.be.revertedWithCustomError(keys, "InvalidInitialization");
    });
  });

  describe("soul-bound keys (ERC-5192)", () => {
    it("emits Locked on mint, reports locked() and refuses every transfer", async () => {
      const { keys, modelId } = await model({ plugins: [await soulbound()] });
      const tx = p.market.connect(alice).buy(modelId, NATIVE, A, "0x", "0x", { value: PRICE });
      const keyId = (1n << 32n) | 1n;
      await expect(tx).to.emit(keys, "Locked").withArgs(keyId);
      expect(await keys.locked(keyId)).to.equal(true);
      await expect(keys.connect(alice).transferFrom(A, B, keyId))
        .to.be.revertedWithCustomError(keys, "KeyLocked")
        .withArgs(keyId);
      await expect(keys.connect(alice)["safeTransferFrom(address,address,uint256)"](A, B, keyId))
        .to.be.revertedWithCustomError(keys, "KeyLocked")
        .withArgs(keyId);
      // An approved operator cannot move it either.
      await keys.connect(alice).setApprovalForAll(B, true);
      await expect(keys.connect(bob).transferFrom(A, B, keyId))
        .to.be.revertedWithCustomError(keys, "KeyLocked")
        .withArgs(keyId);
      expect(await keys.ownerOf(keyId)).to.equal(A);
    });

    it("unlocked keys report locked()=false, emit no Locked and transfer; locked() of a missing key reverts", async () => {
      const { keys, modelId } = await model();
      const receipt = await (await p.market.connect(alice).buy(modelId, NATIVE, A, "0x", "0x", { value: PRICE })).wait();
      expect(eventsOf(receipt, keys, "Locked")).to.have.length(0);
      const keyId = (1n << 32n) | 1n;
      expect(await keys.locked(keyId)).to.equal(false);
      await keys.connect(alice).transferFrom(A, B, keyId);
      expect(await keys.ownerOf(keyId)).to.equal(B);
      await expect(keys.locked(999)).to.be.revertedWithCustomError(keys, "ERC721NonexistentToken").withArgs(999);
    });

    it("the soul-bound policy can change before the first sale but is fixed afterwards (PolicyFixed)", async () => {
      const sb = await p.plugins.soulbound.getAddress();
      // Before any sale: attach and detach freely.
      const free = await model({ content: "free" });
      expect(await free.keys.sold()).to.equal(false);
      await expect(free.keys.connect(creator).attachPlugin(sb, "0x")).to.emit(free.keys, "PluginAttached").withArgs(sb, 4);
      await expect(free.keys.connect(creator).detachPlugin(sb)).to.emit(free.keys, "PluginDetached").withArgs(sb);

      // Keys sold unlocked: the creator may not lock them afterwards.
      await buyNative(p, alice, free.modelId, PRICE);
      expect(await free.keys.sold()).to.equal(true);
      await expect(free.keys.connect(creator).attachPlugin(sb, "0x")).to.be.revertedWithCustomError(free.keys, "PolicyFixed");

      // Keys sold locked: the creator may not unlock them afterwards.
      const bound = await model({ content: "bound", plugins: [await soulbound()] });
      const keyId = await buyNative(p, alice, bound.modelId, PRICE);
      await expect(bound.keys.connect(creator).detachPlugin(sb)).to.be.revertedWithCustomError(bound.keys, "PolicyFixed");
      expect(await bound.keys.locked(keyId)).to.equal(true);
      expect(await bound.keys.plugins()).to.deep.equal([sb]);

      // Non-locking plugins remain attachable/detachable after the first sale.
      const cap = await p.plugins.supplyCap.getAddress();
      await bound.keys.connect(creator).attachPlugin(cap, abi.encode(["uint64"], [10]));
      await bound.keys.connect(creator).detachPlugin(cap);
      expect(await bound.keys.plugins()).to.deep.equal([sb]);
    });
  });

  describe("subscription keys (expiry)", () => {
    it("hasAccess is true until expiry, then false; balanceOf is unchanged; userOf/userExpires follow", async () => {
      const { keys, modelId } = await model({ plugins: [await expiry(DAY)] });
      const tx = await p.market.connect(alice).buy(modelId, NATIVE, A, "0x", "0x", { value: PRICE });
      const keyId = (1n << 32n) | 1n;
      const mintedAt = BigInt((await ethers.provider.getBlock((await tx.wait())!.blockNumber))!.timestamp);
      await expect(tx)
        .to.emit(keys, "ExpiryUpdated")
        .withArgs(keyId, mintedAt + BigInt(DAY));
      expect(await keys.expiresAt(keyId)).to.equal(mintedAt + BigInt(DAY));
      expect(await keys.userExpires(keyId)).to.equal(mintedAt + BigInt(DAY));
      expect(await keys.userOf(keyId)).to.equal(A);
      expect(await keys.hasAccess(A)).to.equal(true);
      expect(await p.registryLens.hasAccess(p.registry, modelId, A)).to.equal(true);

      await time.increaseTo(mintedAt + BigInt(DAY) - 1n); // last second of access
      expect(await keys.hasAccess(A)).to.equal(true);
      await time.increase(1);
      expect(await keys.hasAccess(A)).to.equal(false);
      expect(await p.registryLens.hasAccess(p.registry, modelId, A)).to.equal(false);
      expect(await keys.userOf(keyId)).to.equal(ethers.ZeroAddress);
      expect(await keys.balanceOf(A)).to.equal(1n);
      expect(await keys.ownerOf(keyId)).to.equal(A);
    });

    it("a second live subscription for the same account is refused; after expiry a renewal restores access", async () => {
      const { keys, modelId } = await model({ plugins: [await expiry(DAY)] });
      const first = await buyNative(p, alice, modelId, PRICE);
      const inner = keys.interface.encodeErrorResult("AlreadySubscribed", [A, first]);
      await expect(p.market.connect(alice).buy(modelId, NATIVE, A, "0x", "0x", { value: PRICE }))
        .to.be.revertedWithCustomError(keys, "PluginRejected")
        .withArgs(await p.plugins.expiry.getAddress(), inner);
      await time.increase(DAY);
      expect(await keys.hasAccess(A)).to.equal(false);
      const second = await buyNative(p, alice, modelId, PRICE);
      expect(await keys.hasAccess(A)).to.equal(true);
      expect(await keys.balanceOf(A)).to.equal(2n);
      expect(await keys.userOf(first)).to.equal(ethers.ZeroAddress);
      expect(await keys.userOf(second)).to.equal(A);
    });

    it("transferring a live subscription to an account holding a live one reverts AlreadySubscribed", async () => {
      const { keys, modelId } = await model({ plugins: [await expiry(DAY)] });
      const ka = await buyNative(p, alice, modelId, PRICE);
      const kb = await buyNative(p, bob, modelId, PRICE);
      await expect(keys.connect(alice).transferFrom(A, B, ka))
        .to.be.revertedWithCustomError(keys, "AlreadySubscribed")
        .withArgs(B, kb);
      expect(await keys.ownerOf(ka)).to.equal(A);
    });

    it("a live subscription moves access with it; an expired one moves no access", async () => {
      const { keys, modelId } = await model({ plugins: [await expiry(DAY)] });
      const ka = await buyNative(p, alice, modelId, PRICE);
      await keys.connect(alice).transferFrom(A, C, ka);
      expect(await keys.hasAccess(A)).to.equal(false);
      expect(await keys.hasAccess(C)).to.equal(true);
      expect(await keys.userOf(ka)).to.equal(C);

      // Bob's key expires; Carol's (ex-Alice's) one too. Bob can then receive a fresh live key.
      const kb = await buyNative(p, bob, modelId, PRICE);
      await time.increase(DAY + 1);
      const fresh = await buyNative(p, alice, modelId, PRICE);
      await keys.connect(alice).transferFrom(A, B, fresh); // Bob's slot held only an expired key
      expect(await keys.hasAccess(B)).to.equal(true);
      expect(await keys.balanceOf(B)).to.equal(2n);
      // An expired key transferred to someone with no key gives no access.
      await keys.connect(bob).transferFrom(B, A, kb);
      expect(await keys.hasAccess(A)).to.equal(false);
      expect(await keys.balanceOf(A)).to.equal(1n);
      expect(await keys.hasAccess(B)).to.equal(true);
    });

    it("a perpetual key gives access next to an expired subscription", async () => {
      const sub = await model({ plugins: [await expiry(DAY)], content: "sub" });
      // Same collection: keys sold before the expiry plugin was attached stay perpetual.
      const { keys, modelId } = await model({ content: "mixed" });
      const perpetual = await buyNative(p, bob, modelId, PRICE);
      await keys.connect(creator).attachPlugin(await p.plugins.expiry.getAddress(), abi.encode(["uint64"], [DAY]));
      const subKey = await buyNative(p, alice, modelId, PRICE);
      expect(await keys.expiresAt(perpetual)).to.equal(0n);
      expect(await keys.expiresAt(subKey)).to.not.equal(0n);
      await time.increase(DAY + 1);
      expect(await keys.hasAccess(A)).to.equal(false);
      await keys.connect(bob).transferFrom(B, A, perpetual);
      expect(await keys.hasAccess(A)).to.equal(true);
      expect(await keys.hasAccess(B)).to.equal(false);
      expect(await keys.userOf(perpetual)).to.equal(A);
      expect(await keys.userExpires(perpetual)).to.equal(0n);
      expect(await sub.keys.hasAccess(A)).to.equal(false);
    });

    it("only an attached plugin can set expiry; detaching revokes that right", async () => {
      const { keys, modelId } = await model({ plugins: [await expiry(DAY)] });
      const keyId = await buyNative(p, alice, modelId, PRICE);
      await expect(keys.connect(alice).setExpiry(keyId, 0)).to.be.revertedWithCustomError(keys, "NotAttachedPlugin").withArgs(A);
      await expect(keys.connect(creator).setExpiry(keyId, 0))
        .to.be.revertedWithCustomError(keys, "NotAttachedPlugin")
        .withArgs(await creator.getAddress());
      const plugin = await p.plugins.expiry.getAddress();
      await keys.connect(creator).detachPlugin(plugin);
      expect(await p.plugins.expiry.durationOf(await keys.getAddress())).to.equal(0n);
      const asPlugin = await ethers.getImpersonatedSigner(plugin);
      await ethers.provider.send("hardhat_setBalance", [plugin, "0xDE0B6B3A7640000"]);
      await expect(keys.connect(asPlugin).setExpiry(keyId, 0))
        .to.be.revertedWithCustomError(keys, "NotAttachedPlugin")
        .withArgs(plugin);
    });
  });

  describe("perpetual keys", () => {
    it("transfer keeps hasAccess right for both sides", async () => {
      const { keys, modelId } = await model();
      const k1 = await buyNative(p, alice, modelId, PRICE);
      const k2 = await buyNative(p, alice, modelId, PRICE);
      expect(await keys.hasAccess(B)).to.equal(false);
      await keys.connect(alice).transferFrom(A, B, k1);
      expect(await keys.hasAccess(A)).to.equal(true); // still holds k2
      expect(await keys.hasAccess(B)).to.equal(true);
      await keys.connect(alice).transferFrom(A, B, k2);
      expect(await keys.hasAccess(A)).to.equal(false);
      expect(await keys.hasAccess(B)).to.equal(true);
      expect(await keys.balanceOf(B)).to.equal(2n);
      expect(await keys.expiresAt(k1)).to.equal(0n);
      expect(await keys.userOf(k1)).to.equal(B);
    });
  });

  describe("royalties paid to the collection", () => {
    it("native royalties are swept into the model's vault", async () => {
      const { keys, modelId } = await model();
      const amount = ethers.parseEther("0.3");
      await expect(bob.sendTransaction({ to: await keys.getAddress(), value: amount }))
        .to.emit(keys, "RoyaltyReceived")
        .withArgs(B, amount);
      const before = await ethers.provider.getBalance(await p.market.getAddress());
      const tx = keys.connect(carol).sweepRoyalties(NATIVE); // anyone may sweep
      await expect(tx).to.emit(keys, "RoyaltiesSwept").withArgs(NATIVE, amount);
      await expect(tx).to.emit(p.market, "RoyaltyDeposited").withArgs(modelId, NATIVE, amount);
      expect(await p.market.vaultOf(modelId, NATIVE)).to.equal(amount);
      expect(await ethers.provider.getBalance(await p.market.getAddress())).to.equal(before + amount);
      expect(await ethers.provider.getBalance(await keys.getAddress())).to.equal(0n);
      await expect(keys.sweepRoyalties(NATIVE)).to.be.revertedWithCustomError(keys, "NothingToSweep");
    });

    it("ERC-20 royalties are swept into the model's vault", async () => {
      const { keys, modelId } = await model();
      const token = await deployTestToken(p);
      const t = await token.getAddress();
      await token.mint(await keys.getAddress(), 12345n);
      await expect(keys.sweepRoyalties(t)).to.emit(p.market, "RoyaltyDeposited").withArgs(modelId, t, 12345n);
      expect(await p.market.vaultOf(modelId, t)).to.equal(12345n);
      expect(await token.balanceOf(await p.market.getAddress())).to.equal(12345n);
      await expect(keys.sweepRoyalties(t)).to.be.revertedWithCustomError(keys, "NothingToSweep");
    });

    it("a fee-on-transfer royalty token credits the vault only with what the market received", async () => {
      const { keys, modelId } = await model();
      const fot = (await (await ethers.getContractFactory("FeeOnTransferToken")).deploy()) as unknown as FeeOnTransferToken;
      const t = await fot.getAddress();
      await fot.mint(await keys.getAddress(), 10_000n);
      const before = await fot.balanceOf(await p.market.getAddress());
      await keys.sweepRoyalties(t);
      const received = (await fot.balanceOf(await p.market.getAddress())) - before;
      expect(received).to.equal(9_900n);
      // Conservation: the market must never owe more of a token than it holds.
      expect(await p.market.vaultOf(modelId, t)).to.equal(received);
    });

    it("only the model's own collection may deposit royalties", async () => {
      const a = await model({ content: "a" });
      const b = await model({ content: "b" });
      await expect(p.market.connect(alice).depositRoyalty(a.modelId, NATIVE, 1, { value: 1 }))
        .to.be.revertedWithCustomError(p.market, "NotKeyCollection")
        .withArgs(a.modelId, A);
      // Collection b impersonated, depositing for model a.
      const bAddr = await b.keys.getAddress();
      await ethers.provider.send("hardhat_setBalance", [bAddr, "0xDE0B6B3A7640000"]);
      const asB = await ethers.getImpersonatedSigner(bAddr);
      await expect(p.market.connect(asB).depositRoyalty(a.modelId, NATIVE, 1, { value: 1 }))
        .to.be.revertedWithCustomError(p.market, "NotKeyCollection")
        .withArgs(a.modelId, bAddr);
      // The right collection, but value and amount disagree.
      await expect(p.market.connect(asB).depositRoyalty(b.modelId, NATIVE, 2, { value: 1 }))
        .to.be.revertedWithCustomError(p.market, "WrongPayment")
        .withArgs(2, 1);
      await expect(p.market.connect(asB).depositRoyalty(b.modelId, ethers.Wallet.createRandom().address, 1, { value: 1 }))
        .to.be.revertedWithCustomError(p.market, "WrongPayment")
        .withArgs(1, 1);
    });
  });
});
