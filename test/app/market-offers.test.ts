// Offers and buying from another chain in a real browser (Debian's headless Chromium through
// playwright-core), end to end on two `hardhat node`s with the indexer and the LayerZero lanes
// relayed by the test (what the devnet's relayers do):
// - a bidder makes escrowed offers on the model page (native, and an ERC-20 with its approval),
//   withdraws one; the holder sees the other on the key's card in My keys and accepts it: the key
//   moves to the bidder, the holder is credited the price less the royalty and claims it;
// - a key listed on chain A, priced by its seller for buyers paying on B, is bought from the model
//   page with "Buy with payment on Devnet B": escrowed on B, the page reloaded mid-flight picks the
//   order up again, and once the lanes are relayed it is filled (the key arrives on B, the seller
//   is paid on B); an order whose listing the seller cancels while it is in flight is refunded.
// Screenshots go to app/test-results/ (gitignored).
// Run: npx hardhat test test/app/market-offers.test.ts   (scripts/app-test.sh installs what it needs)
import { expect } from "chai";
import { JsonRpcSigner, NonceManager, parseEther, toBeHex, Wallet, ZeroAddress } from "ethers";
import * as hexs from "../../sdk";
import { TestToken__factory } from "../../sdk/typechain";
import { startStack, type Stack } from "./helpers/stack";
import {
  accessibilityViolations,
  injectWallet,
  launch,
  serveApp,
  TestWallet,
  type Browser,
  type Page,
  screenshot,
  failedShot,
} from "./helpers/browser";

const VERBOSE = process.env.HEXS_APP_VERBOSE === "1";

