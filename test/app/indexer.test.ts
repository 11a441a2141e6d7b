// The indexer (indexer/, Ponder) over two `hardhat node`s deployed by the devnet's deploy code:
// a root model published on A and mirrored to B, a fork made on B, keys sold on both chains, all
// through the SDK; the catalog, lineage, prices and sales are read back from the indexer's
// GraphQL API once `_meta` says every chain is indexed up to its head.
// Run: npx mocha -r ts-node/register --timeout 600000 test/app/indexer.test.ts
import { expect } from "chai";
import { HDNodeWallet, hexlify, id, parseEther, toUtf8Bytes } from "ethers";
import * as hexs from "../../sdk";
import { AccountFamily, batchRootOfMessages, encodeMessage, globalId, Kind, type Message } from "../../codec";
import { AttestationGateway__factory } from "../../sdk/typechain";
import { COSMOS_CHAIN } from "../../devnet/chains";
import { metadataUri, startStack, type Stack } from "./helpers/stack";

const VERBOSE = process.env.HEXS_APP_VERBOSE === "1";

interface Row {
  id: string;
  homeChain: number;
  creator: string;
  parentId: string;
  upstreamBps: number | null;
  forkRoyaltyBps: number | null;
  contentCommitment: string | null;
  metadataUri: string | null;
  sales: number;
  lineageSales: number;
}

