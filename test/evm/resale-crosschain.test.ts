// Cross-chain resale: a key listed on EVM chain A bought with payment on EVM chain B (or C).
// Three logical Hexs chains on one Hardhat network, joined pairwise by the LayerZero bridge over
// EndpointV2Mock (as in crosschain.test.ts). The mock runs the receive inside the send and
// swallows receive failures, so every test asserts state on the receiving chain.
import { expect } from "chai";
import hre, { deployments, ethers, upgrades } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { hexlify, zeroPadValue, type Signer } from "ethers";
import { deployHexs, type HexsAddresses } from "../../tasks/lib/deployHexs";
import { flushLane } from "../../sdk/bridge";
import { AccountFamily, encodeMessage, Kind, type Message } from "../../codec";
import { toSolAccount } from "../../sdk";
import { remoteOrderOf, withdrawExpiredOrder } from "../../sdk/actions/resale";
import type { HexsContracts } from "../../sdk/contracts";
import { PAYOUT_BINDING_TYPES, payoutDomain, payoutTypedValue, type PayoutBinding } from "../../sdk/payout-binding";
import type { EndpointV2Mock, HexsHub, HexsLzBridge, KeyNFT } from "../../sdk/typechain";
import {
  buyNative,
  forgetDeployments,
  loadProtocol,
  NATIVE,
  publish,
  setNativePrice,
  type Protocol,
} from "../../devnet/hardhat/protocol";

const A = 1;
const B = 2;
const C = 3;
const EIDS: Record<number, number> = { [A]: 40101, [B]: 40102, [C]: 40103 };
const ONE = ethers.parseEther("1");
const PRICE_A = 2n * ONE; // the local listing price on A
const PRICE_B = 3n * ONE; // what alice asks of buyers paying on B
const PRICE_C = 4n * ONE; // ... and on C
const TO_SELLER = 1;
const HOUR = 3600;
const MARGIN = 3 * 24 * HOUR; // HexsResale.ORDER_WITHDRAW_MARGIN
/** An order deadline `secs` after the latest block (all three chains share one clock here). */
const soon = async (secs = HOUR) => (await time.latest()) + secs;

interface Chain {
  id: number;
  p: Protocol;
  hub: HexsHub;
  bridge: HexsLzBridge;
  addresses: HexsAddresses;
}

const threeChains = deployments.createFixture(async () => {
  const eps: Record<number, EndpointV2Mock> = {};
  for (const id of [A, B, C])
    eps[id] = (await (await ethers.getContractFactory("EndpointV2Mock")).deploy(EIDS[id])) as unknown as EndpointV2Mock;
  const common = { timelockDelay: 3600, protocolFeeBps: 250, relayers: [ethers.ZeroAddress], skipHandover: true };
  const chains: Record<number, Chain> = {};
  for (const id of [A, B, C]) {
    const prefix = `R${id}.`;
    await forgetDeployments(prefix);
    const addresses = await deployHexs(hre, {
      ...common,
      relayers: [(await ethers.getSigners())[0].address],
      threshold: 1,
      devnet: true,
      prefix,
      hexsChainId: id,
      lzEndpoint: await eps[id].getAddress(),
    });
    chains[id] = {
      id,
      p: await loadProtocol(prefix),
      hub: (await ethers.getContractAt("HexsHub", addresses.hub)) as unknown as HexsHub,
      bridge: (await ethers.getContractAt("HexsLzBridge", addresses.lzBridge)) as unknown as HexsLzBridge,
      addresses,
    };
  }
  // Every pair joined over LayerZero, both ways; each HexsResale answers the others' orders.
  for (const x of [A, B, C]) {
    for (const y of [A, B, C]) {
      if (x === y) continue;
      const cx = chains[x];
      const cy = chains[y];
      await eps[x].setDestLzEndpoint(cy.addresses.lzBridge, await eps[y].getAddress());
      await cx.bridge.mapChain(y, EIDS[y]);
      await cx.bridge.setPeer(EIDS[y], zeroPadValue(cy.addresses.lzBridge, 32));
      await cx.hub.setPeer(y, cx.addresses.lzBridge, 0, AccountFamily.Evm);
      await cx.p.resale.setResalePeer(y, true);
    }
  }
  return { a: chains[A], b: chains[B], c: chains[C] };
});