describe("web app in headless Chromium: offers (make, withdraw, accept) and buying a key listed on another chain", function () {
  this.timeout(600_000);
  let s: Stack;
  let browser: Browser;
  let site: { url: string; close: () => Promise<void> };
  let chains: hexs.EvmChain[];
  let seller: TestWallet;
  let buyer: TestWallet;
  let sellerPage: Page;
  let buyerPage: Page;
  let token: string;
  const pageErrors: string[] = [];
  let offeredKey: bigint; // held by the seller on A: the bidder's offers are for it
  let remoteKey: bigint; // listed on A, priced for buyers paying on B
  let goneKey: bigint; // listed on A and priced for B, cancelled while an order is in flight
  const remotePrice = parseEther("0.06");

  const funded = async () => {
    const key = Wallet.createRandom();
    const w = new TestWallet(new Wallet(key.privateKey), chains, chains[0].evmChainId!);
    for (const c of chains) await w.provider(c.evmChainId).send("hardhat_setBalance", [key.address, toBeHex(parseEther("10"))]);
    return w;
  };
  const openPage = async (w: TestWallet) => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.on("pageerror", (e) => pageErrors.push(e.message));
    if (VERBOSE) page.on("console", (m) => console.log(`    [page] ${m.text()}`));
    await injectWallet(page, () => w);
    return page;
  };
  const onA = (w: TestWallet) => {
    const signer = new NonceManager(w.wallet.connect(w.provider(chains[0].evmChainId)));
    return { c: hexs.connectContracts(chains[0], signer), signer };
  };
  const readA = () => hexs.connectContracts(chains[0], s.nodes.a.node.provider);
  const readB = () => hexs.connectContracts(chains[1], s.nodes.b.node.provider);
  const sent = (w: TestWallet) => w.requests.filter((r) => r === "eth_sendTransaction").length;

  before(async () => {
    s = await startStack(VERBOSE ? (l) => console.log(`    ${l}`) : undefined);
    chains = s.registry.chains.map((c) => hexs.evmChain(c));
    site = await serveApp(s.nodes.dir, { indexerUrl: s.indexer.url, chains: s.registry.chains });
    seller = await funded();
    buyer = await funded();
    const a = onA(seller);
    const buyRoot = async () => (await hexs.buy(a.c, a.signer, { modelId: s.catalog.root, currency: hexs.NATIVE })).keyId;
    offeredKey = await buyRoot();
    remoteKey = await buyRoot();
    goneKey = await buyRoot();
    // An ERC-20 the market on A accepts (governance = the timelock, impersonated on the node), the
    // bidder holding some, and the root model priced in it on A (so the offer form offers it).
    const providerA = s.nodes.a.node.provider;
    const t = await new TestToken__factory(await s.nodes.a.signer(0)).deploy();
    await t.waitForDeployment();
    token = (await t.getAddress()).toLowerCase();
    const timelock = chains[0].contracts.HexsTimelock!;
    await providerA.send("hardhat_impersonateAccount", [timelock]);
    await providerA.send("hardhat_setBalance", [timelock, toBeHex(parseEther("10"))]);
    await (await s.nodes.a.market.connect(new JsonRpcSigner(providerA, timelock)).setAcceptedToken(token, true)).wait();
    await (await t.mint(buyer.address, parseEther("100"))).wait();
    const creator = await s.nodes.a.signer(2);
    await hexs.setPrice(hexs.connectContracts(chains[0], creator), creator, {
      modelId: s.catalog.root,
      currency: token,
      keyPrice: parseEther("4"),
    });
    // two listings on A; one priced for buyers paying on B here, the other in the creator studio (a test below)
    for (const keyId of [remoteKey, goneKey])
      await hexs.listKey(a.c, a.signer, { modelId: s.catalog.root, keyId, currency: hexs.NATIVE, price: parseEther("0.05") });
    await hexs.setRemotePrice(a.c, a.signer, { keyId: goneKey, chain: 2, currency: hexs.NATIVE, price: remotePrice });
    await s.indexer.caughtUp();
    browser = await launch();
    sellerPage = await openPage(seller);
    buyerPage = await openPage(buyer);
  });

  afterEach(async function () {
    if (this.currentTest?.state === "failed")
      for (const [who, p] of [
        ["seller", sellerPage],
        ["buyer", buyerPage],
      ] as const)
        if (p) await screenshot(p, failedShot(`failed-offers-${who}-`, this.currentTest.title, 30));
  });

  after(async () => {
    if (browser) await browser.close();
    if (site) await site.close();
    if (s) await s.stop();
  });

  const offers = (page: Page) => page.getByTestId("offers");
  const makeOffer = async (keyId: bigint, currency: string, amount: string, days: string) => {
    const form = offers(buyerPage).getByRole("form", { name: "make an offer" });
    await form.getByLabel("Key").selectOption(`1:${keyId}`);
    await form.getByLabel("Pay in").selectOption(currency);
    await form.getByLabel("Amount").fill(amount);
    await form.getByLabel("Valid for (days)").fill(days);
    await form.getByRole("button", { name: "Make offer" }).click();
  };
  const openOffers = async () => await readA().resale!.offersMade();

  it("the model page's Offers refuses an amount that is not a number, before anything is signed", async () => {
    await buyerPage.goto(`${site.url}#/model/${s.catalog.root}`);
    await offers(buyerPage).getByRole("form", { name: "make an offer" }).waitFor({ timeout: 30_000 });
    const before = sent(buyer);
    await makeOffer(offeredKey, hexs.NATIVE, "lots", "2");
    const alert = offers(buyerPage).getByTestId("offer-error");
    await alert.waitFor();
    expect(await alert.innerText()).to.contain("“lots” is not an amount of ETH");
    await makeOffer(offeredKey, hexs.NATIVE, "0.04", "0");
    expect(await alert.innerText()).to.contain("“0” is not a number of days");
    expect(sent(buyer)).to.equal(before);
  });

  it("the model page reads its listings, offers and offerable keys in one indexer request per 2 s tick", async () => {
    const asked: string[] = [];
    let counting = false;
    buyerPage.on("request", (r) => {
      if (counting && new URL(r.url()).pathname.startsWith("/market/")) asked.push(new URL(r.url()).pathname);
    });
    counting = true;
    await new Promise((r) => setTimeout(r, 5_000));
    counting = false;
    // Keys for sale and Offers share one poll (three requests per tick before: listings, keys, own offers)
    expect(asked.length, asked.join("\n")).to.be.within(2, 3);
    expect(new Set(asked)).to.deep.equal(new Set([`/market/model/${s.catalog.root}`]));
  });

  it("a bidder offers 0.04 ETH for a key, valid two days: escrowed by the market, listed under the bidder's offers", async () => {
    const before = await openOffers();
    await makeOffer(offeredKey, hexs.NATIVE, "0.04", "2");
    const status = offers(buyerPage).getByRole("status", { name: "offer progress" });
    await status.locator('[data-testid="step-confirmed"].done').waitFor({ timeout: 30_000 });
    expect(await status.locator('[data-testid="step-confirmed"]').innerText()).to.contain("your offer for key");
    const offerId = before + 1n;
    const o = await readA().resale!.offerOf(offerId);
    expect([o.buyer, o.keyId, o.currency, o.amount]).to.deep.equal([buyer.address, offeredKey, hexs.NATIVE, parseEther("0.04")]);
    const head = await s.nodes.a.node.provider.getBlock("latest");
    expect(Number(o.validUntil) - head!.timestamp).to.be.within(2 * 86_400 - 60, 2 * 86_400);
    const row = offers(buyerPage).locator(`tr[data-offer="${offerId}"]`);
    await row.waitFor({ timeout: 30_000 });
    expect(await row.innerText()).to.contain("0.04 ETH");
  });

  it("an ERC-20 offer asks the approval first, then is withdrawn: the row disappears and the escrow is credited back and claimed", async () => {
    const offerId = (await openOffers()) + 1n;
    await makeOffer(offeredKey, token, "5", "1");
    const status = offers(buyerPage).getByRole("status", { name: "offer progress" });
    await status.locator('[data-testid="step-confirmed"].done').waitFor({ timeout: 30_000 });
    expect(await status.locator('[data-testid="step-approving"]').getAttribute("class")).to.contain("done");
    expect((await readA().resale!.offerOf(offerId)).amount).to.equal(parseEther("5"));
    const row = offers(buyerPage).locator(`tr[data-offer="${offerId}"]`);
    await row.waitFor({ timeout: 30_000 });
    expect(await row.innerText()).to.contain("5.0 TUSD");
    await screenshot(buyerPage, "offers-made");
    const violations = await accessibilityViolations(buyerPage);
    expect(violations, JSON.stringify(violations, null, 1)).to.deep.equal([]);
    await row.getByRole("button", { name: `Withdraw your offer for key ${offeredKey}` }).click();
    const w = offers(buyerPage).getByRole("status", { name: "withdraw progress" });
    await w.locator('[data-testid="step-confirmed"].done').waitFor({ timeout: 30_000 });
    expect((await readA().resale!.offerOf(offerId)).buyer).to.equal(ZeroAddress);
    expect(await readA().resale!.creditOf(buyer.address, token)).to.equal(parseEther("5"));
    await row.waitFor({ state: "detached", timeout: 30_000 });
    // the withdrawn amount is credited back: the page offers to claim it
    const owed = offers(buyerPage).getByTestId("resale-credit");
    await owed.getByRole("button", { name: "Claim 5.0 TUSD on Devnet A" }).click();
    await owed
      .getByRole("status", { name: "claim progress" })
      .locator('[data-testid="step-confirmed"].done')
      .waitFor({ timeout: 30_000 });
    expect(await readA().resale!.creditOf(buyer.address, token)).to.equal(0n);
    expect(await TestToken__factory.connect(token, s.nodes.a.node.provider).balanceOf(buyer.address)).to.equal(parseEther("100"));
  });

  it("My keys reads every key card's offers in one request per 2 s tick, and a new offer still appears on its card", async () => {
    const asked: string[] = [];
    let counting = false;
    sellerPage.on("request", (r) => {
      if (counting && new URL(r.url()).pathname === "/market/offers") asked.push(r.url());
    });
    await sellerPage.goto(`${site.url}#/keys`);
    await sellerPage.locator(`li.key[data-key="${goneKey}"]`).waitFor({ timeout: 30_000 });
    counting = true;
    await new Promise((r) => setTimeout(r, 5_000));
    counting = false;
    // three keys held here, one request per tick for all of them (a request per card before)
    expect(asked.length, asked.join("\n")).to.be.within(2, 3);
    const keys = new URL(asked[0]).searchParams.get("keys")!.split(",").sort();
    expect(keys).to.deep.equal([offeredKey, remoteKey, goneKey].map((k) => `1:${k}`).sort());
    // a new offer (made outside the page) shows up on its key's card, then goes when withdrawn
    const b = onA(buyer);
    const { offerId } = await hexs.makeOffer(b.c, b.signer, {
      modelId: s.catalog.root,
      keyId: goneKey,
      currency: hexs.NATIVE,
      amount: parseEther("0.03"),
    });
    const table = sellerPage.locator(`li.key[data-key="${goneKey}"]`).getByRole("table", { name: `offers for key ${goneKey}` });
    await table.filter({ hasText: "0.03 ETH" }).waitFor({ timeout: 30_000 });
    await hexs.cancelOffer(b.c, b.signer, { offerId });
    await table.waitFor({ state: "detached", timeout: 30_000 });
    // the indexer refuses a malformed or oversized key list
    const bad = await fetch(`${s.indexer.url}/market/offers?keys=1:2,x`);
    expect([bad.status, ((await bad.json()) as { error: string }).error]).to.deep.equal([
      400,
      "bad key 'x' in keys: <Hexs chain id>:<key id>, comma-separated",
    ]);
    const many = Array.from({ length: 201 }, (_, i) => `1:${i}`).join(",");
    expect((await fetch(`${s.indexer.url}/market/offers?keys=${many}`)).status).to.equal(400);
  });

  it("the holder sees the open offer on the key's card in My keys and accepts it: the key moves, the holder is credited and claims", async () => {
    await sellerPage.goto(`${site.url}#/keys`);
    const card = sellerPage.locator(`li.key[data-key="${offeredKey}"]`);
    const table = card.getByRole("table", { name: `offers for key ${offeredKey}` });
    await table.waitFor({ timeout: 30_000 });
    const text = await table.innerText();
    expect(text).to.contain("0.04 ETH");
    expect(text).to.contain(`${buyer.address.slice(0, 6)}…${buyer.address.slice(-4)}`);
    expect(text).not.to.contain("TUSD"); // the withdrawn offer is gone
    await screenshot(sellerPage, "offers-on-key");
    const violations = await accessibilityViolations(sellerPage);
    expect(violations, JSON.stringify(violations, null, 1)).to.deep.equal([]);
    await table.getByRole("button", { name: `Accept the offer of 0.04 ETH for key ${offeredKey}` }).click();
    // the card (and its progress) leaves My keys as soon as the indexer sees the key gone; the
    // credit line below the keys is what stays
    await card.waitFor({ state: "detached", timeout: 30_000 });
    expect(await (await hexs.keysOf(readA(), s.catalog.root)).ownerOf(offeredKey)).to.equal(buyer.address);
    const credit = await readA().resale!.creditOf(seller.address, hexs.NATIVE);
    expect(credit > 0n && credit < parseEther("0.04")).to.equal(true);
    // what the market owes is claimed from My keys
    const owed = sellerPage.getByTestId("resale-credit");
    await owed.waitFor({ timeout: 30_000 });
    const balance = await s.nodes.a.node.provider.getBalance(seller.address);
    await owed.getByRole("button", { name: /^Claim .* on Devnet A$/ }).click();
    await owed
      .getByRole("status", { name: "claim progress" })
      .locator('[data-testid="step-confirmed"].done')
      .waitFor({ timeout: 30_000 });
    expect(await readA().resale!.creditOf(seller.address, hexs.NATIVE)).to.equal(0n);
    expect((await s.nodes.a.node.provider.getBalance(seller.address)) > balance).to.equal(true);
    await screenshot(sellerPage, "offer-accepted");
  });

  it("My keys shows what the market owes in an ERC-20 (a withdrawn offer's escrow), not only ETH, and claims it", async () => {
    // the bidder offers 3 TUSD for another key and withdraws it (through the SDK): the market credits the escrow back
    const b = onA(buyer);
    const { offerId } = await hexs.makeOffer(b.c, b.signer, {
      modelId: s.catalog.root,
      keyId: goneKey,
      currency: token,
      amount: parseEther("3"),
    });
    await hexs.cancelOffer(b.c, b.signer, { offerId });
    const tusd = TestToken__factory.connect(token, s.nodes.a.node.provider);
    const held = await tusd.balanceOf(buyer.address);
    expect(await readA().resale!.creditOf(buyer.address, token)).to.equal(parseEther("3"));
    await buyerPage.goto(`${site.url}#/keys`);
    const owed = buyerPage.getByTestId("resale-credit");
    await owed.filter({ hasText: "The market owes you 3.0 TUSD on Devnet A." }).waitFor({ timeout: 30_000 });
    await screenshot(buyerPage, "keys-erc20-credit");
    const violations = await accessibilityViolations(buyerPage);
    expect(violations, JSON.stringify(violations, null, 1)).to.deep.equal([]);
    await owed.getByRole("button", { name: "Claim 3.0 TUSD on Devnet A" }).click();
    await owed
      .getByRole("status", { name: "claim progress" })
      .locator('[data-testid="step-confirmed"].done')
      .waitFor({ timeout: 30_000 });
    expect(await readA().resale!.creditOf(buyer.address, token)).to.equal(0n);
    expect(await tusd.balanceOf(buyer.address)).to.equal(held + parseEther("3"));
  });

  it("creator studio: the seller prices a listing for buyers on B; a bad amount, currency or token is refused before the wallet is asked", async () => {
    await sellerPage.goto(`${site.url}#/studio`);
    const card = sellerPage.locator(`article[data-listing="1:${remoteKey}"]`);
    await card.waitFor({ timeout: 30_000 });
    await card
      .getByTestId("remote-prices")
      .filter({ hasText: "No price for buyers on other chains yet" })
      .waitFor({ timeout: 30_000 });
    const form = card.getByRole("form", { name: `Price key ${hexs.formatId(remoteKey)} for buyers on another chain` });
    // what the wallet asks its user for (reads such as eth_accounts do not count)
    const asks = () => seller.requests.filter((r) => /^(eth_send|wallet_switch|personal_sign|eth_signTypedData)/.test(r)).length;
    const before = asks();
    const alert = form.getByTestId("remote-price-error");
    const attempt = async (currency: string, price: string, says: string) => {
      await form.getByLabel("Buyers paying on").selectOption("2");
      await form.getByLabel("Currency there (native, or an ERC-20 token address)").fill(currency);
      await form.getByLabel("Price (0 withdraws it)").fill(price);
      await form.getByRole("button", { name: "Set price for buyers there" }).click();
      await alert.filter({ hasText: says }).waitFor({ timeout: 10_000 });
    };
    await attempt("native", "sixty", "bad price 'sixty': write an amount of ETH, such as 0.05");
    await attempt("0x1234", "0.06", "bad currency '0x1234': write native, or the address (0x…) of an ERC-20 token on Devnet B");
    // the test token lives on A only: on B that address is no token
    await attempt(token, "0.06", `${token} is not an ERC-20 token on Devnet B`);
    expect(asks(), "the wallet was asked nothing").to.equal(before);
    expect(await hexs.remotePriceOf(readA(), remoteKey, 2)).to.equal(undefined);
    await screenshot(sellerPage, "studio-remote-price-refused");
    await form.getByLabel("Currency there (native, or an ERC-20 token address)").fill("native");
    await form.getByLabel("Price (0 withdraws it)").fill("0.06");
    await form.getByRole("button", { name: "Set price for buyers there" }).click();
    const done = sellerPage.getByTestId("studio-done");
    await done.waitFor({ timeout: 60_000 });
    expect(await done.innerText()).to.contain(
      `Buyers on Devnet B now pay 0.06 ETH for key ${hexs.formatId(remoteKey)} (listed on Devnet A).`,
    );
    expect(await alert.count()).to.equal(0);
    expect(await hexs.remotePriceOf(readA(), remoteKey, 2)).to.deep.equal({
      seller: seller.address,
      currency: ZeroAddress,
      price: remotePrice,
    });
    await card
      .getByTestId("remote-prices")
      .filter({ hasText: "For buyers on other chains: 0.06 ETH on Devnet B" })
      .waitFor({ timeout: 30_000 });
    await screenshot(sellerPage, "studio-remote-price-set");
    const violations = await accessibilityViolations(sellerPage);
    expect(violations, JSON.stringify(violations, null, 1)).to.deep.equal([]);
  });

  it("buys a key listed on A with payment on B: escrowed, picked up again after a reload, filled once relayed (key on B, seller paid on B)", async () => {
    await buyerPage.goto(`${site.url}#/model/${s.catalog.root}`);
    const row = buyerPage.locator(`tr[data-listing="${remoteKey}"]`);
    await row.waitFor({ timeout: 30_000 });
    const button = row.getByRole("button", { name: `Buy with payment on Devnet B (0.06 ETH): key ${remoteKey}` });
    await button.waitFor({ timeout: 30_000 });
    await screenshot(buyerPage, "market-remote-listing");
    const violations = await accessibilityViolations(buyerPage);
    expect(violations, JSON.stringify(violations, null, 1)).to.deep.equal([]);
    const balanceB = await s.nodes.b.node.provider.getBalance(buyer.address);
    await button.click();
    const status = buyerPage.getByRole("status", { name: "order progress" });
    await status.locator('[data-testid="step-escrowed"]:not(.todo)').waitFor({ timeout: 30_000 });
    expect(await status.locator('[data-testid="step-escrowed"]').innerText()).to.contain(
      "held in escrow on Devnet B until Devnet A answers",
    );
    expect(await status.locator('[data-testid="step-filled"]').getAttribute("class")).to.contain("todo");
    expect(buyer.chainId).to.equal(chains[1].evmChainId); // the wallet was switched to the paying chain
    expect(balanceB - (await s.nodes.b.node.provider.getBalance(buyer.address)) >= remotePrice).to.equal(true);
    await screenshot(buyerPage, "order-escrowed");
    // the order was stored once submitted: a reload picks it up and follows it to its end
    const stored = await buyerPage.evaluate(() => localStorage.getItem("hexs.pending.v1"));
    expect(JSON.parse(stored ?? "[]")).to.have.length(1);
    await buyerPage.evaluate(() => location.reload());
    const panel = buyerPage.getByTestId("pending");
    await panel.getByRole("heading", { name: "Picked up after reload" }).waitFor({ timeout: 30_000 });
    expect(await panel.innerText()).to.contain(
      `Purchase of key ${hexs.formatId(remoteKey)} listed on Devnet A, paid on Devnet B`,
    );
    const resumed = panel.getByRole("status", { name: "order progress" });
    await resumed.locator('[data-testid="step-escrowed"]:not(.todo)').waitFor({ timeout: 30_000 });
    await screenshot(buyerPage, "order-resumed");
    // the relayers carry the order to A and A's answer (and the key) back to B
    await s.relay();
    await s.relay();
    await resumed.locator('[data-testid="step-filled"].done').waitFor({ timeout: 60_000 });
    expect(await resumed.locator('[data-testid="step-filled"]').innerText()).to.contain("arrived on Devnet B");
    expect(await (await hexs.keysOf(readB(), s.catalog.root)).ownerOf(remoteKey)).to.equal(buyer.address);
    expect(await readB().resale!.creditOf(seller.address, hexs.NATIVE)).to.be.greaterThan(0n);
    await buyerPage.waitForFunction(() => localStorage.getItem("hexs.pending.v1") === "[]");
    await screenshot(buyerPage, "order-filled");
  });

  it("an order whose listing the seller cancels while it is in flight is refunded on the paying chain", async () => {
    await buyerPage.goto(`${site.url}#/model/${s.catalog.root}`);
    const row = buyerPage.locator(`tr[data-listing="${goneKey}"]`);
    const button = row.getByRole("button", { name: `Buy with payment on Devnet B (0.06 ETH): key ${goneKey}` });
    await button.waitFor({ timeout: 30_000 });
    const creditBefore = await readB().resale!.creditOf(buyer.address, hexs.NATIVE);
    await button.click();
    const status = buyerPage.getByTestId("keys-for-sale").getByRole("status", { name: "order progress" });
    await status.locator('[data-testid="step-escrowed"]:not(.todo)').waitFor({ timeout: 30_000 });
    const a = onA(seller);
    await hexs.cancelListing(a.c, a.signer, { keyId: goneKey });
    await s.relay();
    await s.relay();
    await status.locator('[data-testid="step-refunded"].done').waitFor({ timeout: 60_000 });
    expect(await status.locator('[data-testid="step-refunded"]').innerText()).to.contain(
      "Refunded: the listing on Devnet A was gone",
    );
    expect((await readB().resale!.creditOf(buyer.address, hexs.NATIVE)) - creditBefore).to.equal(remotePrice);
    expect(await (await hexs.keysOf(readA(), s.catalog.root)).ownerOf(goneKey)).to.equal(seller.address);
    await screenshot(buyerPage, "order-refunded");
    expect(pageErrors).to.deep.equal([]);
  });
});
