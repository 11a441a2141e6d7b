// The SDK's Cosmos resale calls (sdk/cosmwasm-resale.ts) against the contract on a real wasmd chain
// (scripts/wasmd.sh, its own home and ports here): list, cancel, buy, offers with and without an
// expiry, the listings and offers reads, the resale rate set after publishing, and the contract's
// refusals as HexsError subclasses with nothing moved.
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import type { CosmosChain } from "../../sdk/chains";
import { connectCosmos, cosmosBuyKey, cosmosKeyOwner, type CosmosHexs } from "../../sdk/cosmwasm-client";
import {
  cosmosAcceptOffer,
  cosmosBuyListing,
  cosmosCancelListing,
  cosmosCancelOffer,
  cosmosListKey,
  cosmosListing,
  cosmosListings,
  cosmosMakeOffer,
  cosmosOffers,
  cosmosSellerListings,
  cosmosSetResaleBps,
} from "../../sdk/cosmwasm-resale";
import { InvalidParamsError, NotAllowedError, NotFoundError, StateError } from "../../sdk/actions/errors";
import { HexsError } from "../../sdk/errors";
import {
  connect,
  deploy,
  devnetEnv,
  devnetMnemonic,
  eventAttr,
  HEXS_CHAIN,
  instantiateMsg,
  PREFIX,
  publishMsg,
  relayerKeys,
  relayerPubkeys,
  startDevnet,
  stopDevnet,
  type DevnetEnv,
  type User,
} from "../../devnet/wasmd";

const PORT_BASE = Number(process.env.HEXS_COSMOS_RESALE_TEST_PORT ?? 19600);
const PRICE = 1_000_000n;

/** The error `p` rejects with, checked to be a HexsError of class `cls` whose message matches `re`. */
async function refused(p: Promise<unknown>, cls: new (...a: never[]) => HexsError, re: RegExp): Promise<HexsError> {
  try {
    await p;
  } catch (e) {
    expect(e, (e as Error).message).to.be.instanceOf(cls);
    expect((e as Error).message).to.match(re);
    return e as HexsError;
  }
  throw new Error(`expected a ${cls.name} matching ${re}`);
}

