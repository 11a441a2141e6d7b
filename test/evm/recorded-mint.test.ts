// A key sold on a deployment that records facts for other chains journals a KeyMinted that the
// relayer and flushers read (sdk/bridge journalAfter, the hub's Recorded events) and that
// chains into the hub's journal head. KeyNFT.mint reads the key's expiry back only when an
// ON_MINT plugin could have set it (a gas cut): these tests pin the journaled expiry with and
// without such a plugin.
import { expect } from "chai";
import { deployments, ethers } from "hardhat";
import { concat, getBytes, keccak256, toBeHex } from "ethers";
import { journalAfter } from "../../sdk/bridge";
import { AccountFamily, decodeBody, Kind } from "../../codec";
import { Names } from "../../tasks/lib/protocol";
import type { HexsHub, HexsHubLens } from "../../sdk/typechain";
import { buyNative, deployProtocol, NATIVE, publish, type Protocol } from "../../devnet/hardhat/protocol";

const PRICE = ethers.parseEther("0.01");

describe("recorded mint: the KeyMinted fact the relayer reads", () => {
  let p: Protocol;
  let hub: HexsHub;
  let lens: HexsHubLens;

  beforeEach(async () => {
    p = await deployProtocol();
    hub = (await ethers.getContractAt("HexsHub", (await deployments.get(Names.hub)).address)) as unknown as HexsHub;
    lens = (await ethers.getContractAt("HexsHubLens", (await deployments.get(Names.hubLens)).address)) as unknown as HexsHubLens;
  });

  /** Buys a key of `modelId` for `buyer`; returns the key id and the KeyMinted journaled for it. */
  async function buyAndRead(modelId: bigint, buyer: string) {
    const [count] = await lens.journal(await hub.getAddress());
    const signer = await ethers.getSigner(buyer);
    await (await p.market.connect(signer).buy(modelId, NATIVE, buyer, "0x", "0x", { value: PRICE })).wait();
    const entries = await journalAfter(hub, count);
    const minted = entries.filter((e) => e.kind === Kind.KeyMinted);
    expect(minted).to.have.length(1);
    const keyId = (BigInt(await p.registry.chainId()) << 32n) | BigInt(await p.market.keysSold());
    return { keyId, body: decodeBody(Kind.KeyMinted, minted[0].body) };
  }

  /** The hub's head is the hash chain over every Recorded event, in entry order. */
  async function expectJournalMatchesEvents() {
    const entries = await journalAfter(hub, 0n);
    let head = new Uint8Array(24);
    for (const e of entries) {
      const leaf = keccak256(concat([toBeHex(e.kind, 1), e.body]));
      head = getBytes(keccak256(concat([head, leaf]))).slice(0, 24);
    }
    const [count, onChain] = await lens.journal(await hub.getAddress());
    expect(count).to.equal(BigInt(entries.length));
    expect(onChain).to.equal(ethers.hexlify(head));
  }

  it("without an ON_MINT plugin journals expiresAt 0, the buyer and the model", async () => {
    const [, , creator, buyer] = p.signers;
    const { modelId } = await publish(p, creator);
    await (await p.registry.connect(creator).setPrice(modelId, NATIVE, PRICE, 0, true)).wait();
    const to = await buyer.getAddress();
    const { keyId, body } = await buyAndRead(modelId, to);
    expect(body.modelId).to.equal(modelId);
    expect(body.keyId).to.equal(keyId);
    expect(body.owner.family).to.equal(AccountFamily.Evm);
    expect(body.owner.address).to.equal(to.toLowerCase());
    expect(body.expiresAt).to.equal(0n);
    expect(body.locked).to.equal(false);
    await expectJournalMatchesEvents();
  });

  it("with the expiry plugin (ON_MINT) journals the expiry the plugin set at mint", async () => {
    const [, , creator, buyer] = p.signers;
    const duration = 86_400n;
    const { modelId, keys } = await publish(p, creator, {
      content: "expiring",
      plugins: [
        {
          plugin: await p.plugins.expiry.getAddress(),
          config: ethers.AbiCoder.defaultAbiCoder().encode(["uint64"], [duration]),
        },
      ],
    });
    await (await p.registry.connect(creator).setPrice(modelId, NATIVE, PRICE, 0, true)).wait();
    const { keyId, body } = await buyAndRead(modelId, await buyer.getAddress());
    const minedAt = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
    expect(body.keyId).to.equal(keyId);
    expect(body.expiresAt).to.equal(minedAt + duration);
    expect(await keys.expiresAt(keyId)).to.equal(body.expiresAt);
    await expectJournalMatchesEvents();
  });

  it("with an ON_MINT plugin that sets no expiry (supply cap) journals expiresAt 0", async () => {
    const [, , creator, buyer] = p.signers;
    const { modelId } = await publish(p, creator, {
      content: "capped",
      plugins: [
        {
          plugin: await p.plugins.supplyCap.getAddress(),
          config: ethers.AbiCoder.defaultAbiCoder().encode(["uint64"], [10]),
        },
      ],
    });
    await (await p.registry.connect(creator).setPrice(modelId, NATIVE, PRICE, 0, true)).wait();
    const { body } = await buyAndRead(modelId, await buyer.getAddress());
    expect(body.expiresAt).to.equal(0n);
    expect(body.owner.address).to.equal((await buyer.getAddress()).toLowerCase());
    await expectJournalMatchesEvents();
  });

  it("a recorded transfer journals KeyTransferred between the two EVM holders, chained into the head", async () => {
    const [, , creator, b1, b2] = p.signers;
    const { modelId, keys } = await publish(p, creator, { content: "moved" });
    await (await p.registry.connect(creator).setPrice(modelId, NATIVE, PRICE, 0, true)).wait();
    const keyId = await buyNative(p, b1, modelId, PRICE);
    const [before] = await lens.journal(await hub.getAddress());
    const [from, to] = [await b1.getAddress(), await b2.getAddress()];
    await (await keys.connect(b1).transferFrom(from, to, keyId)).wait();
    const entries = await journalAfter(hub, before);
    expect(entries.map((e) => e.kind)).to.deep.equal([Kind.KeyTransferred]);
    const body = decodeBody(Kind.KeyTransferred, entries[0].body);
    expect(body.keyId).to.equal(keyId);
    expect(body.modelId).to.equal(modelId);
    expect(body.from).to.deep.equal({ family: AccountFamily.Evm, address: from.toLowerCase() });
    expect(body.to).to.deep.equal({ family: AccountFamily.Evm, address: to.toLowerCase() });
    await expectJournalMatchesEvents();
  });

  it("the helper buy path (buyNative) journals one KeyMinted per key", async () => {
    const [, , creator, b1, b2] = p.signers;
    const { modelId } = await publish(p, creator, { content: "two" });
    await (await p.registry.connect(creator).setPrice(modelId, NATIVE, PRICE, 0, true)).wait();
    const [before] = await lens.journal(await hub.getAddress());
    const ids = [await buyNative(p, b1, modelId, PRICE), await buyNative(p, b2, modelId, PRICE)];
    const minted = (await journalAfter(hub, before))
      .filter((e) => e.kind === Kind.KeyMinted)
      .map((e) => decodeBody(Kind.KeyMinted, e.body));
    expect(minted.map((m) => m.keyId)).to.deep.equal(ids);
    expect(minted.map((m) => m.expiresAt)).to.deep.equal([0n, 0n]);
    await expectJournalMatchesEvents();
  });
});
