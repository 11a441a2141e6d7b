// The web app in a real browser (Debian's headless Chromium through playwright-core), end to end
// on two `hardhat node`s with the indexer: the catalog shows the published model and its fork,
// the model page draws the lineage with each edge's royalty share, a key is bought on chain B with
// the injected wallet (the wallet is switched from A, the steps signing → submitted → confirmed →
// mirrored are shown, the key is held on chain and reaches chain A's mirror), and a rejected
// signature, a refused network switch and an empty account each show their error.
// Screenshots go to app/test-results/ (gitignored).
// Run: npx hardhat test test/app/browser.test.ts   (scripts/app-test.sh installs what it needs)
import { expect } from "chai";
import { Wallet, id, parseEther, toBeHex, zeroPadValue } from "ethers";
import * as hexs from "../../sdk";
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
} from "./helpers/browser";

const VERBOSE = process.env.HEXS_APP_VERBOSE === "1";

describe("web app in headless Chromium: catalog, lineage, buying with an injected wallet", function () {
  this.timeout(600_000);
  let s: Stack;
  let browser: Browser;
  let site: { url: string; close: () => Promise<void> };
  let page: Page;
  let wallet: TestWallet;
  let chains: hexs.EvmChain[];
  const pageErrors: string[] = [];

  const shot = (name: string) => screenshot(page, name);

  before(async () => {
    s = await startStack(VERBOSE ? (l) => console.log(`    ${l}`) : undefined);
    await s.indexer.caughtUp();
    chains = s.registry.chains.map((c) => hexs.evmChain(c));
    // The production build, with the chain registry and the indexer's URL as runtime config.
    site = await serveApp(s.nodes.dir, { indexerUrl: s.indexer.url, chains: s.registry.chains });
    // A fresh key, funded with hardhat_setBalance on both chains (not a node-unlocked account).
    const key = Wallet.createRandom();
    wallet = new TestWallet(new Wallet(key.privateKey), chains, chains[0].evmChainId!);
    for (const c of chains)
      await wallet.provider(c.evmChainId).send("hardhat_setBalance", [key.address, toBeHex(parseEther("10"))]);
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.on("pageerror", (e) => pageErrors.push(e.message));
    if (VERBOSE) page.on("console", (m) => console.log(`    [page] ${m.text()}`));
    await injectWallet(page, () => wallet);
  });

  after(async () => {
    if (browser) await browser.close();
    if (site) await site.close();
    if (s) await s.stop();
  });

  it("catalog lists the published model and its fork, ranks trending with the fork's sale counted to its parent, and searches", async () => {
    await page.goto(site.url);
    const cards = page.getByRole("list", { name: "models", exact: true });
    await cards.getByRole("link", { name: "Llama Forge 8B" }).waitFor();
    await cards.getByRole("link", { name: "Llama Forge Chat" }).waitFor();
    const trending = page.getByRole("list", { name: "trending models" }).getByRole("listitem");
    expect(await trending.count()).to.equal(2);
    expect(await trending.nth(0).innerText()).to.match(/Llama Forge 8B[\s\S]*2 sales in its lineage \(1 of its own\)/);
    expect(await trending.nth(1).innerText()).to.match(/Llama Forge Chat[\s\S]*1 sale in its lineage/);
    await shot("catalog");
    await page.getByLabel("Search models").fill("chat");
    await page.waitForFunction(() => document.querySelectorAll('[aria-label="models"] > li').length === 1);
    expect(await cards.getByRole("listitem").innerText()).to.contain("fork of Llama Forge 8B");
    await page.getByLabel("Search models").fill("");
  });

  it("model page shows creator, prices and keys per chain, and the lineage picture with the edge's royalty share", async () => {
    await page.goto(`${site.url}#/model/${s.catalog.fork}`);
    await page.getByRole("heading", { level: 1, name: "Llama Forge Chat" }).waitFor();
    expect(await page.locator(".facts.wide").innerText()).to.contain(s.catalog.forker);
    const rowB = page.locator('table[aria-label="prices and keys sold per chain"] tr[data-chain="2"]');
    expect(await rowB.innerText()).to.match(/Devnet B\s+home\s+1\s+0\.02 ETH/);
    expect(await page.locator('table[aria-label="prices and keys sold per chain"] tr[data-chain="1"]').innerText()).to.match(
      /Devnet A\s+mirror\s+0\s+not for sale here/,
    );
    const lineage = page.getByRole("figure", { name: /lineage tree/ });
    await lineage.locator(".react-flow__node").nth(1).waitFor();
    expect(await lineage.locator(".react-flow__node").count()).to.equal(2);
    expect(await lineage.locator(".react-flow__edge").count()).to.equal(1);
    expect(await lineage.locator(".react-flow__edge-text").textContent()).to.equal("15% of sales to parent");
    expect(await lineage.locator(".react-flow__node.current").innerText()).to.contain("Llama Forge Chat");
    await shot("model");
  });

  it("catalog and model page pass axe-core's WCAG 2.1 A/AA checks (names, labels, roles, contrast)", async () => {
    await page.goto(site.url);
    await page.getByRole("list", { name: "models", exact: true }).waitFor();
    expect((await accessibilityViolations(page)).map((v) => `${v.id}: ${v.help} at ${JSON.stringify(v.nodes)}`)).to.deep.equal(
      [],
    );
    await page.goto(`${site.url}#/model/${s.catalog.fork}`);
    await page
      .getByRole("figure", { name: /lineage tree/ })
      .locator(".react-flow__node")
      .nth(1)
      .waitFor();
    expect((await accessibilityViolations(page)).map((v) => `${v.id}: ${v.help} at ${JSON.stringify(v.nodes)}`)).to.deep.equal(
      [],
    );
  });

  it("buys a key on chain B: switches the wallet from A, shows signing → submitted → confirmed → mirrored", async () => {
    expect(wallet.chainId).to.equal(chains[0].evmChainId);
    await page.getByRole("button", { name: "Buy on Devnet B for 0.02 ETH" }).click();
    const status = page.getByRole("status");
    await status.locator('[data-testid="step-confirmed"].done').waitFor({ timeout: 60_000 });
    expect(wallet.chainId).to.equal(chains[1].evmChainId);
    expect(wallet.requests).to.include.members(["wallet_switchEthereumChain", "eth_sendTransaction"]);
    for (const k of ["switching", "checking", "signing", "submitted"])
      expect(await status.locator(`[data-testid="step-${k}"]`).getAttribute("class")).to.contain("done");
    const confirmed = await status.locator('[data-testid="step-confirmed"]').innerText();
    const keyId = BigInt(/key (\d+)/.exec(confirmed)![1]);
    expect(keyId >> 32n).to.equal(2n);
    // held on chain B by the wallet's own account
    const B = hexs.connectContracts(chains[1], s.nodes.b.node.provider);
    expect(await (await hexs.keysOf(B, s.catalog.fork)).ownerOf(keyId)).to.equal(wallet.address);
    await shot("buy-confirmed");
    // the relay (LayerZero flush + executor, as on the devnet) mirrors it to chain A
    const relaying = (async () => {
      for (let i = 0; i < 20 && !(await status.getAttribute("data-step"))?.includes("mirrored"); i++) {
        await s.relay();
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    await status.locator('[data-testid="step-mirrored"].done').waitFor({ timeout: 60_000 });
    await relaying;
    expect(await status.locator('[data-testid="step-mirrored"]').innerText()).to.match(/Mirrored to Devnet A in [\d.]+ s/);
    const A = hexs.connectContracts(chains[0], s.nodes.a.node.provider);
    const v = await A.hubLens!.mirroredKey(chains[0].contracts.HexsHub!, keyId, s.catalog.fork, {
      family: 1,
      addr: zeroPadValue(wallet.address, 32),
    });
    expect(v.resident).to.equal(2n);
    // the indexer picks the sale up: keys sold on B goes from 1 to 2
    await page.waitForFunction(
      () =>
        /\b2\b/.test(
          document.querySelector('table[aria-label="prices and keys sold per chain"] tr[data-chain="2"] td:nth-child(3)')
            ?.textContent ?? "",
        ),
      null,
      {
        timeout: 30_000,
      },
    );
    await shot("buy-mirrored");
  });

  it("a rejected signature shows what happened and that nothing was paid", async () => {
    wallet.modes = { rejectSign: true };
    const before = await wallet.provider(chains[1].evmChainId).getBalance(wallet.address);
    await page.getByRole("button", { name: "Buy on Devnet B for 0.02 ETH" }).click();
    const alert = page.getByTestId("buy-error");
    await alert.waitFor();
    expect(await alert.innerText()).to.match(/Signature rejected\. You declined the request in your wallet\. Nothing was sent/);
    expect(await page.getByTestId("step-signing").getAttribute("class")).to.contain("failed");
    expect(await page.getByTestId("step-submitted").getAttribute("class")).to.contain("todo");
    expect(await wallet.provider(chains[1].evmChainId).getBalance(wallet.address)).to.equal(before);
    await shot("buy-rejected");
  });

  it("a refused network switch shows 'Wrong network' with the chain to pick", async () => {
    wallet.modes = { rejectSwitch: true };
    wallet.chainId = chains[0].evmChainId!;
    await page.getByRole("button", { name: "Buy on Devnet B for 0.02 ETH" }).click();
    const alert = page.getByTestId("buy-error");
    await alert.filter({ hasText: "Wrong network" }).waitFor();
    expect(await alert.innerText()).to.contain(
      `Your wallet is on chain ${chains[0].evmChainId}, but this sale is on Devnet B (chain ${chains[1].evmChainId})`,
    );
    expect(await page.getByTestId("step-switching").getAttribute("class")).to.contain("failed");
    expect(await page.getByTestId("step-switching").innerText()).to.contain("Switching your wallet to Devnet B");
    await shot("buy-wrong-network");
  });

  it("an account without funds is told so before anything is signed", async () => {
    wallet.modes = {};
    const poor = new TestWallet(Wallet.createRandom() as unknown as Wallet, chains, chains[1].evmChainId!);
    const rich = wallet;
    wallet = poor;
    try {
      await page.getByRole("button", { name: "Buy on Devnet B for 0.02 ETH" }).click();
      const alert = page.getByTestId("buy-error");
      await alert.filter({ hasText: "Insufficient funds" }).waitFor();
      expect(await alert.innerText()).to.match(
        /Insufficient funds\. 0x[0-9a-fA-F]{40} has 0\.0 ETH but needs 0\.02\d* ETH \(0\.02 ETH payment/,
      );
      expect(poor.requests).to.not.include("eth_sendTransaction");
      await shot("buy-insufficient-funds");
    } finally {
      wallet = rich;
    }
    expect(pageErrors).to.deep.equal([]);
  });

  describe("a model sold only to its allowlist (the list published in its metadata, the root on chain)", () => {
    let listedModel: bigint;
    const price = parseEther("0.03");

    before(async () => {
      // published on B by the fork author, through the SDK: the root in the allowlist plugin's
      // configuration, the list itself in the metadata, as the studio publishes it
      const author = await s.nodes.b.signer(3);
      const B = hexs.connectContracts(chains[1], author);
      const listed = [Wallet.createRandom().address, wallet.address, Wallet.createRandom().address];
      const r = await hexs.publish(B, author, {
        contentCommitment: id("members only sdl"),
        sdlLocator: "ipfs://bafy-members-only",
        metadataUri: `data:application/json,${encodeURIComponent(JSON.stringify({ name: "Members Only 3B", description: "Keys for listed accounts.", allowlist: listed }))}`,
        plugins: { allowlistRoot: hexs.allowlistRoot(listed) },
      });
      listedModel = r.modelId;
      await hexs.setPrice(B, author, { modelId: listedModel, currency: hexs.NATIVE, keyPrice: price });
      await s.indexer.caughtUp();
    });

    it("a wallet not on the allowlist is told 'not allowed by the model's allowlist' before anything is signed", async () => {
      const strangerKey = Wallet.createRandom();
      const stranger = new TestWallet(new Wallet(strangerKey.privateKey), chains, chains[1].evmChainId!);
      await stranger.provider().send("hardhat_setBalance", [strangerKey.address, toBeHex(parseEther("10"))]);
      const rich = wallet;
      wallet = stranger;
      try {
        await page.goto(`${site.url}#/model/${listedModel}`);
        await page.getByRole("heading", { level: 1, name: "Members Only 3B" }).waitFor({ timeout: 30_000 });
        const button = page.getByRole("button", { name: "Buy on Devnet B for 0.03 ETH" });
        await button.waitFor({ timeout: 30_000 });
        const before = await stranger.provider().getBalance(stranger.address);
        await button.click();
        const alert = page.getByTestId("buy-error");
        await alert.filter({ hasText: "Not allowed" }).waitFor({ timeout: 30_000 });
        expect(await alert.innerText()).to.contain(`${stranger.address} is not allowed by the model's allowlist`);
        expect(stranger.requests).to.not.include("eth_sendTransaction");
        expect(await page.getByTestId("step-signing").getAttribute("class")).to.contain("todo");
        expect(await stranger.provider().getBalance(stranger.address)).to.equal(before);
        const B = hexs.connectContracts(chains[1], s.nodes.b.node.provider);
        expect(await (await hexs.keysOf(B, listedModel)).balanceOf(stranger.address)).to.equal(0n);
        await shot("buy-not-allowlisted");
      } finally {
        wallet = rich;
      }
    });

    it("an allowlisted wallet buys a key: the page fetches its proof from the published list and the plugin accepts it", async () => {
      wallet.modes = {};
      const B = hexs.connectContracts(chains[1], s.nodes.b.node.provider);
      expect(await hexs.allowlistRootOf(B, listedModel)).to.match(/^0x[0-9a-f]{64}$/);
      await page.getByRole("button", { name: "Buy on Devnet B for 0.03 ETH" }).click();
      const status = page.getByRole("status");
      await status.locator('[data-testid="step-confirmed"].done').waitFor({ timeout: 60_000 });
      const keyId = BigInt(/key (\d+)/.exec(await status.locator('[data-testid="step-confirmed"]').innerText())![1]);
      expect(await (await hexs.keysOf(B, listedModel)).ownerOf(keyId)).to.equal(wallet.address);
      await shot("buy-allowlisted");
      expect(pageErrors).to.deep.equal([]);
    });
  });
});
