// The web app's account pages in a real browser (Debian's headless Chromium through
// playwright-core), end to end on two `hardhat node`s with the indexer and the relay:
// - My keys: the injected wallet's keys on each chain, live / expiring / expired / soul-bound
//   (expiry judged by the chain's clock); a soul-bound transfer and a refused network switch are
//   explained; a transfer reaches confirmed and the recipient holds the key; a move to chain B
//   shows "left" then "arrived" once the relay delivers it, and the key is listed under chain B.
// - Nothing lost on reload: a purchase whose transaction is still in the mempool when the page is
//   reloaded is picked up from localStorage and followed to confirmed and mirrored.
// - Creator studio: the wallet's own model gets a native and an ERC-20 price on chain B; a sale's
//   money shows as unsettled, is settled and claimed through the SDK.
// - ERC-20 prices: buying shows approving → approved → signing → submitted → confirmed.
// Screenshots go to app/test-results/ (gitignored).
// Run: npx hardhat test test/app/account.test.ts   (scripts/app-test.sh installs what it needs)
import { expect } from "chai";
import { id, JsonRpcSigner, NonceManager, parseEther, toBeHex, Wallet, type Signer } from "ethers";
import * as hexs from "../../sdk";
import { TestToken__factory } from "../../sdk/typechain";
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

