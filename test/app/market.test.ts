// The secondary market in a real browser (Debian's headless Chromium through playwright-core),
// end to end on two `hardhat node`s with the indexer: a holder lists a key from My keys (a
// soul-bound key says why it cannot be listed), the model page's "Keys for sale" shows it (price,
// seller, chain), a second wallet in its own page buys it, the listing disappears and the key is in
// the buyer's My keys; the indexer keeps the resale and refuses bad market queries.
// Screenshots go to app/test-results/ (gitignored).
// Run: npx hardhat test test/app/market.test.ts   (scripts/app-test.sh installs what it needs)
import { expect } from "chai";
import { id, NonceManager, parseEther, toBeHex, Wallet } from "ethers";
import * as hexs from "../../sdk";
import { metadataUri, startStack, type Stack } from "./helpers/stack";
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

describe("web app in headless Chromium: the resale market (list from My keys, buy from the model page)", function () {
  this.timeout(600_000);
  let s: Stack;
  let browser: Browser;
  let site: { url: string; close: () => Promise<void> };
  let chains: hexs.EvmChain[];
  let seller: TestWallet;
  let buyer: TestWallet;
  let sellerPage: Page;
  let buyerPage: Page;
  const pageErrors: string[] = [];
  let plainKey: bigint; // a key of the root model on A, held by the seller
  let boundKey: bigint; // a soul-bound key on A, held by the seller
  const price = parseEther("0.05");

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

  before(async () => {
    s = await startStack(VERBOSE ? (l) => console.log(`    ${l}`) : undefined);
    chains = s.registry.chains.map((c) => hexs.evmChain(c));
    site = await serveApp(s.nodes.dir, { indexerUrl: s.indexer.url, chains: s.registry.chains });
    seller = await funded();
    buyer = await funded();
    const me = new NonceManager(seller.wallet.connect(seller.provider(chains[0].evmChainId)));
    const onA = hexs.connectContracts(chains[0], me);
    plainKey = (await hexs.buy(onA, me, { modelId: s.catalog.root, currency: hexs.NATIVE })).keyId;
    // a soul-bound model by another creator, and the seller's key of it
    const creator = await s.nodes.a.signer(2);
    const bound = await hexs.publish(hexs.connectContracts(chains[0], creator), creator, {
      contentCommitment: id("bound market sdl"),
      metadataUri: metadataUri("Bound Pass", "Soul-bound keys."),
      plugins: { soulbound: true },
    });
    await hexs.setPrice(hexs.connectContracts(chains[0], creator), creator, {
      modelId: bound.modelId,
      currency: hexs.NATIVE,
      keyPrice: parseEther("0.001"),
    });
    boundKey = (await hexs.buy(onA, me, { modelId: bound.modelId, currency: hexs.NATIVE })).keyId;
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
        if (p) await screenshot(p, failedShot(`failed-market-${who}-`, this.currentTest.title, 30));
  });

  after(async () => {
    if (browser) await browser.close();
    if (site) await site.close();
    if (s) await s.stop();
  });

  const card = (page: Page, keyId: bigint) => page.locator(`li.key[data-key="${keyId}"]`);

  it("My keys: a soul-bound key says why it cannot be listed, and offers no price field", async () => {
    await sellerPage.goto(`${site.url}#/keys`);
    await card(sellerPage, boundKey).waitFor({ timeout: 30_000 });
    expect(await card(sellerPage, boundKey).getByTestId("not-listable").innerText()).to.contain(
      "Not for sale: this key is soul-bound",
    );
    expect(await card(sellerPage, boundKey).getByTestId("list-for-sale").count()).to.equal(0);
  });

  it("refuses a price that is not an amount, before anything is signed", async () => {
    const sent = seller.requests.filter((r) => r === "eth_sendTransaction").length;
    await card(sellerPage, plainKey).getByLabel("List for sale at (ETH)").fill("five");
    await card(sellerPage, plainKey)
      .getByRole("button", { name: `List for sale (key ${plainKey})` })
      .click();
    const alert = card(sellerPage, plainKey).getByTestId("list-error");
    await alert.waitFor();
    expect(await alert.innerText()).to.contain("“five” is not an amount of ETH");
    expect(seller.requests.filter((r) => r === "eth_sendTransaction").length).to.equal(sent);
  });

  it("a holder lists a key from My keys: approve, sign, confirmed, and the card shows its price", async () => {
    await card(sellerPage, plainKey).getByLabel("List for sale at (ETH)").fill("0.05");
    await card(sellerPage, plainKey)
      .getByRole("button", { name: `List for sale (key ${plainKey})` })
      .click();
    const status = card(sellerPage, plainKey).getByRole("status", { name: "list progress" });
    await status.locator('[data-testid="step-confirmed"].done').waitFor({ timeout: 30_000 });
    expect(await status.locator('[data-testid="step-approving"]').getAttribute("class")).to.contain("done");
    const A = hexs.connectContracts(chains[0], s.nodes.a.node.provider);
    const l = await hexs.listingOf(A, plainKey);
    expect([l?.seller, l?.price, l?.currency, l?.fillable]).to.deep.equal([seller.address, price, hexs.NATIVE, true]);
    await card(sellerPage, plainKey).getByTestId("listed-at").waitFor({ timeout: 30_000 });
    expect(await card(sellerPage, plainKey).getByTestId("listed-at").innerText()).to.equal("For sale at 0.05 ETH");
  });

  it("the model page's Keys for sale shows it (key, chain, price, seller); the seller is offered Cancel, not Buy", async () => {
    await sellerPage.goto(`${site.url}#/model/${s.catalog.root}`);
    const row = sellerPage.locator(`tr[data-listing="${plainKey}"]`);
    await row.waitFor({ timeout: 30_000 });
    const text = await row.innerText();
    expect(text).to.contain("Devnet A");
    expect(text).to.contain("0.05 ETH");
    expect(text).to.contain("you");
    expect(await row.getByRole("button", { name: `Cancel the listing of key ${plainKey}` }).count()).to.equal(1);
    expect(await row.getByRole("button", { name: /^Buy/ }).count()).to.equal(0);
    const violations = await accessibilityViolations(sellerPage);
    expect(violations, JSON.stringify(violations, null, 1)).to.deep.equal([]);
  });

  it("a second wallet buys it from the model page: confirmed, the listing disappears, the key is in its My keys", async () => {
    await buyerPage.goto(`${site.url}#/model/${s.catalog.root}`);
    const row = buyerPage.locator(`tr[data-listing="${plainKey}"]`);
    await row.waitFor({ timeout: 30_000 });
    expect(await row.innerText()).to.contain(`${seller.address.slice(0, 6)}…${seller.address.slice(-4)}`);
    await screenshot(buyerPage, "market");
    await row.getByRole("button", { name: `Buy key ${plainKey} on Devnet A for 0.05 ETH` }).click();
    const status = buyerPage.getByRole("status", { name: "buy progress" });
    await status.locator('[data-testid="step-confirmed"].done').waitFor({ timeout: 30_000 });
    expect(await status.locator('[data-testid="step-confirmed"]').innerText()).to.contain("is yours");
    const A = hexs.connectContracts(chains[0], s.nodes.a.node.provider);
    expect(await (await hexs.keysOf(A, s.catalog.root)).ownerOf(plainKey)).to.equal(buyer.address);
    // the seller is credited the price less the royalty paid into the model's vault
    const credit = await A.resale!.creditOf(seller.address, hexs.NATIVE);
    expect(credit > 0n && credit < price).to.equal(true);
    await row.waitFor({ state: "detached", timeout: 30_000 });
    expect(await buyerPage.getByTestId("no-listings").innerText()).to.contain("No keys of this model are for sale");
    await screenshot(buyerPage, "market-sold");
    await buyerPage.goto(`${site.url}#/keys`);
    await buyerPage
      .getByRole("list", { name: "keys on Devnet A" })
      .locator(`li.key[data-key="${plainKey}"]`)
      .waitFor({ timeout: 30_000 });
  });

  it("the indexer keeps the resale (price, royalty, seller, buyer) and refuses malformed market queries", async () => {
    const res = await fetch(`${s.indexer.url}/market/model/${s.catalog.root}`);
    const body = (await res.json()) as {
      resales: { keyId: string; seller: string; buyer: string; price: string; royalty: string; offerId: string }[];
    };
    expect(body.resales.map((r) => [BigInt(r.keyId), r.seller, r.buyer, BigInt(r.price), r.offerId])).to.deep.equal([
      [plainKey, seller.address.toLowerCase(), buyer.address.toLowerCase(), price, "0"],
    ]);
    expect(BigInt(body.resales[0].royalty) > 0n).to.equal(true);
    const bad = await fetch(`${s.indexer.url}/market/listings?model=abc`);
    expect(bad.status).to.equal(400);
    expect(((await bad.json()) as { error: string }).error).to.contain("bad model id 'abc'");
    const badSeller = await fetch(`${s.indexer.url}/market/listings?seller=0x12`);
    expect(badSeller.status).to.equal(400);
    expect(pageErrors).to.deep.equal([]);
  });
});
