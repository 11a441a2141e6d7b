import { expect } from "chai";
import { ethers } from "hardhat";
import type { Signer } from "ethers";
import {
  buyNative,
  deployProtocol,
  NATIVE,
  publish,
  setNativePrice,
  timelockSigner,
  type Protocol,
} from "../../devnet/hardhat/protocol";
import type { ReentrantPlugin, ReentrantReceiver, ReentrantToken } from "../../sdk/typechain";

const ONE = ethers.parseEther("1");
const keyIdOf = (serial: bigint) => (1n << 32n) | serial;

describe("Security: reentrancy and hostile counterparties", () => {
  let p: Protocol;
  let creator: Signer, alice: Signer, bob: Signer;
  let A: string;
  let reentrancyError: string;
  let marketAddr: string;

  beforeEach(async () => {
    p = await deployProtocol();
    [, , creator, , alice, bob] = p.signers;
    A = await alice.getAddress();
    marketAddr = await p.market.getAddress();
    reentrancyError = p.market.interface.encodeErrorResult("ReentrancyGuardReentrantCall", []);
  });

  async function hostileToken(price: bigint) {
    const token = (await (await ethers.getContractFactory("ReentrantToken")).deploy()) as unknown as ReentrantToken;
    const t = await token.getAddress();
    await p.market.connect(await timelockSigner(p)).setAcceptedToken(t, true);
    const { modelId, keys } = await publish(p, creator);
    await p.registry.connect(creator).setPrice(modelId, t, price, 0, true);
    return { token, t, modelId, keys };
  }

  describe("a malicious ERC-20", () => {
    it("cannot re-enter buy from inside the buy's payment", async () => {
      const { token, t, modelId, keys } = await hostileToken(100n);
      await token.mint(A, 1_000n);
      await token.connect(alice).approve(marketAddr, 1_000n);
      const inner = p.market.interface.encodeFunctionData("buy", [modelId, t, A, "0x", "0x"]);

      // Re-entry swallowed by the token: the outer buy completes, the inner one did not happen.
      await token.arm(marketAddr, inner, false);
      await p.market.connect(alice).buy(modelId, t, A, "0x", "0x");
      expect(await token.reentrySucceeded()).to.equal(false);
      expect(await token.reentryError()).to.equal(reentrancyError);
      expect(await keys.balanceOf(A)).to.equal(1n);
      expect(await p.market.keysSold()).to.equal(1);
      expect(await p.market.vaultOf(modelId, t)).to.equal(100n);

      // Re-entry error bubbled by the token: the whole purchase reverts.
      await token.arm(marketAddr, inner, true);
      await expect(p.market.connect(alice).buy(modelId, t, A, "0x", "0x")).to.be.revertedWithCustomError(
        p.market,
        "ReentrancyGuardReentrantCall",
      );
      expect(await keys.balanceOf(A)).to.equal(1n);
    });

    it("cannot re-enter claim (or buy) from inside a claim's payout", async () => {
      const { token, t, modelId } = await hostileToken(1_000n);
      await token.mint(A, 1_000n);
      await token.connect(alice).approve(marketAddr, 1_000n);
      await p.market.connect(alice).buy(modelId, t, A, "0x", "0x");
      await p.market.settle(modelId, t);
      const C = await creator.getAddress();
      const owed = await p.market.creditOf(C, t);

      await token.arm(marketAddr, p.market.interface.encodeFunctionData("claim", [t, C]), true);
      await expect(p.market.connect(creator).claim(t, C)).to.be.revertedWithCustomError(p.market, "ReentrancyGuardReentrantCall");
      await token.arm(marketAddr, p.market.interface.encodeFunctionData("claimProtocolFees", [t]), false);
      await p.market.connect(creator).claim(t, C);
      expect(await token.reentryError()).to.equal(reentrancyError);
      expect(await token.balanceOf(C)).to.equal(owed);
      expect(await p.market.protocolFeesOf(t)).to.equal(25n); // the nested fee claim did not run
      await expect(p.market.connect(creator).claim(t, C))
        .to.be.revertedWithCustomError(p.market, "NothingToClaim")
        .withArgs(C, t);
    });
  });

  describe("a malicious native-coin payee", () => {
    async function receiverModel() {
      const r = (await (await ethers.getContractFactory("ReentrantReceiver")).deploy()) as unknown as ReentrantReceiver;
      const ra = await r.getAddress();
      const params = {
        contentCommitment: ethers.id("receiver-model"),
        sdlLocator: "cid",
        metadataUri: "uri",
        forkRoyaltyBps: 0,
        daoBps: 0,
        forkable: true,
        secondaryRoyaltyBps: 0,
        plugins: [],
      };
      await r.exec(await p.registry.getAddress(), p.registry.interface.encodeFunctionData("publish", [params]));
      const modelId = keyIdOf(1n);
      await r.exec(
        await p.registry.getAddress(),
        p.registry.interface.encodeFunctionData("setPrice", [modelId, NATIVE, ONE, 0, true]),
      );
      return { r, ra, modelId };
    }

    it("cannot claim twice by re-entering claim from receive()", async () => {
      const { r, ra, modelId } = await receiverModel();
      await buyNative(p, alice, modelId, ONE);
      await buyNative(p, bob, modelId, ONE);
      await p.market.settle(modelId, NATIVE);
      const owed = await p.market.creditOf(ra, NATIVE);
      const claim = p.market.interface.encodeFunctionData("claim", [NATIVE, ra]);

      // Bubbling the guard's error makes the payout fail: nothing moves, the credit stays.
      await r.arm(marketAddr, claim, true);
      await expect(r.exec(marketAddr, claim)).to.be.revertedWithCustomError(p.market, "NativeTransferFailed").withArgs(ra, owed);
      expect(await p.market.creditOf(ra, NATIVE)).to.equal(owed);

      // Swallowing it: exactly one payout.
      await r.arm(marketAddr, claim, false);
      await r.exec(marketAddr, claim);
      expect(await r.attempted()).to.equal(true);
      expect(await r.reentrySucceeded()).to.equal(false);
      expect(await r.reentryError()).to.equal(reentrancyError);
      expect(await ethers.provider.getBalance(ra)).to.equal(owed);
      expect(await p.market.creditOf(ra, NATIVE)).to.equal(0n);
      expect(await ethers.provider.getBalance(marketAddr)).to.equal(await p.market.protocolFeesOf(NATIVE));
    });

    it("cannot re-enter buy from receive() during a claim", async () => {
      const { r, ra, modelId } = await receiverModel();
      await buyNative(p, alice, modelId, ONE);
      await p.market.settle(modelId, NATIVE);
      await r.arm(marketAddr, p.market.interface.encodeFunctionData("buy", [modelId, NATIVE, ra, "0x", "0x"]), false);
      await r.exec(marketAddr, p.market.interface.encodeFunctionData("claim", [NATIVE, ra]));
      expect(await r.reentryError()).to.equal(reentrancyError);
      expect(await p.market.keysSold()).to.equal(1);
    });

    it("re-entering the unguarded settle() during a claim only moves money between ledger buckets", async () => {
      const { r, ra, modelId } = await receiverModel();
      await buyNative(p, alice, modelId, ONE);
      await p.market.settle(modelId, NATIVE);
      await buyNative(p, bob, modelId, ONE); // a fresh vault for the re-entrant settle
      await r.arm(marketAddr, p.market.interface.encodeFunctionData("settle", [modelId, NATIVE]), false);
      const first = await p.market.creditOf(ra, NATIVE);
      await r.exec(marketAddr, p.market.interface.encodeFunctionData("claim", [NATIVE, ra]));
      expect(await r.reentrySucceeded()).to.equal(true);
      expect(await ethers.provider.getBalance(ra)).to.equal(first);
      // The second sale is now credited (not paid) and the books still balance exactly.
      const credit = await p.market.creditOf(ra, NATIVE);
      expect(credit).to.equal(first);
      expect(await p.market.vaultOf(modelId, NATIVE)).to.equal(0n);
      expect(await ethers.provider.getBalance(marketAddr)).to.equal(credit + (await p.market.protocolFeesOf(NATIVE)));
    });
  });

  describe("a hostile plugin", () => {
    it("cannot re-enter buy from onMint: the purchase fails as PluginRejected(plugin, ReentrancyGuardReentrantCall)", async () => {
      const plugin = (await (await ethers.getContractFactory("ReentrantPlugin")).deploy()) as unknown as ReentrantPlugin;
      const pa = await plugin.getAddress();
      const { modelId, keys } = await publish(p, creator, { plugins: [{ plugin: pa, config: "0x" }] });
      await setNativePrice(p, creator, modelId, 0n);
      await plugin.arm(marketAddr, p.market.interface.encodeFunctionData("buy", [modelId, NATIVE, pa, "0x", "0x"]));
      await expect(p.market.connect(alice).buy(modelId, NATIVE, A, "0x", "0x"))
        .to.be.revertedWithCustomError(keys, "PluginRejected")
        .withArgs(pa, reentrancyError);
      await plugin.arm(marketAddr, p.market.interface.encodeFunctionData("claim", [NATIVE, pa]));
      await expect(p.market.connect(alice).buy(modelId, NATIVE, A, "0x", "0x"))
        .to.be.revertedWithCustomError(keys, "PluginRejected")
        .withArgs(pa, reentrancyError);
      expect(await p.market.keysSold()).to.equal(0);
    });
  });

  describe("initializers and direct calls", () => {
    it("implementations behind the proxies and the beacon cannot be initialized by anyone", async () => {
      const { upgrades } = await import("hardhat");
      const regImpl = await ethers.getContractAt(
        "HexsRegistry",
        await upgrades.erc1967.getImplementationAddress(await p.registry.getAddress()),
      );
      const mktImpl = await ethers.getContractAt("HexsMarket", await upgrades.erc1967.getImplementationAddress(marketAddr));
      const keyImpl = await ethers.getContractAt("KeyNFT", await p.beacon.implementation());
      await expect(regImpl.initialize(9, A, A)).to.be.revertedWithCustomError(regImpl, "InvalidInitialization");
      await expect(mktImpl.initialize(A, A, A, A, 0)).to.be.revertedWithCustomError(mktImpl, "InvalidInitialization");
      await expect(keyImpl.initialize(1, 0, [])).to.be.revertedWithCustomError(keyImpl, "InvalidInitialization");
      await expect(p.market.initialize(A, A, A, A, 0)).to.be.revertedWithCustomError(p.market, "InvalidInitialization");
    });
  });
});
