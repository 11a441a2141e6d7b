// Gas lever A (docs/gas.md): the market keeps its own copy of the sale terms, pushed by the
// registry on every write, and a purchase reads that copy instead of calling the registry. After
// each writer (creator price, signed price order, unlist, retire, a retirement arriving through
// the hub, a model priced before the registry was wired to the market) the copy must equal
// `registry.saleInfo`, and a purchase must charge what `saleInfo` says.
import { expect } from "chai";
import hre, { deployments, ethers } from "hardhat";
import { getBytes, hexlify, type Signer } from "ethers";
import fs from "node:fs";
import path from "node:path";
import { Secp256k1Wallet } from "@cosmjs/amino";
import { deployHexs } from "../../tasks/lib/deployHexs";
import { AccountFamily, encodeMessage, Kind, type Message } from "../../codec";
import { toSolAccount } from "../../sdk";
import { signPriceOrderWith, type PriceOrder } from "../../sdk/payout-binding";
import type { HexsHub, PayoutBindings } from "../../sdk/typechain";
import {
  buyNative,
  deployTestToken,
  forgetDeployments,
  loadProtocol,
  NATIVE,
  publish,
  rootModelRegistered,
  type Protocol,
} from "../../devnet/hardhat/protocol";

const A = 1;
const COSMOS = 100;
const ONE = ethers.parseEther("1");
const vectors = JSON.parse(fs.readFileSync(path.join(__dirname, "../../codec/payout-binding-vectors.json"), "utf8"));
// HexsRegistry's ERC-7201 namespace; `saleSink` is its ninth word (appended after `payouts`).
const REGISTRY_STORAGE = 0xd8efc1c520278555058ad2c0ec2a1b7cd40c77d37897f46eb6fca219307d0100n;
const SALE_SINK_SLOT = ethers.toBeHex(REGISTRY_STORAGE + 8n, 32);

const fixture = deployments.createFixture(async () => {
  await forgetDeployments("sale.");
  const addresses = await deployHexs(hre, {
    prefix: "sale.",
    hexsChainId: A,
    timelockDelay: 3600,
    protocolFeeBps: 250,
    devnet: true,
    skipHandover: true,
  });
  const signers = await ethers.getSigners();
  const [deployer, creator, buyer, stranger, transport] = signers;
  const hub = (await ethers.getContractAt("HexsHub", addresses.hub)) as unknown as HexsHub;
  const bindings = (await ethers.getContractAt("PayoutBindings", addresses.payoutBindings)) as unknown as PayoutBindings;
  // A Cosmos lane served by a plain account, for mirrored models and their updates.
  await hub.setPeer(COSMOS, await transport.getAddress(), 0, AccountFamily.Cosmos);
  await bindings.setRemote(COSMOS, ethers.ZeroAddress, "wasm");
  const p = await loadProtocol("sale.");
  return { p, hub, bindings, deployer, creator, buyer, stranger, transport };
});
type F = Awaited<ReturnType<typeof fixture>>;

/** The market's copy equals the registry's saleInfo (and is a copy, not the fallback). */
async function expectCopied(p: Protocol, modelId: bigint, currency: string) {
  const want = await p.registry.saleInfo(modelId, currency);
  const [got, copied] = await p.market.saleOf(modelId, currency);
  expect(copied, "the market holds a copy").to.equal(true);
  // [0]: `keys` is also the name of a method of ethers' Result
  expect([got[0], got.retired, got.listed, got.keyPrice, got.deploymentPrice]).to.deep.equal([
    want[0],
    want.retired,
    want.listed,
    want.keyPrice,
    want.deploymentPrice,
  ]);
}

/** Buy a key for key price + deployment price; the market's balance grows by exactly that. */
async function buyCharges(p: Protocol, buyer: Signer, modelId: bigint) {
  const sale = await p.registry.saleInfo(modelId, NATIVE);
  const total = sale.keyPrice + sale.deploymentPrice;
  const market = await p.market.getAddress();
  const before = await ethers.provider.getBalance(market);
  await p.market.connect(buyer).buy(modelId, NATIVE, await buyer.getAddress(), "0x01", "0x", { value: total });
  expect(await ethers.provider.getBalance(market)).to.equal(before + total);
  // A payment of anything else is refused: the copy's price is the one charged.
  await expect(p.market.connect(buyer).buy(modelId, NATIVE, await buyer.getAddress(), "0x01", "0x", { value: total + 1n }))
    .to.be.revertedWithCustomError(p.market, "WrongPayment")
    .withArgs(total, total + 1n);
}