describe("Cosmos resale from the SDK on wasmd: listings, offers with expiry, the resale rate, refusals", function () {
  this.timeout(300_000);
  let dir: string;
  let started = false;
  let env: DevnetEnv;
  let admin: User;
  let contract: string;
  let alice: CosmosHexs, bob: CosmosHexs, carol: CosmosHexs;
  let modelId: bigint, keyId: bigint;
  const savedEnv = { ...process.env };

  const sdkAs = async (name: string): Promise<CosmosHexs> => {
    const chain: CosmosChain = {
      family: "cosmos",
      name: "wasmd",
      hexsChainId: HEXS_CHAIN,
      rpcUrl: env.rpc,
      contract,
      bech32Prefix: PREFIX,
      gasPrice: `0.01${env.denom}`,
    };
    return connectCosmos(chain, await DirectSecp256k1HdWallet.fromMnemonic(devnetMnemonic(name), { prefix: PREFIX }));
  };
  const held = async () => BigInt((await admin.client.getBalance(contract, env.denom)).amount);
  const vault = async () =>
    BigInt((await admin.client.queryContractSmart(contract, { vault: { model: modelId.toString() } })) as string);
  const chainTime = async (h: CosmosHexs) => Math.floor(new Date((await h.client.getBlock()).header.time).getTime() / 1000);

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-cosmos-resale-"));
    if (process.env.WASMD_EXTERNAL !== "1")
      Object.assign(process.env, {
        WASMD_HOME: path.join(dir, "wasmd"),
        WASMD_RPC_PORT: String(PORT_BASE),
        WASMD_GRPC_PORT: String(PORT_BASE + 5),
      });
    started = startDevnet();
    env = devnetEnv();
    admin = await connect("validator", env);
    ({ contract } = await deploy(admin, instantiateMsg(admin.address, await relayerPubkeys(relayerKeys()), env.denom)));
    [alice, bob, carol] = await Promise.all(["alice", "bob", "carol"].map(sdkAs));
    // alice publishes without a resale rate; bob buys a key of it.
    const publisher = await connect("alice", env);
    const res = await publisher.client.execute(
      publisher.address,
      contract,
      publishMsg({ sdlUri: "ipfs://sdl", price: PRICE.toString(), deployPrice: "0", forkRoyaltyBps: 0 }),
      "auto",
    );
    modelId = BigInt(eventAttr(res.events, "wasm", "model")!);
    publisher.client.disconnect();
    keyId = (await cosmosBuyKey(bob, modelId)).keyId;
  });

  after(() => {
    for (const h of [alice, bob, carol]) h?.client.disconnect();
    admin?.client.disconnect();
    stopDevnet(started);
    fs.rmSync(dir, { recursive: true, force: true });
    for (const k of ["WASMD_HOME", "WASMD_RPC_PORT", "WASMD_GRPC_PORT"]) {
      if (savedEnv[k] === undefined) delete process.env[k];
      else process.env[k] = savedEnv[k];
    }
  });

  it("the creator sets the resale rate after publishing; until then nothing can be listed", async () => {
    await refused(cosmosListKey(bob, { keyId, price: 5n * PRICE }), StateError, /sets no resale royalty.*update_model/);
    expect(await cosmosListing(bob, keyId)).to.equal(undefined);
    await refused(cosmosSetResaleBps(bob, { modelId, bps: 500 }), NotAllowedError, /only the creator of model/);
    await refused(cosmosSetResaleBps(alice, { modelId, bps: 2501 }), InvalidParamsError, /0 to 2500/);
    await cosmosSetResaleBps(alice, { modelId, bps: 500 });
    const m = (await alice.client.queryContractSmart(contract, { model: { id: modelId.toString() } })) as {
      royalty: { resale_bps?: number };
    };
    expect(m.royalty.resale_bps).to.equal(500);
  });

  it("lists, reads the listing three ways, and a buyer pays it: royalty into the vault, the rest credited to the seller", async () => {
    const price = 5n * PRICE;
    await refused(cosmosListKey(carol, { keyId, price }), NotAllowedError, /owner of key|approved/);
    const r = await cosmosListKey(bob, { keyId, price });
    expect([r.modelId, r.price]).to.deep.equal([modelId, price]);
    const l = await cosmosListing(carol, keyId);
    expect(l).to.deep.include({ keyId, modelId, seller: bob.sender, price, denom: env.denom, fillable: true });
    expect(await cosmosListings(carol, modelId)).to.deep.equal([l]);
    expect(await cosmosSellerListings(carol, bob.sender)).to.deep.equal([l]);
    expect(await cosmosSellerListings(carol, carol.sender)).to.deep.equal([]);
    await refused(cosmosBuyListing(bob, { keyId }), NotAllowedError, /cannot buy its own key/);

    const [before, vaultBefore, carolBefore] = [
      await held(),
      await vault(),
      await carol.client.getBalance(carol.sender, env.denom),
    ];
    const fill = await cosmosBuyListing(carol, { keyId });
    expect(fill).to.deep.include({
      keyId,
      modelId,
      seller: bob.sender,
      buyer: carol.sender,
      price,
      royalty: price / 20n,
      via: "listing",
    });
    expect(await cosmosKeyOwner(carol, keyId)).to.equal(carol.sender);
    expect(await held()).to.equal(before + price, "the royalty (vault) and the seller's credit stay in the contract");
    expect(BigInt((await carol.client.getBalance(carol.sender, env.denom)).amount)).to.equal(
      BigInt(carolBefore.amount) - price - fill.fee,
    );
    expect(await cosmosListing(carol, keyId)).to.equal(undefined);
    expect(await vault()).to.equal(vaultBefore + price / 20n);
  });

  it("refuses what the contract refuses, as HexsErrors, and nothing moves", async () => {
    const before = await held();
    await refused(cosmosBuyListing(bob, { keyId }), NotFoundError, /not listed/);
    await refused(cosmosListKey(bob, { keyId, price: 10n }), NotAllowedError, /owner of key/);
    await refused(cosmosCancelListing(carol, { keyId }), NotFoundError, /key \d+ is not listed/);
    await refused(cosmosListKey(carol, { keyId, price: 0n }), InvalidParamsError, /above 0/);
    await refused(cosmosMakeOffer(carol, { keyId, amount: 10n }), NotAllowedError, /cannot buy its own key or offer/);
    await refused(cosmosCancelOffer(bob, { keyId }), NotFoundError, /has no offer for key/);
    await refused(cosmosAcceptOffer(carol, { keyId, bidder: bob.sender }), NotFoundError, /has no offer for key/);
    const past = (await chainTime(bob)) - 10;
    await refused(cosmosMakeOffer(bob, { keyId, amount: 10n, expiresAt: past }), InvalidParamsError, /later time/);
    expect(await held()).to.equal(before);
    expect(await cosmosOffers(bob, keyId)).to.deep.equal([]);
    expect(await cosmosKeyOwner(bob, keyId)).to.equal(carol.sender);
  });

  it("cancels a listing: it can no longer be bought", async () => {
    await cosmosListKey(carol, { keyId, price: 7n * PRICE });
    await cosmosCancelListing(carol, { keyId });
    expect(await cosmosListings(bob, modelId)).to.deep.equal([]);
    await refused(cosmosBuyListing(bob, { keyId }), NotFoundError, /not listed/);
  });

  it("offers: an expired one cannot be accepted and its bidder takes it back; a live one is accepted", async () => {
    const before = await held();
    const expiresAt = (await chainTime(bob)) + 3;
    await cosmosMakeOffer(bob, { keyId, amount: 2n * PRICE, expiresAt });
    await cosmosMakeOffer(alice, { keyId, amount: 3n * PRICE });
    await refused(cosmosMakeOffer(bob, { keyId, amount: PRICE }), StateError, /already has an offer/);
    expect(await held()).to.equal(before + 5n * PRICE);
    let offers = await cosmosOffers(carol, keyId);
    expect(offers.map((o) => [o.bidder, o.amount, o.expiresAt, o.expired])).to.have.deep.members([
      [bob.sender, 2n * PRICE, expiresAt, false],
      [alice.sender, 3n * PRICE, undefined, false],
    ]);

    // wait for the chain's clock to reach the expiry (blocks are 200 ms apart)
    while ((await chainTime(carol)) < expiresAt) await new Promise((ok) => setTimeout(ok, 300));
    offers = await cosmosOffers(carol, keyId);
    expect(offers.find((o) => o.bidder === bob.sender)?.expired).to.equal(true);
    await refused(
      cosmosAcceptOffer(carol, { keyId, bidder: bob.sender }),
      StateError,
      /expired at \d+.*only cancelled by its bidder/,
    );
    expect(await cosmosKeyOwner(carol, keyId)).to.equal(carol.sender);
    expect(await held()).to.equal(before + 5n * PRICE);

    const bobBefore = BigInt((await bob.client.getBalance(bob.sender, env.denom)).amount);
    const back = await cosmosCancelOffer(bob, { keyId });
    expect(back.refunded).to.equal(2n * PRICE);
    const fee = (BigInt((await bob.client.getTx(back.txHash))!.gasWanted) + 99n) / 100n; // 0.01 per gas, rounded up
    expect(BigInt((await bob.client.getBalance(bob.sender, env.denom)).amount)).to.equal(bobBefore + 2n * PRICE - fee);

    const vaultBefore = await vault();
    const fill = await cosmosAcceptOffer(carol, { keyId, bidder: alice.sender });
    expect(await vault()).to.equal(vaultBefore + (3n * PRICE) / 20n);
    expect(fill).to.deep.include({
      seller: carol.sender,
      buyer: alice.sender,
      price: 3n * PRICE,
      royalty: (3n * PRICE) / 20n,
      via: "offer",
    });
    expect(await cosmosKeyOwner(alice, keyId)).to.equal(alice.sender);
    expect(await cosmosOffers(alice, keyId)).to.deep.equal([]);
    expect(await held()).to.equal(before + 3n * PRICE);
  });
});