describe("indexer: catalog, lineage, prices and sales of two EVM chains", function () {
  this.timeout(600_000);
  let s: Stack;

  before(async () => {
    s = await startStack(VERBOSE ? (l) => console.log(`    ${l}`) : undefined);
    await s.indexer.caughtUp();
  });

  after(async () => {
    if (s) await s.stop();
  });

  it("lists every model once, with its creator, home chain, parent and content commitment", async () => {
    const { models } = await s.indexer.query<{ models: { items: Row[] } }>(
      `{ models(orderBy: "id", orderDirection: "asc") { items { id homeChain creator parentId upstreamBps forkRoyaltyBps contentCommitment metadataUri sales lineageSales } } }`,
    );
    expect(models.items.map((m) => BigInt(m.id))).to.deep.equal([s.catalog.root, s.catalog.fork]);
    const [root, fork] = models.items;
    expect(root.homeChain).to.equal(1);
    expect(root.creator.toLowerCase()).to.equal(s.catalog.creator.toLowerCase());
    expect(root.parentId).to.equal("0");
    expect(root.forkRoyaltyBps).to.equal(1500);
    expect(root.contentCommitment).to.match(/^0x[0-9a-f]{64}$/);
    expect(decodeURIComponent(root.metadataUri!)).to.contain("Llama Forge 8B");
    // the fork was made on B: its home chain is B, its parent the root, its edge royalty the root's fork royalty
    expect(fork.homeChain).to.equal(2);
    expect(BigInt(fork.parentId)).to.equal(s.catalog.root);
    expect(fork.creator.toLowerCase()).to.equal(s.catalog.forker.toLowerCase());
    expect(fork.upstreamBps).to.equal(1500);
  });

  it("records each model's copy on each chain: home and mirrored", async () => {
    const { modelChains } = await s.indexer.query<{
      modelChains: { items: { modelId: string; hexsChain: number; mirrored: boolean; keysSold: number }[] };
    }>(`{ modelChains(orderBy: "id", orderDirection: "asc") { items { modelId hexsChain mirrored keysSold } } }`);
    const byKey = Object.fromEntries(
      modelChains.items.map((r) => [`${BigInt(r.modelId) === s.catalog.root ? "root" : "fork"}@${r.hexsChain}`, r]),
    );
    expect(Object.keys(byKey).sort()).to.deep.equal(["fork@1", "fork@2", "root@1", "root@2"]);
    expect(byKey["root@1"].mirrored).to.equal(false);
    expect(byKey["root@2"].mirrored).to.equal(true);
    expect(byKey["fork@2"].mirrored).to.equal(false);
    expect(byKey["fork@1"].mirrored).to.equal(true);
    expect(byKey["root@1"].keysSold).to.equal(1);
    expect(byKey["fork@2"].keysSold).to.equal(1);
    expect(byKey["root@2"].keysSold).to.equal(0);
  });

  it("keeps prices per chain and currency", async () => {
    const { prices } = await s.indexer.query<{
      prices: { items: { modelId: string; hexsChain: number; currency: string; keyPrice: string; listed: boolean }[] };
    }>(`{ prices { items { modelId hexsChain currency keyPrice listed } } }`);
    const rootPrices = prices.items.filter((p) => BigInt(p.modelId) === s.catalog.root).sort((x, y) => x.hexsChain - y.hexsChain);
    expect(rootPrices.map((p) => [p.hexsChain, BigInt(p.keyPrice)])).to.deep.equal([
      [1, parseEther("0.01")],
      [2, parseEther("0.02")],
    ]);
    expect(rootPrices.every((p) => p.listed && p.currency === hexs.NATIVE)).to.equal(true);
  });

  it("records key sales per chain and counts a fork's sales toward its ancestor (trending)", async () => {
    const { sales } = await s.indexer.query<{
      sales: { items: { keyId: string; modelId: string; hexsChain: number; keyPrice: string }[] };
    }>(`{ sales(orderBy: "keyId", orderDirection: "asc") { items { keyId modelId hexsChain keyPrice } } }`);
    // two chains' blocks may share a timestamp: order by key id (chain A's ids sort first)
    expect(sales.items.map((x) => [BigInt(x.keyId), BigInt(x.modelId), x.hexsChain])).to.deep.equal([
      [s.catalog.sold.rootOnA, s.catalog.root, 1],
      [s.catalog.sold.forkOnB, s.catalog.fork, 2],
    ]);
    const { root, fork } = await s.indexer.query<{ root: Row; fork: Row }>(
      `{ root: model(id: "${s.catalog.root}") { sales lineageSales } fork: model(id: "${s.catalog.fork}") { sales lineageSales } }`,
    );
    expect([root.sales, root.lineageSales]).to.deep.equal([1, 2]);
    expect([fork.sales, fork.lineageSales]).to.deep.equal([1, 1]);
  });

  it("follows new sales as they happen", async () => {
    const B = hexs.evmChain(hexs.findChain(s.registry, 2));
    const buyer = await s.nodes.b.signer(6);
    const k = await hexs.buy(hexs.connectContracts(B, buyer), buyer, { modelId: s.catalog.fork, currency: hexs.NATIVE });
    await s.indexer.caughtUp();
    const { sales } = await s.indexer.query<{ sales: { items: { keyId: string }[] } }>(
      `{ sales(where: { txHash: "${k.txHash}" }) { items { keyId } } }`,
    );
    expect(sales.items.map((x) => BigInt(x.keyId))).to.deep.equal([k.keyId]);
    const { root } = await s.indexer.query<{ root: Row }>(`{ root: model(id: "${s.catalog.root}") { lineageSales } }`);
    expect(root.lineageSales).to.equal(3);
  });

  it("tracks who holds each key on each chain: mint, transfer, move away and arrival, soul-bound and expiry", async () => {
    interface Holding {
      keyId: string;
      hexsChain: number;
      owner: string;
      held: boolean;
      locked: boolean;
      expiresAt: string;
      arrived: boolean;
    }
    const holdings = async (keyId: bigint) =>
      (
        await s.indexer.query<{ keyHoldings: { items: Holding[] } }>(
          `{ keyHoldings(where: { keyId: "${keyId}" }, orderBy: "hexsChain") { items { keyId hexsChain owner held locked expiresAt arrived } } }`,
        )
      ).keyHoldings.items;
    const A = hexs.evmChain(hexs.findChain(s.registry, 1));
    const B = hexs.evmChain(hexs.findChain(s.registry, 2));
    const buyer = await s.nodes.b.signer(7);
    const other = await (await s.nodes.b.signer(8)).getAddress();
    const me = (await buyer.getAddress()).toLowerCase();
    // a plain key of the fork (home B): bought, transferred, moved to A
    const onB = hexs.connectContracts(B, buyer);
    const k = await hexs.buy(onB, buyer, { modelId: s.catalog.fork, currency: hexs.NATIVE });
    await s.indexer.caughtUp();
    expect(await holdings(k.keyId)).to.deep.equal([
      { keyId: String(k.keyId), hexsChain: 2, owner: me, held: true, locked: false, expiresAt: "0", arrived: false },
    ]);
    const keys = (await hexs.keysOf(onB, s.catalog.fork)).connect(buyer);
    await (await keys.transferFrom(me, other, k.keyId)).wait();
    await s.indexer.caughtUp();
    expect((await holdings(k.keyId))[0].owner).to.equal(other.toLowerCase());
    const k2 = await hexs.buy(onB, buyer, { modelId: s.catalog.fork, currency: hexs.NATIVE });
    await hexs.moveKey(onB, buyer, { modelId: s.catalog.fork, keyId: k2.keyId, toChain: 1 });
    await s.indexer.caughtUp();
    expect((await holdings(k2.keyId)).map((h) => [h.hexsChain, h.held])).to.deep.equal([[2, false]]);
    await s.relay();
    await s.indexer.caughtUp();
    expect((await holdings(k2.keyId)).map((h) => [h.hexsChain, h.owner, h.held, h.arrived])).to.deep.equal([
      [1, me, true, true],
      [2, me, false, false],
    ]);
    // a soul-bound subscription model on A: its key is locked and expires an hour after purchase
    const creator = await s.nodes.a.signer(2);
    const onA = hexs.connectContracts(A, creator);
    const sub = await hexs.publish(onA, creator, {
      contentCommitment: id("subscription sdl"),
      metadataUri: metadataUri("Soul-bound subscription", "Keys that expire and stay with their buyer."),
      plugins: { soulbound: true, expirySeconds: 3600n },
    });
    await hexs.setPrice(onA, creator, { modelId: sub.modelId, currency: hexs.NATIVE, keyPrice: parseEther("0.001") });
    const buyerA = await s.nodes.a.signer(7);
    const k3 = await hexs.buy(hexs.connectContracts(A, buyerA), buyerA, { modelId: sub.modelId, currency: hexs.NATIVE });
    await s.indexer.caughtUp();
    const [h3] = await holdings(k3.keyId);
    expect([h3.locked, BigInt(h3.expiresAt)]).to.deep.equal([true, k3.expiresAt]);
    expect(k3.expiresAt > 0n).to.equal(true);
  });

  it("counts a sale on the Cosmos chain once, from the PurchaseSettled its relayers deliver to both hubs", async () => {
    // What the relayers do for a purchase on the CosmWasm chain: its KeyMinted and PurchaseSettled,
    // signed by the gateway's relayer set (here the deployer, the dev mnemonic's first account) and
    // submitted to each EVM hub's attestation gateway on the lane from the Cosmos chain.
    const relayer = HDNodeWallet.fromPhrase(
      "test test test test test test test test test test test junk",
      undefined,
      "m/44'/60'/0'/0/0",
    );
    const purchaseId = globalId(COSMOS_CHAIN, 1);
    const keyId = globalId(COSMOS_CHAIN, 1);
    const buyer = { family: AccountFamily.Cosmos, address: hexlify(id("cosmos buyer")).slice(0, 42) };
    const counts = async () => {
      const { fork, root, onCosmos } = await s.indexer.query<{
        fork: Row;
        root: Row;
        onCosmos: { items: { keysSold: number; mirrored: boolean }[] };
      }>(
        `{ fork: model(id: "${s.catalog.fork}") { sales lineageSales } root: model(id: "${s.catalog.root}") { sales lineageSales }
           onCosmos: modelChains(where: { modelId: "${s.catalog.fork}", hexsChain: ${COSMOS_CHAIN} }) { items { keysSold mirrored } } }`,
      );
      return {
        fork: fork.sales,
        forkLineage: fork.lineageSales,
        root: root.sales,
        rootLineage: root.lineageSales,
        onCosmos: onCosmos.items,
      };
    };
    const before = await counts();
    expect(before.onCosmos).to.deep.equal([]);
    for (const [node, dst] of [
      [s.nodes.a, 1],
      [s.nodes.b, 2],
    ] as const) {
      const first = (await node.hub.lane(COSMOS_CHAIN)).inbound + 1n;
      const hdr = { version: 1, srcChain: COSMOS_CHAIN, dstChain: dst };
      const messages = [
        {
          ...hdr,
          nonce: first,
          kind: Kind.KeyMinted,
          body: { modelId: s.catalog.fork, keyId, owner: buyer, expiresAt: 0n, locked: false },
        },
        {
          ...hdr,
          nonce: first + 1n,
          kind: Kind.PurchaseSettled,
          body: {
            purchaseId,
            modelId: s.catalog.fork,
            keyId,
            buyer,
            currency: hexlify(toUtf8Bytes("ustake")),
            amount: 7_000_000n,
            deploymentRequested: false,
            deploymentParams: "0x",
          },
        },
      ].map((m) => hexlify(encodeMessage(m as Message)));
      const { root } = batchRootOfMessages(messages);
      const gateway = AttestationGateway__factory.connect(node.addresses.AttestationGateway, await node.signer(1));
      await (await gateway.submitBatch(messages, [relayer.signingKey.sign(root).serialized])).wait();
    }
    await s.indexer.caughtUp();
    const after = await counts();
    // one sale, though both hubs received it: the fork's own count, its ancestor's trending count
    expect([after.fork, after.forkLineage, after.root, after.rootLineage]).to.deep.equal([
      before.fork + 1,
      before.forkLineage + 1,
      before.root,
      before.rootLineage + 1,
    ]);
    // keys sold per chain: one on the Cosmos chain, where the fork (home B) is a mirror
    expect(after.onCosmos).to.deep.equal([{ keysSold: 1, mirrored: true }]);
    const { sales } = await s.indexer.query<{
      sales: { items: { keyId: string; hexsChain: number; keyPrice: string; source: string; reportedBy: number }[] };
    }>(`{ sales(where: { source: "mirrored" }) { items { keyId hexsChain keyPrice source reportedBy } } }`);
    expect(sales.items.map((x) => [BigInt(x.keyId), x.hexsChain, BigInt(x.keyPrice)])).to.deep.equal([
      [keyId, COSMOS_CHAIN, 7_000_000n],
    ]);
    expect([1, 2]).to.include(sales.items[0].reportedBy);
  });

  it("follows a reorg: a sale in blocks the chain replaced disappears from sales, counts and holdings", async () => {
    const B = hexs.evmChain(hexs.findChain(s.registry, 2));
    const node = s.nodes.b.node.provider;
    const counts = async () => {
      const { fork, root, chains } = await s.indexer.query<{
        fork: Row;
        root: Row;
        chains: { items: { keysSold: number }[] };
      }>(
        `{ fork: model(id: "${s.catalog.fork}") { sales lineageSales } root: model(id: "${s.catalog.root}") { lineageSales }
           chains: modelChains(where: { modelId: "${s.catalog.fork}", hexsChain: 2 }) { items { keysSold } } }`,
      );
      return {
        sales: fork.sales,
        forkLineage: fork.lineageSales,
        rootLineage: root.lineageSales,
        soldOnB: chains.items[0].keysSold,
      };
    };
    const sale = async (txHash: string) =>
      (
        await s.indexer.query<{ sales: { items: { keyId: string }[] } }>(
          `{ sales(where: { txHash: "${txHash}" }) { items { keyId } } }`,
        )
      ).sales.items;
    const before = await counts();
    const snapshot = await node.send("evm_snapshot", []);
    const headBefore = await node.getBlockNumber();
    const buyer = await s.nodes.b.signer(8);
    const k = await hexs.buy(hexs.connectContracts(B, buyer), buyer, { modelId: s.catalog.fork, currency: hexs.NATIVE });
    await s.indexer.caughtUp();
    expect((await sale(k.txHash)).map((x) => BigInt(x.keyId))).to.deep.equal([k.keyId]);
    expect(await counts()).to.deep.equal({
      sales: before.sales + 1,
      forkLineage: before.forkLineage + 1,
      rootLineage: before.rootLineage + 1,
      soldOnB: before.soldOnB + 1,
    });
    // The purchase's block is replaced by a longer chain without it: same heights, new hashes.
    expect(await node.send("evm_revert", [snapshot])).to.equal(true);
    await node.send("hardhat_mine", ["0x3"]);
    expect(await node.getBlockNumber()).to.equal(headBefore + 3);
    await s.indexer.caughtUp();
    expect(await sale(k.txHash)).to.deep.equal([]);
    expect(await counts()).to.deep.equal(before);
    const { keyHoldings } = await s.indexer.query<{ keyHoldings: { items: unknown[] } }>(
      `{ keyHoldings(where: { keyId: "${k.keyId}", hexsChain: 2 }) { items { owner } } }`,
    );
    expect(keyHoldings.items).to.deep.equal([]);
  });

  it("indexes escrowed offers (made, cancelled, accepted) and serves them at /market/offers; /market/keys lists offerable keys", async () => {
    const A = hexs.evmChain(hexs.findChain(s.registry, 1));
    const holder = await s.nodes.a.signer(4); // bought catalog.sold.rootOnA on A
    const bidder = await s.nodes.a.signer(6);
    const keyId = s.catalog.sold.rootOnA;
    const onA = (x: typeof holder) => hexs.connectContracts(A, x);
    const amount = parseEther("0.03");
    const p = { modelId: s.catalog.root, keyId, currency: hexs.NATIVE };
    const first = await hexs.makeOffer(onA(bidder), bidder, { ...p, amount: amount - 1n, validFor: 3600 });
    const second = await hexs.makeOffer(onA(bidder), bidder, { ...p, amount, validFor: 3600 });
    await s.indexer.caughtUp();
    type OfferRow = {
      offerId: string;
      keyId: string;
      hexsChain: number;
      buyer: string;
      amount: string;
      state: string;
      expired: boolean;
    };
    const offers = async (q: string) => {
      const r = await fetch(`${s.indexer.url}/market/offers?${q}`);
      expect(r.status).to.equal(200);
      return ((await r.json()) as { offers: OfferRow[] }).offers;
    };
    const open = await offers(`key=${keyId}&chain=1`);
    expect(open.map((o) => [BigInt(o.offerId), o.buyer, BigInt(o.amount), o.state, o.expired])).to.have.deep.members([
      [first.offerId, (await bidder.getAddress()).toLowerCase(), amount - 1n, "open", false],
      [second.offerId, (await bidder.getAddress()).toLowerCase(), amount, "open", false],
    ]);
    await hexs.cancelOffer(onA(bidder), bidder, { offerId: first.offerId });
    const fill = await hexs.acceptOffer(onA(holder), holder, { offerId: second.offerId });
    expect(fill.buyer).to.equal(await bidder.getAddress());
    await s.indexer.caughtUp();
    expect(await offers(`key=${keyId}&chain=1`)).to.deep.equal([]);
    const all = await offers(`buyer=${(await bidder.getAddress()).toLowerCase()}&state=all`);
    expect(Object.fromEntries(all.map((o) => [o.offerId, o.state]))).to.deep.equal({
      [String(first.offerId)]: "cancelled",
      [String(second.offerId)]: "accepted",
    });
    // the key is the bidder's now, and still offerable (not soul-bound)
    const keys = (await (await fetch(`${s.indexer.url}/market/keys?model=${s.catalog.root}`)).json()) as {
      keys: { keyId: string; hexsChain: number; owner: string }[];
    };
    expect(keys.keys.find((k) => BigInt(k.keyId) === keyId)).to.deep.include({
      hexsChain: 1,
      owner: (await bidder.getAddress()).toLowerCase(),
    });
    for (const [q, msg] of [
      ["model=abc", "bad model id 'abc'"],
      ["key=1x", "bad key id '1x'"],
      ["chain=one", "bad chain 'one'"],
      ["buyer=0x12", "bad buyer '0x12'"],
      ["state=gone", "bad state 'gone'"],
    ]) {
      const r = await fetch(`${s.indexer.url}/market/offers?${q}`);
      expect(r.status, q).to.equal(400);
      expect(((await r.json()) as { error: string }).error).to.contain(msg);
    }
    expect((await fetch(`${s.indexer.url}/market/keys`)).status).to.equal(400);
  });
});
