// The resale tasks (tasks/resale.ts over sdk/actions/resale.ts), run through hre.run against the
// in-process network after the real deploy scripts: chain state after each task, and the errors.
import { expect } from "chai";
import hre, { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { Signer } from "ethers";
import {
  buyNative,
  deployProtocol,
  deployTestToken,
  NATIVE,
  publish,
  setNativePrice,
  timelockSigner,
  type Protocol,
} from "../../devnet/hardhat/protocol";
import { setQuiet } from "../../tasks/lib/log";
import type { Fill } from "../../tasks/resale";
import type { KeyNFT } from "../../sdk/typechain";

type Args = Record<string, string | boolean | undefined>;
const ONE = ethers.parseEther("1");
const royaltyOf = (price: bigint) => (price * 500n) / 10_000n;

async function run<T>(name: string, args: Args): Promise<T> {
  return (await hre.run(name, args)) as T;
}

async function refuses(name: string, args: Args, pattern: RegExp): Promise<void> {
  try {
    await hre.run(name, args);
  } catch (e) {
    expect((e as Error).message).to.match(pattern);
    return;
  }
  throw new Error(`${name} should have failed with ${pattern}`);
}

describe("resale tasks", () => {
  let p: Protocol;
  let creator: Signer, alice: Signer, bob: Signer;
  let A: string, B: string;
  let modelId: bigint, keyId: bigint, keys: KeyNFT;
  // Account indexes as --from takes them.
  const ALICE = "4",
    BOB = "5",
    CAROL = "7";

  before(() => setQuiet(true));
  after(() => setQuiet(false));

  beforeEach(async () => {
    p = await deployProtocol();
    [, , creator, , alice, bob] = p.signers;
    [A, B] = [await alice.getAddress(), await bob.getAddress()];
    ({ modelId, keys } = await publish(p, creator));
    await setNativePrice(p, creator, modelId, ONE);
    keyId = await buyNative(p, alice, modelId, ONE);
  });

  it("resale:list approves and lists, resale:buy fills it, resale:claim pays the seller", async () => {
    const price = 2n * ONE;
    await run("resale:list", {
      model: String(modelId),
      key: String(keyId),
      price: String(price),
      leaseEscrow: "to-seller",
      from: ALICE,
    });
    expect(await keys.getApproved(keyId)).to.equal(await p.resale.getAddress());
    const l = await p.resale.listingOf(keyId);
    expect([l.seller, l.price, l.leaseEscrow]).to.deep.equal([A, price, 1n]);

    const fill = await run<Fill>("resale:buy", { key: String(keyId), from: BOB });
    expect(fill).to.include({ keyId, modelId, seller: A, buyer: B, price, royalty: royaltyOf(price), offerId: 0n });
    expect(fill.leaseEscrow).to.equal("to-seller");
    expect(await keys.ownerOf(keyId)).to.equal(B);
    expect(await p.market.vaultOf(modelId, NATIVE)).to.equal(ONE + royaltyOf(price));

    const before = await ethers.provider.getBalance(B);
    await run("resale:claim", { to: B, from: ALICE });
    expect(await ethers.provider.getBalance(B)).to.equal(before + price - royaltyOf(price));
    await refuses("resale:claim", { from: ALICE }, /nothing to claim/);
  });

  it("resale:offer escrows, resale:accept fills, resale:cancel withdraws an offer or a listing", async () => {
    await run("resale:offer", { model: String(modelId), key: String(keyId), amount: String(ONE), from: BOB });
    await run("resale:offer", { model: String(modelId), key: String(keyId), amount: "5", from: CAROL });
    const second = await p.resale.offerOf(2n);
    expect(second.amount).to.equal(5n);
    await run("resale:cancel", { offer: "2", from: CAROL });
    expect((await p.resale.offerOf(2n)).buyer).to.equal(ethers.ZeroAddress);
    expect(await p.resale.creditOf(await p.signers[7].getAddress(), NATIVE)).to.equal(5n);

    await run("resale:list", { model: String(modelId), key: String(keyId), price: "7", from: ALICE });
    await run("resale:cancel", { key: String(keyId), from: ALICE });
    expect((await p.resale.listingOf(keyId)).seller).to.equal(ethers.ZeroAddress);

    const fill = await run<Fill>("resale:accept", { offer: "1", from: ALICE });
    expect(fill).to.include({ keyId, seller: A, buyer: B, price: ONE, offerId: 1n });
    expect(await keys.ownerOf(keyId)).to.equal(B);
    expect(await p.resale.creditOf(A, NATIVE)).to.equal(ONE - royaltyOf(ONE));
  });

  it("refuses bad input with what to do, and a stale listing before sending", async () => {
    await refuses("resale:list", { model: String(modelId), key: String(keyId), price: "0", from: ALICE }, /price above 0/);
    await refuses(
      "resale:list",
      { model: String(modelId), key: String(keyId), price: "1", leaseEscrow: "keep", from: ALICE },
      /bad --lease-escrow 'keep'/,
    );
    await refuses("resale:list", { model: String(modelId), key: String(keyId), price: "1", from: BOB }, /is held by/);
    await refuses("resale:cancel", { from: ALICE }, /exactly one of --key/);
    await refuses("resale:buy", { key: String(keyId), from: BOB }, /is not listed/);
    await refuses("resale:accept", { offer: "9", from: ALICE }, /no open offer 9/);

    await run("resale:list", { model: String(modelId), key: String(keyId), price: "10", from: ALICE });
    await keys.connect(alice).transferFrom(A, await p.signers[7].getAddress(), keyId);
    await refuses("resale:buy", { key: String(keyId), from: BOB }, /is stale/);
    expect(await keys.ownerOf(keyId)).to.equal(await p.signers[7].getAddress());
  });

  it("resale:remote-price prices a listing for a peer chain, resale:buy-remote escrows an order, resale:order shows it; bad input is refused before sending", async () => {
    const PEER = 9;
    const key = String(keyId);
    await refuses("resale:remote-price", { key, chain: String(PEER), price: "5", from: ALICE }, /is not listed/);
    await run("resale:list", { model: String(modelId), key, price: "10", from: ALICE });
    await refuses("resale:remote-price", { key, chain: String(PEER), price: "5", from: BOB }, /is listed by/);
    await refuses("resale:remote-price", { key, chain: String(PEER), price: "5", from: ALICE }, /not a resale peer/);
    const order = { listingChain: String(PEER), model: String(modelId), key, seller: A, price: "5", from: BOB };
    await refuses("resale:buy-remote", order, /not a resale peer/);
    await refuses("resale:buy-remote", { ...order, price: "0" }, /price above 0/);
    await refuses("resale:order", { order: "1:1" }, /no order/);

    // Governance marks chain 9 as a resale peer: the seller prices the key for buyers there.
    await p.resale.connect(await timelockSigner(p)).setResalePeer(PEER, true);
    await run("resale:remote-price", { key, chain: String(PEER), price: "5", from: ALICE });
    expect((await p.resale.remotePriceOf(keyId, PEER)).price).to.equal(5n);
    // A buyer orders it: the payment is escrowed here until chain 9 answers, and resale:order shows it.
    const placed = await run<{ orderId: bigint }>("resale:buy-remote", order);
    expect(await ethers.provider.getBalance(await p.resale.getAddress())).to.equal(5n);
    const shown = await run<{ state: string; buyer: string; price: bigint }>("resale:order", { order: String(placed.orderId) });
    expect([shown.state, shown.buyer, shown.price]).to.deep.equal(["pending", B, 5n]);
  });

  it("resale:buy-remote --deadline and resale:withdraw-order: an order a peer never answers is withdrawn after deadline + 3 days; bad input is refused before sending", async () => {
    // A key of this model listed on chain 9, a resale peer whose lane never delivers: no answer comes.
    const PEER = 9;
    const key = `${PEER}:1`;
    await p.resale.connect(await timelockSigner(p)).setResalePeer(PEER, true);
    const order = { listingChain: String(PEER), model: String(modelId), key, seller: A, price: "5", from: BOB };
    const now = await time.latest();
    await refuses("resale:buy-remote", { ...order, deadline: String(now) }, /bad --deadline/);
    await refuses("resale:buy-remote", { ...order, deadline: String(now + 31 * 86400) }, /bad --deadline/);
    await refuses("resale:buy-remote", { ...order, deadline: "soon" }, /bad --deadline 'soon'/);
    expect(await p.resale.ordersPlaced()).to.equal(0);
    const deadline = now + 600;
    const placed = await run<{ orderId: bigint }>("resale:buy-remote", { ...order, deadline: String(deadline) });
    const shown = await run<{ deadline: number; withdrawableAt: number }>("resale:order", { order: String(placed.orderId) });
    expect([shown.deadline, shown.withdrawableAt]).to.deep.equal([deadline, deadline + 3 * 86400]);
    const withdraw = { order: String(placed.orderId), from: BOB };
    await refuses("resale:withdraw-order", withdraw, /can be withdrawn after/);
    await time.increaseTo(deadline + 3 * 86400 + 1);
    await refuses("resale:withdraw-order", { ...withdraw, from: ALICE }, /was placed by/);
    const w = await run<{ refunded: bigint }>("resale:withdraw-order", withdraw);
    expect(w.refunded).to.equal(5n);
    expect((await run<{ state: string }>("resale:order", { order: String(placed.orderId) })).state).to.equal("settled");
    await refuses("resale:withdraw-order", withdraw, /already settled/);
    await run("resale:claim", { from: BOB });
    expect(await p.resale.creditOf(B, NATIVE)).to.equal(0n);
    expect(await ethers.provider.getBalance(await p.resale.getAddress())).to.equal(0n);
  });

  it("devnet:mint-tusd mints the test ERC-20 in whole tokens and says whether the market accepts it; bad input is refused", async () => {
    const token = await deployTestToken(p); // accepted by the market through the timelock
    const tokenAddr = await token.getAddress();
    const r = await run<{ to: string; amount: bigint; accepted: boolean }>("devnet:mint-tusd", {
      token: tokenAddr,
      to: B,
      amount: "25",
    });
    expect(r.amount).to.equal(25n * 10n ** 18n);
    expect(r.accepted).to.equal(true);
    expect(await token.balanceOf(B)).to.equal(25n * 10n ** 18n);
    // Default receiver: the --from account; default amount: 1000 tokens.
    await run("devnet:mint-tusd", { token: tokenAddr, from: ALICE });
    expect(await token.balanceOf(A)).to.equal(1000n * 10n ** 18n);
    await refuses("devnet:mint-tusd", { token: tokenAddr, amount: "0" }, /bad --amount '0'/);
    await refuses("devnet:mint-tusd", { token: tokenAddr, to: "bob" }, /bad --to 'bob': not an address/);
    await refuses("devnet:mint-tusd", { token: B }, /no contract there/);
    await refuses("devnet:mint-tusd", { token: await p.market.getAddress() }, /not an open-mint test ERC-20 \(TestToken\)/);
  });
});