/** A test ERC-20 the market accepts (the deployer is still the treasurer: no handover here). */
async function acceptedToken(f: F) {
  const token = await deployTestToken(f.p, false);
  await f.p.market.setAcceptedToken(token, true);
  return token;
}

async function deliver(f: F, nonce: bigint, kind: Kind, body: Message["body"]) {
  const msg = hexlify(encodeMessage({ version: 1, kind, srcChain: COSMOS, dstChain: A, nonce, body } as Message));
  await expect(f.hub.connect(f.transport).deliver(COSMOS, [msg])).to.not.emit(f.hub, "MessageRejected");
}

describe("sale terms copied into the market (gas lever A)", () => {
  it("the registry is wired to the market: setSaleSink is one-time, admin-only and refuses address zero", async () => {
    const f = await fixture();
    expect(await f.p.registryLens.saleSink(f.p.registry)).to.equal(await f.p.market.getAddress());
    await expect(f.p.registry.setSaleSink(f.p.market)).to.be.revertedWithCustomError(f.p.registry, "SaleSinkAlreadySet");
    await expect(f.p.registry.connect(f.stranger).setSaleSink(f.p.market)).to.be.revertedWithCustomError(
      f.p.registry,
      "AccessControlUnauthorizedAccount",
    );
    await ethers.provider.send("hardhat_setStorageAt", [await f.p.registry.getAddress(), SALE_SINK_SLOT, ethers.ZeroHash]);
    await expect(f.p.registry.setSaleSink(ethers.ZeroAddress)).to.be.revertedWithCustomError(f.p.registry, "ZeroAddress");
  });

  it("after a creator's setPrice, an unlist and a retire the copy equals saleInfo and a purchase charges it", async () => {
    const f = await fixture();
    const m = await publish(f.p, f.creator);
    await f.p.registry.connect(f.creator).setPrice(m.modelId, NATIVE, ONE / 10n, ONE / 100n, true);
    await expectCopied(f.p, m.modelId, NATIVE);
    await buyCharges(f.p, f.buyer, m.modelId);
    // a new price is what the next purchase pays
    await f.p.registry.connect(f.creator).setPrice(m.modelId, NATIVE, ONE / 4n, 0, true);
    await expectCopied(f.p, m.modelId, NATIVE);
    await buyCharges(f.p, f.buyer, m.modelId);

    const token = await acceptedToken(f);
    await f.p.registry.connect(f.creator).setPrice(m.modelId, await token.getAddress(), 5, 0, true);
    await expectCopied(f.p, m.modelId, await token.getAddress());
    // unlist: the copy says not listed, and the purchase is refused
    await f.p.registry.connect(f.creator).setPrice(m.modelId, NATIVE, ONE / 4n, 0, false);
    await expectCopied(f.p, m.modelId, NATIVE);
    await expect(buyNative(f.p, f.buyer, m.modelId, ONE / 4n))
      .to.be.revertedWithCustomError(f.p.market, "NotForSale")
      .withArgs(m.modelId, NATIVE);
    // retire: every listed currency's copy says retired
    await f.p.registry.connect(f.creator).retire(m.modelId);
    await expectCopied(f.p, m.modelId, await token.getAddress());
    expect((await f.p.market.saleOf(m.modelId, await token.getAddress()))[0].retired).to.equal(true);
    await expect(f.p.market.connect(f.buyer).buy(m.modelId, await token.getAddress(), await f.buyer.getAddress(), "0x", "0x"))
      .to.be.revertedWithCustomError(f.p.market, "ModelIsRetired")
      .withArgs(m.modelId);
  });

  it("a setSale from anyone but the registry is refused and writes nothing", async () => {
    const f = await fixture();
    const m = await publish(f.p, f.creator);
    await f.p.registry.connect(f.creator).setPrice(m.modelId, NATIVE, ONE, 0, true);
    const keys = await f.p.registry.keysOf(m.modelId);
    for (const caller of [f.stranger, f.creator, f.deployer]) {
      await expect(f.p.market.connect(caller).setSale(m.modelId, keys, false, NATIVE, true, 1, 0))
        .to.be.revertedWithCustomError(f.p.market, "NotRegistry")
        .withArgs(await caller.getAddress());
    }
    await expectCopied(f.p, m.modelId, NATIVE);
    expect((await f.p.market.saleOf(m.modelId, NATIVE))[0].keyPrice).to.equal(ONE);
  });

  it("a signed price order (PayoutBindings) and a retirement arriving through the hub reach the copy", async () => {
    const f = await fixture();
    const modelId = (BigInt(COSMOS) << 32n) | 1n;
    await deliver(f, 1n, Kind.ModelRegistered, rootModelRegistered(modelId, vectors.adr36.creator));
    const o: PriceOrder = {
      creator: vectors.adr36.creator,
      chain: A,
      modelId,
      currency: NATIVE,
      keyPrice: ONE / 100n,
      deploymentPrice: ONE / 1000n,
      listed: true,
      nonce: 1n,
    };
    const wallet = await Secp256k1Wallet.fromKey(getBytes(vectors.keys.cosmosCreator), "wasm");
    await f.bindings
      .connect(f.stranger)
      .setPriceSigned({ ...o, creator: toSolAccount(o.creator) }, await signPriceOrderWith(wallet, o, "wasm"));
    await expectCopied(f.p, modelId, NATIVE);
    await buyCharges(f.p, f.buyer, modelId);

    // The home chain retires it: the update arrives through the hub and the copy follows.
    await deliver(f, 2n, Kind.ModelUpdated, {
      modelId,
      sequence: 1n,
      retired: true,
      contentCommitment: ethers.id("retired-content"),
      sdlLocator: "",
      metadataUri: "",
      prices: [],
    });
    expect((await f.p.registry.saleInfo(modelId, NATIVE)).retired).to.equal(true);
    await expectCopied(f.p, modelId, NATIVE);
    await expect(buyNative(f.p, f.buyer, modelId, ONE / 100n))
      .to.be.revertedWithCustomError(f.p.market, "ModelIsRetired")
      .withArgs(modelId);
  });

  it("a model priced before the registry was wired sells at the registry's price; a reprice copies only its currency", async () => {
    const f = await fixture();
    // The state right after an upgrade: the registry has no sink yet and the market no copy.
    await ethers.provider.send("hardhat_setStorageAt", [await f.p.registry.getAddress(), SALE_SINK_SLOT, ethers.ZeroHash]);
    const m = await publish(f.p, f.creator);
    const token = await acceptedToken(f);
    await f.p.registry.connect(f.creator).setPrice(m.modelId, NATIVE, ONE / 10n, 0, true);
    await f.p.registry.connect(f.creator).setPrice(m.modelId, await token.getAddress(), 7, 0, true);
    await f.p.registry.setSaleSink(f.p.market);
    for (const c of [NATIVE, await token.getAddress()]) expect((await f.p.market.saleOf(m.modelId, c))[1]).to.equal(false);
    await buyCharges(f.p, f.buyer, m.modelId);

    // Repricing the native coin copies it; the token, never pushed, still reads the registry.
    await f.p.registry.connect(f.creator).setPrice(m.modelId, NATIVE, ONE / 5n, 0, true);
    await expectCopied(f.p, m.modelId, NATIVE);
    await buyCharges(f.p, f.buyer, m.modelId);
    const [tokenSale, copied] = await f.p.market.saleOf(m.modelId, await token.getAddress());
    expect([copied, tokenSale.listed, tokenSale.keyPrice]).to.deep.equal([false, true, 7n]);
    await token.mint(await f.buyer.getAddress(), 7);
    await token.connect(f.buyer).approve(f.p.market, 7);
    await f.p.market.connect(f.buyer).buy(m.modelId, await token.getAddress(), await f.buyer.getAddress(), "0x", "0x");
    expect(await f.p.market.vaultOf(m.modelId, await token.getAddress())).to.equal(7n);

    // Retiring pushes every listed currency, so both now hold the retirement.
    await f.p.registry.connect(f.creator).retire(m.modelId);
    for (const c of [NATIVE, await token.getAddress()]) await expectCopied(f.p, m.modelId, c);
    await expect(buyNative(f.p, f.buyer, m.modelId, ONE / 5n)).to.be.revertedWithCustomError(f.p.market, "ModelIsRetired");
  });
});