const flush = async (from: Chain, to: Chain) => {
  const tx = await flushLane(from.hub, from.bridge, to.id);
  await tx?.wait();
};

const keysOn = async (chain: Chain, modelId: bigint) =>
  (await ethers.getContractAt("KeyNFT", await chain.p.registry.keysOf(modelId))) as unknown as KeyNFT;

describe("HexsResale across chains (buy on B, listed on A)", () => {
  let a: Chain, b: Chain, c: Chain;
  let creator: Signer, alice: Signer, bob: Signer, carol: Signer, dave: Signer;
  let ALICE: string, BOB: string, CAROL: string, DAVE: string;

  beforeEach(async () => {
    ({ a, b, c } = await threeChains());
    [, , creator, alice, bob, carol, dave] = await ethers.getSigners();
    [ALICE, BOB, CAROL, DAVE] = await Promise.all([alice, bob, carol, dave].map((s) => s.getAddress()));
  });

  /**
   * A model published on A whose key alice bought and listed there (PRICE_A locally, PRICE_B for
   * buyers paying on B, PRICE_C on C); the model and alice's key are mirrored on B and C.
   */
  async function listedOnA() {
    const { modelId, keys } = await publish(a.p, creator);
    await setNativePrice(a.p, creator, modelId, ONE);
    const keyId = await buyNative(a.p, alice, modelId, ONE);
    await keys.connect(alice).approve(await a.p.resale.getAddress(), keyId);
    await a.p.resale.connect(alice).list(modelId, keyId, NATIVE, PRICE_A, TO_SELLER);
    await a.p.resale.connect(alice).setRemotePrice(keyId, B, NATIVE, PRICE_B);
    await a.p.resale.connect(alice).setRemotePrice(keyId, C, NATIVE, PRICE_C);
    await flush(a, b);
    await flush(a, c);
    return { modelId, keys, keyId };
  }

  /** `buyer` orders the key on `chain` at that chain's remote price; returns the order id. */
  async function order(chain: Chain, buyer: Signer, modelId: bigint, keyId: bigint, price: bigint, deadline?: number) {
    const r = chain.p.resale.connect(buyer);
    const until = deadline ?? (await soon());
    const orderId = await r.buyRemote.staticCall(A, modelId, keyId, ALICE, NATIVE, price, until, { value: price });
    await (await r.buyRemote(A, modelId, keyId, ALICE, NATIVE, price, until, { value: price })).wait();
    return orderId;
  }

  it("fills a listing on A for a buyer paying on B: the key moves to B, then B pays the seller and the model's vault", async () => {
    const { modelId, keys, keyId } = await listedOnA();
    const resaleB = b.p.resale;
    const until = await soon();
    const placed = resaleB.connect(bob).buyRemote(A, modelId, keyId, ALICE, NATIVE, PRICE_B, until, { value: PRICE_B });
    await expect(placed).to.changeEtherBalances([bob, resaleB], [-PRICE_B, PRICE_B]);
    const orderId = (BigInt(B) << 32n) | 1n;
    await expect(placed).to.emit(resaleB, "RemoteOrderPlaced").withArgs(orderId, keyId, BOB, A, ALICE, NATIVE, PRICE_B, until);
    expect((await resaleB.orderOf(orderId)).buyer).to.equal(BOB);

    // A applies the order: the key leaves A for bob on B, the listing is gone.
    await flush(b, a);
    await expect(keys.ownerOf(keyId)).to.be.revertedWithCustomError(keys, "ERC721NonexistentToken");
    expect((await a.p.resale.listingOf(keyId)).seller).to.equal(ethers.ZeroAddress);
    expect((await a.p.resale.remotePriceOf(keyId, B)).price).to.equal(0n);
    // Nothing is paid on B before A's answer arrives: the escrow is still held.
    expect(await resaleB.creditOf(ALICE, NATIVE)).to.equal(0n);
    expect((await resaleB.orderOf(orderId)).buyer).to.equal(BOB);

    // A's KeyMoved then its ResaleResult reach B: the key is bob's there, then alice is paid.
    // The royalty is A's policy (the listing's collection), paid into the model's vault on B.
    const keysB = await keysOn(b, modelId);
    const [, royalty] = await keys.royaltyInfo(keyId, PRICE_B);
    expect(royalty).to.be.gt(0n);
    const vaultBefore = await b.p.market.vaultOf(modelId, NATIVE);
    await flush(a, b);
    expect(await keysB.ownerOf(keyId)).to.equal(BOB);
    expect(await keysB.hasAccess(BOB)).to.equal(true);
    expect(await resaleB.creditOf(ALICE, NATIVE)).to.equal(PRICE_B - royalty);
    expect(await b.p.market.vaultOf(modelId, NATIVE)).to.equal(vaultBefore + royalty);
    expect((await resaleB.orderOf(orderId)).buyer).to.equal(ethers.ZeroAddress);
    await expect(resaleB.connect(alice).claim(NATIVE, ALICE)).to.changeEtherBalances(
      [alice, resaleB],
      [PRICE_B - royalty, -(PRICE_B - royalty)],
    );
    // Bob paid the remote price once, and has nothing to claim back.
    expect(await resaleB.creditOf(BOB, NATIVE)).to.equal(0n);
  });

  it("pays a seller who bound a payout address on B at that address, not the seller's account", async () => {
    // The creator resells a key of their own model, and has bound a payout address for B there.
    const { modelId, keys } = await publish(a.p, creator);
    const CREATOR = await creator.getAddress();
    await setNativePrice(a.p, creator, modelId, ONE);
    const keyId = await buyNative(a.p, creator, modelId, ONE);
    await keys.connect(creator).approve(await a.p.resale.getAddress(), keyId);
    await a.p.resale.connect(creator).list(modelId, keyId, NATIVE, PRICE_A, TO_SELLER);
    await a.p.resale.connect(creator).setRemotePrice(keyId, B, NATIVE, PRICE_B);
    await flush(a, b);
    const binding: PayoutBinding = {
      creator: { family: AccountFamily.Evm, address: CREATOR.toLowerCase() },
      chain: B,
      payout: { family: AccountFamily.Evm, address: DAVE.toLowerCase() },
      nonce: 1n,
    };
    const bindingsB = await ethers.getContractAt("PayoutBindings", b.addresses.payoutBindings);
    const domain = payoutDomain((await ethers.provider.getNetwork()).chainId, b.addresses.payoutBindings);
    const sig = await creator.signTypedData(domain, PAYOUT_BINDING_TYPES, payoutTypedValue(binding));
    await bindingsB.bindPayout(CREATOR, modelId, B, toSolAccount(binding.payout), 1n, sig);
    expect(await b.p.registry.payoutOf(CREATOR)).to.equal(DAVE);

    const r = b.p.resale.connect(bob);
    await (await r.buyRemote(A, modelId, keyId, CREATOR, NATIVE, PRICE_B, await soon(), { value: PRICE_B })).wait();
    await flush(b, a);
    await flush(a, b);
    const [, royalty] = await keys.royaltyInfo(keyId, PRICE_B);
    expect(await (await keysOn(b, modelId)).ownerOf(keyId)).to.equal(BOB);
    expect(await b.p.resale.creditOf(DAVE, NATIVE)).to.equal(PRICE_B - royalty);
    expect(await b.p.resale.creditOf(CREATOR, NATIVE)).to.equal(0n);
  });

  it("two buyers on two chains: the order A applies first fills, the other is refunded in full", async () => {
    const { modelId, keys, keyId } = await listedOnA();
    const bobOrder = await order(b, bob, modelId, keyId, PRICE_B);
    const carolOrder = await order(c, carol, modelId, keyId, PRICE_C);

    // C's lane is delivered first: carol's order fills, bob's then finds the listing gone.
    await flush(c, a);
    await expect(flush(b, a)).to.not.be.reverted;
    await expect(keys.ownerOf(keyId)).to.be.revertedWithCustomError(keys, "ERC721NonexistentToken");

    await flush(a, c);
    await flush(a, b);
    expect(await (await keysOn(c, modelId)).ownerOf(keyId)).to.equal(CAROL);
    await expect((await keysOn(b, modelId)).ownerOf(keyId)).to.be.reverted;
    const [, royaltyC] = await keys.royaltyInfo(keyId, PRICE_C);
    expect(await c.p.resale.creditOf(ALICE, NATIVE)).to.equal(PRICE_C - royaltyC);
    expect((await c.p.resale.orderOf(carolOrder)).buyer).to.equal(ethers.ZeroAddress);

    // Bob is refunded in full on B, and alice is paid nothing there.
    expect((await b.p.resale.orderOf(bobOrder)).buyer).to.equal(ethers.ZeroAddress);
    expect(await b.p.resale.creditOf(BOB, NATIVE)).to.equal(PRICE_B);
    expect(await b.p.resale.creditOf(ALICE, NATIVE)).to.equal(0n);
    await expect(b.p.resale.connect(bob).claim(NATIVE, BOB)).to.changeEtherBalance(bob, PRICE_B);
  });

  it("a local buy on A while a remote order is in flight: the local buyer gets the key, the remote buyer is refunded", async () => {
    const { modelId, keys, keyId } = await listedOnA();
    const bobOrder = await order(b, bob, modelId, keyId, PRICE_B);
    await a.p.resale.connect(dave).buy(keyId, NATIVE, PRICE_A, { value: PRICE_A });
    expect(await keys.ownerOf(keyId)).to.equal(DAVE);

    await flush(b, a);
    expect(await keys.ownerOf(keyId)).to.equal(DAVE); // the order moved nothing
    await flush(a, b);
    await expect((await keysOn(b, modelId)).ownerOf(keyId)).to.be.reverted;
    expect((await b.p.resale.orderOf(bobOrder)).buyer).to.equal(ethers.ZeroAddress);
    expect(await b.p.resale.creditOf(BOB, NATIVE)).to.equal(PRICE_B);
    expect(await b.p.resale.creditOf(ALICE, NATIVE)).to.equal(0n);
  });

  it("the seller cancels while a remote order is in flight: the buyer is refunded, the key stays on A", async () => {
    const { modelId, keys, keyId } = await listedOnA();
    const bobOrder = await order(b, bob, modelId, keyId, PRICE_B);
    await a.p.resale.connect(alice).cancelListing(keyId);

    await flush(b, a);
    expect(await keys.ownerOf(keyId)).to.equal(ALICE);
    await flush(a, b);
    expect((await b.p.resale.orderOf(bobOrder)).buyer).to.equal(ethers.ZeroAddress);
    expect(await b.p.resale.creditOf(BOB, NATIVE)).to.equal(PRICE_B);
    expect(await b.p.resale.creditOf(ALICE, NATIVE)).to.equal(0n);
    // A later listing by alice names a new local price; the old remote price is hers again
    // only for her own listing, and a re-listed key can be ordered again.
    expect(await keys.ownerOf(keyId)).to.equal(ALICE);
  });

  it("refuses an order whose price is not the seller's price for the buyer's chain: refunded in full", async () => {
    const { modelId, keys, keyId } = await listedOnA();
    // Bob pays the local price (not what alice asks of B): A refuses, the key stays listed.
    const bobOrder = await order(b, bob, modelId, keyId, PRICE_A);
    await flush(b, a);
    expect(await keys.ownerOf(keyId)).to.equal(ALICE);
    expect((await a.p.resale.listingOf(keyId)).seller).to.equal(ALICE);
    await flush(a, b);
    expect(await b.p.resale.creditOf(BOB, NATIVE)).to.equal(PRICE_A);
    expect((await b.p.resale.orderOf(bobOrder)).buyer).to.equal(ethers.ZeroAddress);
  });

  it("refuses forged and replayed results: only the hub applies them, once, from the order's listing chain", async () => {
    const { modelId, keyId } = await listedOnA();
    const orderId = await order(b, bob, modelId, keyId, PRICE_B);
    const result = (src: number, nonce: bigint, filled: boolean) =>
      hexlify(
        encodeMessage({
          version: 1,
          kind: Kind.ResaleResult,
          srcChain: src,
          dstChain: B,
          nonce,
          body: { orderId, keyId, filled, leaseEscrow: 0, royalty: 0n },
        } as Message),
      );
    // Whoever delivers B's lanes (its LayerZero bridge) can only hand messages to the hub.
    const bridge = await ethers.getImpersonatedSigner(b.addresses.lzBridge);
    await ethers.provider.send("hardhat_setBalance", [b.addresses.lzBridge, "0xDE0B6B3A7640000"]);
    const deliver = async (src: number, filled: boolean) =>
      b.hub.connect(bridge).deliver(src, [result(src, (await b.hub.lane(src)).inbound + 1n, filled)]);
    const rejectedWith = async (tx: Promise<unknown>, error: string) => {
      const receipt = await (await (tx as Promise<{ wait(): Promise<unknown> }>)).wait();
      const logs = (receipt as { logs: { topics: string[]; data: string }[] }).logs
        .map((l) => {
          try {
            return b.hub.interface.parseLog(l);
          } catch {
            return null;
          }
        })
        .filter((e) => e?.name === "MessageRejected");
      expect(logs.length).to.equal(1);
      expect(b.p.resale.interface.parseError(logs[0]!.args.reason)!.name).to.equal(error);
    };

    // Not through the hub: refused outright.
    await expect(b.p.resale.connect(bob).applyMessage(A, result(A, 1n, false))).to.be.revertedWithCustomError(
      b.p.resale,
      "NotHub",
    );
    // From a chain that is not the order's listing chain (C), delivered on C's lane: refused.
    await rejectedWith(deliver(C, false), "WrongListingChain");
    // A "filled" from A before the key arrived: refused, so the seller is never paid for a key in
    // limbo. (Taken back afterwards: a forged delivery takes lane A's next nonce from A's flushes.)
    const snapshot = await ethers.provider.send("evm_snapshot", []);
    await rejectedWith(deliver(A, true), "KeyNotArrived");
    expect((await b.p.resale.orderOf(orderId)).buyer).to.equal(BOB);
    expect(await b.p.resale.creditOf(ALICE, NATIVE)).to.equal(0n);
    await ethers.provider.send("evm_revert", [snapshot]);

    // The real answer from A settles it once; the same result again is refused.
    await flush(b, a);
    await flush(a, b);
    expect(await (await keysOn(b, modelId)).ownerOf(keyId)).to.equal(BOB);
    const paid = await b.p.resale.creditOf(ALICE, NATIVE);
    expect(paid).to.be.gt(0n);
    await rejectedWith(deliver(A, true), "UnknownOrder");
    await rejectedWith(deliver(A, false), "UnknownOrder");
    expect(await b.p.resale.creditOf(ALICE, NATIVE)).to.equal(paid);
    expect(await b.p.resale.creditOf(BOB, NATIVE)).to.equal(0n);
  });

  it("refuses orders toward a chain that is not a resale peer, and remote prices for one", async () => {
    const { modelId, keyId } = await listedOnA();
    await b.p.resale.setResalePeer(A, false);
    const until = await soon();
    await expect(b.p.resale.connect(bob).buyRemote(A, modelId, keyId, ALICE, NATIVE, PRICE_B, until, { value: PRICE_B }))
      .to.be.revertedWithCustomError(b.p.resale, "NotResalePeer")
      .withArgs(A);
    await expect(a.p.resale.connect(alice).setRemotePrice(keyId, 7, NATIVE, PRICE_B))
      .to.be.revertedWithCustomError(a.p.resale, "NotResalePeer")
      .withArgs(7);
    await expect(a.p.resale.connect(bob).setRemotePrice(keyId, B, NATIVE, PRICE_B))
      .to.be.revertedWithCustomError(a.p.resale, "NotSeller")
      .withArgs(keyId, BOB);
    await expect(b.p.resale.connect(bob).setResalePeer(C, false)).to.be.revertedWithCustomError(
      b.p.resale,
      "AccessControlUnauthorizedAccount",
    );
  });
  describe("order deadlines (a listing chain that never answers)", () => {
    /** B's hub as its LayerZero bridge would call it: deliver `message` as lane `src`'s next one. */
    async function deliverOnB(src: number, body: Message["body"], kind = Kind.ResaleResult) {
      const bridge = await ethers.getImpersonatedSigner(b.addresses.lzBridge);
      await ethers.provider.send("hardhat_setBalance", [b.addresses.lzBridge, "0xDE0B6B3A7640000"]);
      const nonce = (await b.hub.lane(src)).inbound + 1n;
      const msg = hexlify(encodeMessage({ version: 1, kind, srcChain: src, dstChain: B, nonce, body } as Message));
      return (await b.hub.connect(bridge).deliver(src, [msg])).wait();
    }
    /** The custom error B's hub recorded for the refused messages of `receipt`. */
    const rejections = (receipt: Awaited<ReturnType<typeof deliverOnB>>) =>
      receipt!.logs
        .map((l) => {
          try {
            return b.hub.interface.parseLog(l);
          } catch {
            return null;
          }
        })
        .filter((e) => e?.name === "MessageRejected")
        .map((e) => b.p.resale.interface.parseError(e!.args.reason)!.name);
    /** The SDK on B, as the buyer's client sees it. */
    const sdkOnB = () =>
      ({
        resale: b.p.resale,
        registry: b.p.registry,
        provider: ethers.provider,
        chain: { name: "B", hexsChainId: B },
        errorInterfaces: [b.p.resale.interface],
      }) as unknown as HexsContracts;

    it("buyRemote refuses a deadline that has passed or is more than 30 days away", async () => {
      const { modelId, keyId } = await listedOnA();
      const r = b.p.resale.connect(bob);
      const now = await time.latest();
      // (Hardhat stamps the next block by the wall clock, a few seconds past the latest: hence an hour.)
      for (const bad of [now, now + 30 * 24 * HOUR + HOUR]) {
        await expect(r.buyRemote(A, modelId, keyId, ALICE, NATIVE, PRICE_B, bad, { value: PRICE_B }))
          .to.be.revertedWithCustomError(b.p.resale, "BadDeadline")
          .withArgs(bad);
      }
      expect(await b.p.resale.ordersPlaced()).to.equal(0);
    });

    it("A refuses an order it applies after the deadline (refused: expired): the key stays listed on A, B refunds", async () => {
      const { modelId, keys, keyId } = await listedOnA();
      const deadline = await soon(60);
      const orderId = await order(b, bob, modelId, keyId, PRICE_B, deadline);
      await time.increaseTo(deadline + 1); // the lane was slow: the order reaches A one second late
      await expect(flushLane(b.hub, b.bridge, A))
        .to.emit(a.p.resale, "RemoteOrderApplied")
        .withArgs(orderId, keyId, B, false);
      expect(await keys.ownerOf(keyId)).to.equal(ALICE);
      expect((await a.p.resale.listingOf(keyId)).seller).to.equal(ALICE);
      expect((await a.p.resale.remotePriceOf(keyId, B)).price).to.equal(PRICE_B);
      await flush(a, b);
      expect((await b.p.resale.orderOf(orderId)).buyer).to.equal(ethers.ZeroAddress);
      expect(await b.p.resale.creditOf(BOB, NATIVE)).to.equal(PRICE_B);
      expect(await b.p.resale.creditOf(ALICE, NATIVE)).to.equal(0n);
      await expect((await keysOn(b, modelId)).ownerOf(keyId)).to.be.reverted;
    });

    it("A fills an order applied at its deadline exactly", async () => {
      const { modelId, keys, keyId } = await listedOnA();
      const deadline = await soon(60);
      const orderId = await order(b, bob, modelId, keyId, PRICE_B, deadline);
      await time.setNextBlockTimestamp(deadline);
      await expect(flushLane(b.hub, b.bridge, A))
        .to.emit(a.p.resale, "RemoteOrderApplied")
        .withArgs(orderId, keyId, B, true);
      await expect(keys.ownerOf(keyId)).to.be.revertedWithCustomError(keys, "ERC721NonexistentToken");
    });

    it("withdrawOrder is refused before deadline + margin, to anyone but the buyer, and for unknown orders", async () => {
      const { modelId, keyId } = await listedOnA();
      const deadline = await soon();
      const orderId = await order(b, bob, modelId, keyId, PRICE_B, deadline);
      const at = deadline + MARGIN;
      expect(await b.p.resale.ORDER_WITHDRAW_MARGIN()).to.equal(MARGIN);
      await expect(b.p.resale.connect(bob).withdrawOrder(orderId))
        .to.be.revertedWithCustomError(b.p.resale, "OrderNotWithdrawable")
        .withArgs(orderId, at);
      // The SDK says when, without sending anything.
      await expect(withdrawExpiredOrder(sdkOnB(), bob, { orderId })).to.be.rejectedWith(/can be withdrawn after/);
      await time.setNextBlockTimestamp(at); // the last second of the margin: still refused
      await expect(b.p.resale.connect(bob).withdrawOrder(orderId))
        .to.be.revertedWithCustomError(b.p.resale, "OrderNotWithdrawable")
        .withArgs(orderId, at);
      await expect(b.p.resale.connect(carol).withdrawOrder(orderId))
        .to.be.revertedWithCustomError(b.p.resale, "NotOrderBuyer")
        .withArgs(orderId, CAROL);
      await expect(b.p.resale.connect(bob).withdrawOrder(orderId + 1n))
        .to.be.revertedWithCustomError(b.p.resale, "UnknownOrder")
        .withArgs(orderId + 1n);
      expect((await b.p.resale.orderOf(orderId)).buyer).to.equal(BOB);
      expect(await b.p.resale.creditOf(BOB, NATIVE)).to.equal(0n);
    });

    it("race, answer first: A's fill reaches B before the withdraw, so the order is filled and the withdraw refused", async () => {
      const { modelId, keyId } = await listedOnA();
      const deadline = await soon();
      const orderId = await order(b, bob, modelId, keyId, PRICE_B, deadline);
      await flush(b, a);
      await flush(a, b);
      const paid = await b.p.resale.creditOf(ALICE, NATIVE);
      expect(paid).to.be.gt(0n);
      expect(await (await keysOn(b, modelId)).ownerOf(keyId)).to.equal(BOB);
      await time.increaseTo(deadline + MARGIN + 1);
      await expect(b.p.resale.connect(bob).withdrawOrder(orderId))
        .to.be.revertedWithCustomError(b.p.resale, "UnknownOrder")
        .withArgs(orderId);
      expect(await b.p.resale.creditOf(BOB, NATIVE)).to.equal(0n);
      expect(await b.p.resale.creditOf(ALICE, NATIVE)).to.equal(paid);
    });

    it("race, withdraw first: B refunds once; the late order is refused on A (the key stays with the seller) and no late answer pays twice", async () => {
      const { modelId, keys, keyId } = await listedOnA();
      const deadline = await soon();
      const orderId = await order(b, bob, modelId, keyId, PRICE_B, deadline);
      // The lane B → A is halted: nothing reaches A. After deadline + margin bob withdraws on B,
      // through the SDK.
      await time.increaseTo(deadline + MARGIN + 1);
      expect((await remoteOrderOf(sdkOnB(), orderId)).withdrawableAt).to.equal(deadline + MARGIN);
      const w = await withdrawExpiredOrder(sdkOnB(), bob, { orderId });
      expect(w.refunded).to.equal(PRICE_B);
      const settled = await b.p.resale.queryFilter(b.p.resale.filters.RemoteOrderSettled(orderId));
      expect(settled.map((e) => [e.args.filled, e.args.payee])).to.deep.equal([[false, BOB]]);
      expect(await b.p.resale.creditOf(BOB, NATIVE)).to.equal(PRICE_B);
      await expect(b.p.resale.connect(bob).withdrawOrder(orderId)).to.be.revertedWithCustomError(b.p.resale, "UnknownOrder");

      // The lane comes back: A applies the order past its deadline and refuses it, so the key
      // never leaves alice on A and her listing stays.
      await expect(flushLane(b.hub, b.bridge, A))
        .to.emit(a.p.resale, "RemoteOrderApplied")
        .withArgs(orderId, keyId, B, false);
      expect(await keys.ownerOf(keyId)).to.equal(ALICE);
      expect((await a.p.resale.listingOf(keyId)).seller).to.equal(ALICE);
      // A's refusal finds no order on B: refused at B's hub, nothing credited a second time.
      await flush(a, b);
      await expect((await keysOn(b, modelId)).ownerOf(keyId)).to.be.reverted;
      // A forged "filled" answer for the withdrawn order pays no one either.
      // (Taken back afterwards: a forged delivery takes lane A's next nonce from A's flushes.)
      const snapshot = await ethers.provider.send("evm_snapshot", []);
      const late = await deliverOnB(A, { orderId, keyId, filled: true, leaseEscrow: 0, royalty: 0n });
      expect(rejections(late)).to.deep.equal(["UnknownOrder"]);
      expect(await b.p.resale.creditOf(BOB, NATIVE)).to.equal(PRICE_B);
      expect(await b.p.resale.creditOf(ALICE, NATIVE)).to.equal(0n);
      await ethers.provider.send("evm_revert", [snapshot]);
      await expect(b.p.resale.connect(bob).claim(NATIVE, BOB)).to.changeEtherBalances([bob, b.p.resale], [PRICE_B, -PRICE_B]);
      // Alice's listing is still live on A: a new order fills it as usual.
      const again = await order(b, dave, modelId, keyId, PRICE_B);
      await flush(b, a);
      await flush(a, b);
      expect(await (await keysOn(b, modelId)).ownerOf(keyId)).to.equal(DAVE);
      expect((await b.p.resale.orderOf(again)).buyer).to.equal(ethers.ZeroAddress);
    });

    it("withdrawOrder is refused while the key is on B: A's answer is behind the KeyMoved on the lane", async () => {
      const { modelId, keys, keyId } = await listedOnA();
      const deadline = await soon();
      const orderId = await order(b, bob, modelId, keyId, PRICE_B, deadline);
      // Alice moves the key to B herself before A sees the order; that KeyMoved reaches B, A's
      // answer to the order (which follows it on the lane) has not yet.
      await keys.connect(alice).moveTo(keyId, B, toSolAccount({ family: AccountFamily.Evm, address: ALICE }));
      await flush(a, b);
      expect(await (await keysOn(b, modelId)).ownerOf(keyId)).to.equal(ALICE);
      await time.increaseTo(deadline + MARGIN + 1);
      await expect(b.p.resale.connect(bob).withdrawOrder(orderId))
        .to.be.revertedWithCustomError(b.p.resale, "KeyArrived")
        .withArgs(keyId);
      // A's refusal settles it: bob is refunded once.
      await flush(b, a);
      await flush(a, b);
      expect((await b.p.resale.orderOf(orderId)).buyer).to.equal(ethers.ZeroAddress);
      expect(await b.p.resale.creditOf(BOB, NATIVE)).to.equal(PRICE_B);
    });

    it("HexsResale with order deadlines is a storage-compatible upgrade of the deployed layout", async () => {
      await upgrades.validateUpgrade(
        await ethers.getContractFactory("HexsResaleLayoutV1"),
        await ethers.getContractFactory("HexsResale"),
        { kind: "uups" },
      );
    });
  });
});