describe("web app in headless Chromium: my keys, reload mid-flow, creator studio, ERC-20 buys", function () {
  this.timeout(600_000);
  let s: Stack;
  let browser: Browser;
  let site: { url: string; close: () => Promise<void> };
  let page: Page;
  let wallet: TestWallet;
  let chains: hexs.EvmChain[];
  const pageErrors: string[] = [];
  // made in before()
  let own: bigint; // the wallet's own model (home A, mirrored to B)
  let sub1h: bigint; // soul-bound, keys expire after an hour
  let sub1m: bigint; // keys expire after a minute
  const keys: Record<string, bigint> = {};
  let token: string;

  const shot = (name: string) => screenshot(page, name);
  const on = (i: number, signer: Signer) => hexs.connectContracts(chains[i], signer);
  /** Relay both lanes until `done` (what the devnet's relayers do), at most ~20 s. */
  const relayUntil = async (done: () => Promise<boolean>) => {
    for (let i = 0; i < 40 && !(await done()); i++) {
      await s.relay();
      await new Promise((r) => setTimeout(r, 500));
    }
  };
  const keyCard = (keyId: bigint) => page.locator(`li.key[data-key="${keyId}"]`);

  before(async () => {
    s = await startStack(VERBOSE ? (l) => console.log(`    ${l}`) : undefined);
    chains = s.registry.chains.map((c) => hexs.evmChain(c));
    site = await serveApp(s.nodes.dir, { indexerUrl: s.indexer.url, chains: s.registry.chains });
    const key = Wallet.createRandom();
    wallet = new TestWallet(new Wallet(key.privateKey), chains, chains[0].evmChainId!);
    for (const c of chains)
      await wallet.provider(c.evmChainId).send("hardhat_setBalance", [key.address, toBeHex(parseEther("10"))]);
    // back-to-back transactions: the provider's short cache would hand out the same nonce twice
    const meA = new NonceManager(wallet.wallet.connect(wallet.provider(chains[0].evmChainId)));

    // The wallet's own model on A (mirrored to B), and two subscription models by another creator.
    own = (
      await hexs.publish(on(0, meA), meA, {
        contentCommitment: id("wallet model sdl"),
        metadataUri: metadataUri("Wallet Whisper 1B", "A small speech model published from the test wallet."),
      })
    ).modelId;
    await hexs.setPrice(on(0, meA), meA, { modelId: own, currency: hexs.NATIVE, keyPrice: parseEther("0.004") });
    const creator = await s.nodes.a.signer(2);
    const publishSub = async (name: string, seconds: bigint, soulbound: boolean) => {
      const m = await hexs.publish(on(0, creator), creator, {
        contentCommitment: id(name),
        metadataUri: metadataUri(name, "Subscription keys."),
        plugins: { soulbound, expirySeconds: seconds },
      });
      await hexs.setPrice(on(0, creator), creator, { modelId: m.modelId, currency: hexs.NATIVE, keyPrice: parseEther("0.001") });
      return m.modelId;
    };
    sub1h = await publishSub("Hourly Soul-bound Pass", 3600n, true);
    sub1m = await publishSub("One-minute Pass", 60n, false);
    // The wallet's keys on A: two of the root model, one of each subscription.
    const buy = async (modelId: bigint) => (await hexs.buy(on(0, meA), meA, { modelId, currency: hexs.NATIVE })).keyId;
    keys.root1 = await buy(s.catalog.root);
    keys.root2 = await buy(s.catalog.root);
    keys.sub1h = await buy(sub1h);
    keys.sub1m = await buy(sub1m);
    // Two minutes later on A: the one-minute key has expired (by the chain's clock).
    await wallet.provider(chains[0].evmChainId).send("evm_increaseTime", [120]);
    await wallet.provider(chains[0].evmChainId).send("evm_mine", []);
    // An ERC-20 the market on B accepts (governance = the timelock, impersonated on the node), the
    // wallet holding some, and the fork priced in it on B.
    const deployer = await s.nodes.b.signer(0);
    const t = await new TestToken__factory(deployer).deploy();
    await t.waitForDeployment();
    token = (await t.getAddress()).toLowerCase();
    const providerB = s.nodes.b.node.provider;
    const timelock = chains[1].contracts.HexsTimelock!;
    await providerB.send("hardhat_impersonateAccount", [timelock]);
    await providerB.send("hardhat_setBalance", [timelock, toBeHex(parseEther("10"))]);
    await (await s.nodes.b.market.connect(new JsonRpcSigner(providerB, timelock)).setAcceptedToken(token, true)).wait();
    await (await t.mint(wallet.address, parseEther("100"))).wait();
    const forker = await s.nodes.b.signer(3);
    await hexs.setPrice(on(1, forker), forker, { modelId: s.catalog.fork, currency: token, keyPrice: parseEther("3") });
    await s.relay(); // the wallet's model and the subscriptions reach B
    await s.indexer.caughtUp();

    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.on("pageerror", (e) => pageErrors.push(e.message));
    if (VERBOSE) page.on("console", (m) => console.log(`    [page] ${m.text()}`));
    await injectWallet(page, () => wallet);
  });

  afterEach(async function () {
    if (this.currentTest?.state === "failed" && page) await shot(failedShot("failed-", this.currentTest.title));
  });

  after(async () => {
    if (browser) await browser.close();
    if (site) await site.close();
    if (s) await s.stop();
  });

  it("My keys lists the wallet's keys per chain: live, expiring, expired (by the chain's clock) and soul-bound", async () => {
    await page.goto(`${site.url}#/keys`);
    const onA = page.getByRole("list", { name: "keys on Devnet A" });
    await onA.locator(`li.key[data-key="${keys.sub1m}"]`).waitFor({ timeout: 30_000 });
    expect(await onA.locator("li.key").count()).to.equal(4);
    expect(await keyCard(keys.root1).getAttribute("data-state")).to.equal("live");
    expect(await keyCard(keys.root1).innerText()).to.contain("Never expires");
    expect(await keyCard(keys.sub1h).getAttribute("data-state")).to.equal("expiring");
    expect(await keyCard(keys.sub1h).innerText()).to.match(/soul-bound[\s\S]*expires in \d+ min/);
    expect(await keyCard(keys.sub1m).getAttribute("data-state")).to.equal("expired");
    expect(await keyCard(keys.sub1m).innerText()).to.not.contain("soul-bound");
    expect(await page.locator('section[data-chain="2"]').innerText()).to.contain("No keys on Devnet B");
    await shot("keys");
  });

  it("a soul-bound key's transfer is refused with the reason, before anything is signed", async () => {
    const sent = wallet.requests.filter((r) => r === "eth_sendTransaction").length;
    await keyCard(keys.sub1h).getByLabel("Transfer to address").fill(Wallet.createRandom().address);
    await keyCard(keys.sub1h)
      .getByRole("button", { name: `Transfer key ${keys.sub1h}` })
      .click();
    const alert = page.getByTestId("key-error");
    await alert.waitFor();
    expect(await alert.innerText()).to.match(
      /Not allowed\. Key \d+ \(1:\d+\) is soul-bound: it stays with the account that bought it/,
    );
    expect(wallet.requests.filter((r) => r === "eth_sendTransaction").length).to.equal(sent);
    await shot("keys-soulbound-refused");
  });

  it("transfers a key to an address: steps up to confirmed, the recipient holds it and it leaves the list", async () => {
    const to = Wallet.createRandom().address;
    await keyCard(keys.root2).getByLabel("Transfer to address").fill(to);
    await keyCard(keys.root2)
      .getByRole("button", { name: `Transfer key ${keys.root2}` })
      .click();
    const status = page.getByRole("status", { name: "transfer progress" });
    await status.locator('[data-testid="step-confirmed"].done').waitFor({ timeout: 30_000 });
    expect(await status.locator('[data-testid="step-confirmed"]').innerText()).to.contain(`now belongs to ${to}`);
    const A = hexs.connectContracts(chains[0], s.nodes.a.node.provider);
    expect(await (await hexs.keysOf(A, s.catalog.root)).ownerOf(keys.root2)).to.equal(to);
    await keyCard(keys.root2).waitFor({ state: "detached", timeout: 30_000 });
  });

  it("a move refused at the network switch says 'Wrong network' and what to press next", async () => {
    wallet.chainId = chains[1].evmChainId!;
    wallet.modes = { rejectSwitch: true };
    try {
      await keyCard(keys.root1)
        .getByRole("button", { name: `Move key ${keys.root1}` })
        .click();
      const alert = page.getByTestId("key-error");
      await alert.filter({ hasText: "Wrong network" }).waitFor();
      expect(await alert.innerText()).to.contain(`Your wallet is on chain ${chains[1].evmChainId}, but this key is on Devnet A`);
      expect(await alert.innerText()).to.contain("press Move again");
    } finally {
      wallet.modes = {};
    }
  });

  it("moves a key to chain B: it leaves A, arrives on B once relayed, and is listed under Devnet B", async () => {
    await keyCard(keys.root1)
      .getByRole("button", { name: `Move key ${keys.root1}` })
      .click();
    const status = page.getByRole("status", { name: "move progress" });
    await status.locator('[data-testid="step-left"].done').waitFor({ timeout: 30_000 });
    const A = hexs.connectContracts(chains[0], s.nodes.a.node.provider);
    const B = hexs.connectContracts(chains[1], s.nodes.b.node.provider);
    await (
      await hexs.keysOf(A, s.catalog.root)
    )
      .ownerOf(keys.root1)
      .then(() => expect.fail("still held on A"))
      .catch((e: Error) => expect(e.message).to.not.contain("still held"));
    await shot("keys-moving");
    await relayUntil(async () => (await status.getAttribute("data-step")) === "arrived");
    await status.locator('[data-testid="step-arrived"].done').waitFor({ timeout: 30_000 });
    expect(await status.locator('[data-testid="step-arrived"]').innerText()).to.match(/Arrived on Devnet B in [\d.]+ s/);
    expect(await (await hexs.keysOf(B, s.catalog.root)).ownerOf(keys.root1)).to.equal(wallet.address);
    const onB = page.getByRole("list", { name: "keys on Devnet B" });
    await onB.locator(`li.key[data-key="${keys.root1}"]`).waitFor({ timeout: 30_000 });
    expect(await onB.locator(`li.key[data-key="${keys.root1}"]`).innerText()).to.contain("moved here");
    await shot("keys-moved");
  });

  it("a purchase still in the mempool when the page reloads is picked up again and followed to confirmed and mirrored", async () => {
    const providerB = s.nodes.b.node.provider;
    await page.goto(`${site.url}#/model/${s.catalog.fork}`);
    await providerB.send("evm_setAutomine", [false]);
    let reloaded = false;
    try {
      await page.getByRole("button", { name: "Buy on Devnet B for 0.02 ETH" }).click();
      await page
        .getByRole("status")
        .locator('[data-testid="step-submitted"]')
        .filter({ hasText: /Transaction submitted: 0x/ })
        .waitFor();
      const stored = await page.evaluate(() => localStorage.getItem("hexs.pending.v1"));
      const [p] = JSON.parse(stored ?? "[]") as { kind: string; txHash: string; chain: number; modelId: string }[];
      expect([p.kind, p.chain, BigInt(p.modelId)]).to.deep.equal(["buy", 2, s.catalog.fork]);
      expect((await providerB.getTransactionReceipt(p.txHash)) === null).to.equal(true); // not mined yet
      await page.goto(`${site.url}#/`);
      await page.evaluate(() => location.reload());
      reloaded = true;
      const panel = page.getByTestId("pending");
      await panel.getByRole("heading", { name: "Picked up after reload" }).waitFor();
      expect(await panel.innerText()).to.contain("Purchase of a key of model");
      await shot("reload-pending");
      await providerB.send("evm_setAutomine", [true]);
      await providerB.send("evm_mine", []);
      const status = panel.getByRole("status", { name: "buy progress" });
      await status.locator('[data-testid="step-confirmed"].done').waitFor({ timeout: 30_000 });
      const keyId = BigInt(/key (\d+)/.exec(await status.locator('[data-testid="step-confirmed"]').innerText())![1]);
      const B = hexs.connectContracts(chains[1], providerB);
      expect(await (await hexs.keysOf(B, s.catalog.fork)).ownerOf(keyId)).to.equal(wallet.address);
      await relayUntil(async () => (await status.getAttribute("data-step")) === "mirrored");
      await status.locator('[data-testid="step-mirrored"].done').waitFor({ timeout: 30_000 });
      expect(await status.locator('[data-testid="step-mirrored"]').innerText()).to.match(/Mirrored to Devnet A/);
      await page.waitForFunction(() => localStorage.getItem("hexs.pending.v1") === "[]");
      await shot("reload-resumed");
    } finally {
      if (!reloaded) await providerB.send("evm_setAutomine", [true]);
      await providerB.send("evm_setAutomine", [true]);
    }
  });

  it("a key move still in the mempool when the page reloads is picked up again: it leaves A, then arrives on B", async () => {
    const providerA = s.nodes.a.node.provider;
    await page.goto(`${site.url}#/keys`);
    await keyCard(keys.sub1m).waitFor({ timeout: 30_000 });
    await providerA.send("evm_setAutomine", [false]);
    try {
      await keyCard(keys.sub1m)
        .getByRole("button", { name: `Move key ${keys.sub1m}` })
        .click();
      await page
        .getByRole("status", { name: "move progress" })
        .locator('[data-testid="step-submitted"]')
        .filter({ hasText: /Transaction submitted: 0x/ })
        .waitFor();
      await page.evaluate(() => location.reload());
      const panel = page.getByTestId("pending");
      await panel.getByRole("heading", { name: "Picked up after reload" }).waitFor();
      expect(await panel.innerText()).to.contain(`Move of key ${keys.sub1m} (1:5) from Devnet A to Devnet B`);
    } finally {
      await providerA.send("evm_setAutomine", [true]);
    }
    await providerA.send("evm_mine", []);
    const status = page.getByTestId("pending").getByRole("status", { name: "move progress" });
    await status.locator('[data-testid="step-left"].done').waitFor({ timeout: 30_000 });
    await relayUntil(async () => (await status.getAttribute("data-step")) === "arrived");
    await status.locator('[data-testid="step-arrived"].done').waitFor({ timeout: 30_000 });
    const B = hexs.connectContracts(chains[1], s.nodes.b.node.provider);
    expect(await (await hexs.keysOf(B, sub1m)).ownerOf(keys.sub1m)).to.equal(wallet.address);
    await page.waitForFunction(() => localStorage.getItem("hexs.pending.v1") === "[]");
    // the indexer lists it under Devnet B too
    await page
      .getByRole("list", { name: "keys on Devnet B" })
      .locator(`li.key[data-key="${keys.sub1m}"]`)
      .waitFor({ timeout: 30_000 });
    await shot("reload-move-resumed");
  });

  it("creator studio: sets a native and an ERC-20 price on chain B, shows a sale's earnings, settles and claims them", async () => {
    await page.goto(`${site.url}#/studio`);
    const model = page.locator(`article.studio-model[data-model="${own}"]`);
    await model.waitFor({ timeout: 30_000 });
    const setPrice = async (currency: string, amount: string) => {
      await model.getByLabel("Chain").selectOption("2");
      await model.getByLabel("Currency (native, or an ERC-20 token address)").fill(currency);
      await model.getByLabel("Key price").fill(amount);
      await model.getByRole("button", { name: "Set price" }).click();
    };
    await setPrice("native", "0.005");
    const done = page.getByTestId("studio-done");
    await done.filter({ hasText: "Price set: 0.005 ETH on Devnet B" }).waitFor({ timeout: 30_000 });
    await setPrice(token, "2.5");
    await done.filter({ hasText: "Price set: 2.5 TUSD on Devnet B" }).waitFor({ timeout: 30_000 });
    await model.locator('tr[data-chain="2"]').filter({ hasText: "0.005 ETH, 2.5 TUSD" }).waitFor({ timeout: 30_000 });
    // someone buys the wallet's model on B: its vault there holds the price until settled
    const buyer = await s.nodes.b.signer(9);
    await hexs.buy(on(1, buyer), buyer, { modelId: own, currency: hexs.NATIVE });
    const row = page.locator(`table[aria-label="earnings"] tr[data-chain="2"][data-currency="${hexs.NATIVE}"]`);
    await row.getByTestId("unsettled").filter({ hasText: "0.005 ETH" }).waitFor({ timeout: 30_000 });
    expect(
      await page.locator(`table[aria-label="earnings"] tr[data-chain="2"][data-currency="${token}"]`).innerText(),
    ).to.contain("TUSD");
    await shot("studio-earnings");
    await page.getByRole("button", { name: "Settle ETH on Devnet B" }).click();
    await done.filter({ hasText: "Settled:" }).waitFor({ timeout: 30_000 });
    const B = hexs.connectContracts(chains[1], s.nodes.b.node.provider);
    const credited = await B.market.creditOf(wallet.address, hexs.NATIVE);
    expect(credited > 0n && credited <= parseEther("0.005")).to.equal(true);
    await row
      .getByTestId("credited")
      .filter({ hasText: /^0\.00[1-5]\d* ETH$/ })
      .waitFor({ timeout: 30_000 });
    expect(await row.getByTestId("unsettled").innerText()).to.equal("0.0 ETH");
    const before = await s.nodes.b.node.provider.getBalance(wallet.address);
    await page.getByRole("button", { name: "Claim ETH on Devnet B" }).click();
    await done.filter({ hasText: "Claimed:" }).waitFor({ timeout: 30_000 });
    expect(await B.market.creditOf(wallet.address, hexs.NATIVE)).to.equal(0n);
    expect((await s.nodes.b.node.provider.getBalance(wallet.address)) > before).to.equal(true);
    await row.getByTestId("credited").filter({ hasText: "0.0 ETH" }).waitFor({ timeout: 30_000 });
    await shot("studio-claimed");
  });

  it("buying with an ERC-20 price shows the approval (approving, approved) before the buy", async () => {
    await page.goto(`${site.url}#/model/${s.catalog.fork}`);
    const B = hexs.connectContracts(chains[1], s.nodes.b.node.provider);
    const t = TestToken__factory.connect(token, s.nodes.b.node.provider);
    const before = await t.balanceOf(wallet.address);
    const sent = wallet.requests.filter((r) => r === "eth_sendTransaction").length;
    // two prices on B: each button says what it pays (the token's symbol read from chain B)
    await page.getByRole("button", { name: "Buy on Devnet B for 3.0 TUSD" }).waitFor();
    expect(
      await page.locator('table[aria-label="prices and keys sold per chain"] tr[data-chain="2"] button').allInnerTexts(),
    ).to.deep.equal(["Buy on Devnet B for 0.02 ETH", "Buy on Devnet B for 3.0 TUSD"]);
    await page.getByRole("button", { name: "Buy on Devnet B for 3.0 TUSD" }).click();
    const status = page.getByRole("status", { name: "purchase progress" });
    await status.locator('[data-testid="step-confirmed"].done').waitFor({ timeout: 60_000 });
    for (const k of ["switching", "checking", "approving", "approved", "signing", "submitted"])
      expect(await status.locator(`[data-testid="step-${k}"]`).getAttribute("class"), k).to.contain("done");
    expect(await status.locator('[data-testid="step-approving"]').innerText()).to.contain("Approved the market to take TUSD");
    expect(wallet.requests.filter((r) => r === "eth_sendTransaction").length - sent).to.equal(2);
    expect(before - (await t.balanceOf(wallet.address))).to.equal(parseEther("3"));
    const keyId = BigInt(/key (\d+)/.exec(await status.locator('[data-testid="step-confirmed"]').innerText())![1]);
    expect(await (await hexs.keysOf(B, s.catalog.fork)).ownerOf(keyId)).to.equal(wallet.address);
    await shot("buy-erc20");
    expect(pageErrors).to.deep.equal([]);
  });

  it("an ERC-20 buy without enough of the token is told so before the approval is asked", async () => {
    const poor = new TestWallet(Wallet.createRandom() as unknown as Wallet, chains, chains[1].evmChainId!);
    await poor.provider().send("hardhat_setBalance", [poor.address, toBeHex(parseEther("1"))]); // gas, but no TUSD
    const rich = wallet;
    wallet = poor;
    try {
      await page.getByRole("button", { name: "Buy on Devnet B for 3.0 TUSD" }).click();
      const alert = page.getByTestId("buy-error");
      await alert.filter({ hasText: "Insufficient funds" }).waitFor();
      expect(await alert.innerText()).to.match(/Insufficient funds\. 0x[0-9a-fA-F]{40} holds 0\.0 TUSD but needs 3\.0 TUSD/);
      expect(poor.requests).to.not.include("eth_sendTransaction");
    } finally {
      wallet = rich;
    }
  });

  it("the model page draws where a sale's money goes, level by level, from the on-chain royalty shares", async () => {
    await page.goto(`${site.url}#/model/${s.catalog.fork}`);
    const flow = page.getByTestId("royalty-flow");
    await flow.locator('li[data-level="1"]').waitFor({ timeout: 30_000 });
    const B = hexs.connectContracts(chains[1], s.nodes.b.node.provider);
    const fee = Number((await B.market.protocolFee())[0]);
    // HexsMarket.settle on a sale of 1,000,000: the fork keeps the rest after the fee and 15% up
    const pct = (x: number) => `${((100 * x) / 1e6).toFixed(2).replace(/\.?0+$/, "")}%`;
    const fee0 = Math.floor((1e6 * fee) / 1e4);
    const up = 150_000;
    const fee1 = Math.floor((up * fee) / 1e4);
    expect(await flow.locator('li[data-level="0"]').innerText()).to.equal(
      `Llama Forge Chat: its creator ${s.catalog.forker.slice(0, 6)}…${s.catalog.forker.slice(-4)} gets ${pct(1e6 - fee0 - up)}, the protocol ${pct(fee0)}, and 15% goes up to its parent.`,
    );
    expect(await flow.locator('li[data-level="1"]').innerText()).to.equal(
      `Llama Forge 8B: its creator ${s.catalog.creator.slice(0, 6)}…${s.catalog.creator.slice(-4)} gets ${pct(up - fee1)}, the protocol ${pct(fee1)}.`,
    );
    expect(await flow.locator("svg g[data-level]").count()).to.equal(2);
    await shot("royalty-flow");
  });

  it("My keys, the creator studio and the royalty flow pass axe-core's WCAG 2.1 A/AA checks", async () => {
    const violations = async () =>
      (await accessibilityViolations(page)).map((v) => `${v.id}: ${v.help} at ${JSON.stringify(v.nodes)}`);
    expect(await violations()).to.deep.equal([]); // the model page with its royalty flow
    await page.goto(`${site.url}#/keys`);
    await page.getByRole("list", { name: "keys on Devnet B" }).locator("li.key").first().waitFor({ timeout: 30_000 });
    expect(await violations()).to.deep.equal([]);
    await page.goto(`${site.url}#/studio`);
    await page.locator("table[aria-label=earnings]").waitFor({ timeout: 30_000 });
    expect(await violations()).to.deep.equal([]);
  });
});
