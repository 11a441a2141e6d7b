// The burner wallet in a real browser (Debian's headless Chromium through playwright-core) on the
// sponsored-purchase stand (devnet/aa/stand.ts: a `hardhat node` with Hexs, EntryPoint v0.7,
// SimpleAccountFactory and HexsPaymaster, the Pimlico alto bundler with CORS on, the policy
// signer), the Ponder indexer on that chain, and the app built with `sponsors` in its config.json:
// - a person with no funded wallet creates a burner in the page (warning, backup), funds its smart
//   account with the model's ERC-20 only (0 native balance) and buys a key with sponsored gas; the
//   key shows under My keys;
// - "Move to my wallet" hands the key to the injected wallet, sponsored as well (the wallet pays nothing);
// - the bundler down (the config's bundler URL answers nothing): a clear error, nothing charged;
// - the sponsor's hourly cap: a clear refusal, nothing charged.
// Every process is a child started here and stopped by PID. Screenshots in app/test-results/.
// Run: npx hardhat test test/app/burner.test.ts   (scripts/app-test.sh installs what it needs)
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Wallet, type Signer } from "ethers";
import { startIndexer, type Indexer } from "../../devnet/app";
import { Supervisor } from "../../devnet/procs";
import { devAccount, startAaStand, type AaStand } from "../../devnet/aa/stand";
import { KeyNFT__factory, TestToken__factory } from "../../sdk/typechain";
import { freePorts } from "../lz/helpers/twoNodes";
import { injectWallet, launch, serveApp, TestWallet, type Browser, type Page, screenshot } from "./helpers/browser";
import type { EvmChain } from "../../sdk/chains";

const VERBOSE = process.env.HEXS_APP_VERBOSE === "1";
/** Two sponsored operations per account per hour: the buy and the move; a third is refused. */
const OPS_PER_HOUR = 2;

describe("web app in headless Chromium: burner wallet with sponsored gas (ERC-4337)", function () {
  this.timeout(600_000);
  const dir = path.join(os.tmpdir(), `hexs-app-burner-${process.pid}`);
  let stand: AaStand;
  let sup: Supervisor;
  let indexer: Indexer;
  let chain: EvmChain;
  let site: { url: string; close: () => Promise<void> };
  let downSite: { url: string; close: () => Promise<void> };
  let browser: Browser;
  let page: Page;
  let wallet: TestWallet;
  let minter: Signer;
  const pageErrors: string[] = [];
  // set by the purchase, used by the next tests
  let account: string;
  let burnerKey: string;
  let backup: string; // the downloaded backup file's content
  let keyId: bigint;

  const token = () => TestToken__factory.connect(stand.d.token, stand.provider);
  const keys = () => KeyNFT__factory.connect(stand.d.keys, stand.provider);
  const depositOf = async () =>
    BigInt(
      await stand.provider.call({
        to: stand.d.entryPoint,
        data: `0x70a08231${stand.d.paymaster.slice(2).toLowerCase().padStart(64, "0")}`, // balanceOf(paymaster)
      }),
    );
  /** A page in a fresh browser context (its own localStorage), with the injected wallet or none. */
  const newPage = async (withWallet: boolean) => {
    const p = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    p.on("pageerror", (e) => pageErrors.push(e.message));
    if (VERBOSE) p.on("console", (m) => console.log(`    [page] ${m.text()}`));
    if (withWallet) await injectWallet(p, () => wallet);
    return p;
  };

  before(async () => {
    const [node, bundler, policy, indexerPort, deadPort] = await freePorts(5);
    stand = await startAaStand({
      dir,
      ports: { node, bundler, policy },
      opsPerAccountPerHour: OPS_PER_HOUR,
      say: VERBOSE ? (l) => console.log(`    ${l}`) : undefined,
    });
    chain = {
      family: "evm",
      name: "devnetA",
      hexsChainId: 1,
      evmChainId: Number(stand.d.chainId),
      rpcUrl: stand.rpcUrl,
      contracts: stand.d.contracts,
    };
    const chainsFile = path.join(dir, "chains.json");
    fs.writeFileSync(chainsFile, JSON.stringify({ chains: [chain] }, null, 2));
    sup = new Supervisor(path.join(dir, "app-logs"));
    indexer = await startIndexer(sup, chainsFile, dir, { port: indexerPort });
    const sponsor = {
      bundlerUrl: stand.bundlerUrl,
      policyUrl: stand.policyUrl,
      entryPoint: stand.d.entryPoint,
      factory: stand.d.factory,
      paymaster: stand.d.paymaster,
    };
    site = await serveApp(dir, { indexerUrl: indexer.url, chains: [chain], sponsors: { 1: sponsor } });
    // the same deployment whose bundler is down: nothing listens on its URL
    fs.mkdirSync(path.join(dir, "down"), { recursive: true });
    downSite = await serveApp(path.join(dir, "down"), {
      indexerUrl: indexer.url,
      chains: [chain],
      sponsors: { 1: { ...sponsor, bundlerUrl: `http://127.0.0.1:${deadPort}` } },
    });
    wallet = new TestWallet(new Wallet(devAccount(9).privateKey), [chain], chain.evmChainId!);
    minter = devAccount(4).connect(stand.provider);
    browser = await launch();
    page = await newPage(false); // a person without any browser wallet
  });

  after(async () => {
    await browser?.close();
    await site?.close();
    await downSite?.close();
    await sup?.stopAll();
    await stand?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a burner with 0 native balance buys a key with sponsored gas and finds it in My keys", async () => {
    await page.goto(site.url);
    await page.getByRole("link", { name: "No wallet? Use a burner" }).click();
    await page.getByRole("button", { name: "Create a burner" }).click();
    await page.getByTestId("burner-warning").waitFor();
    expect(await page.getByTestId("burner-warning").innerText()).to.match(/stored in this browser only/);
    const addr = page.getByTestId("burner-address");
    await page.waitForFunction(() =>
      /^0x[0-9a-fA-F]{40}$/.test(document.querySelector('[data-testid="burner-address"]')?.textContent ?? ""),
    );
    account = (await addr.innerText()).trim();
    expect(await page.getByTestId("burner-native").innerText()).to.equal("0.0 ETH");
    expect(await stand.provider.getBalance(account)).to.equal(0n);
    // the backup shows the key kept in localStorage, and downloads it
    await page.getByRole("button", { name: "Show the key" }).click();
    burnerKey = (await page.getByTestId("burner-secret").innerText()).trim();
    expect(burnerKey).to.match(/^0x[0-9a-f]{64}$/);
    expect(await page.evaluate(() => localStorage.getItem("hexs.burner.v1"))).to.contain(burnerKey);
    const dl = page.waitForEvent("download", { timeout: 10_000 });
    await page.getByRole("button", { name: "Download backup" }).click();
    const file = await (await dl).path();
    backup = fs.readFileSync(file!, "utf8");
    expect(JSON.parse(backup).privateKey).to.equal(burnerKey);

    // someone sends the burner's account the price in the model's token: still no native coin
    const price = BigInt(stand.d.keyPrice);
    await (await token().connect(minter).mint(account, price)).wait();
    await page.waitForFunction(
      () =>
        /^(?!0\.0 )\d[\d.]* /.test(
          document.querySelector('[data-testid="burner-token-balance"]')?.textContent?.replace(/^your balance: /, "") ?? "",
        ),
      undefined,
      { timeout: 20_000 },
    );
    await screenshot(page, "burner-funded");
    await page
      .getByRole("button", { name: /with sponsored gas$/ })
      .first()
      .click();
    await page.waitForFunction(
      () => /Bought key/.test(document.querySelector('[data-testid="burner-status"]')?.textContent ?? ""),
      undefined,
      { timeout: 90_000 },
    );
    expect(await page.getByTestId("burner-error").count()).to.equal(0);
    const bought = await keys().queryFilter(keys().filters.Transfer(undefined, account));
    expect(bought).to.have.length(1);
    keyId = bought[0].args.tokenId;
    expect(await keys().ownerOf(keyId)).to.equal(account);
    expect(await token().balanceOf(account)).to.equal(0n); // paid the price in the token…
    expect(await stand.provider.getBalance(account)).to.equal(0n); // …and no gas
    await screenshot(page, "burner-bought");

    await page.getByRole("link", { name: "My keys", exact: true }).click();
    const card = page.getByTestId("burner-key");
    await card.waitFor({ timeout: 30_000 });
    expect(await card.innerText()).to.contain(`Key ${keyId}`);
    await screenshot(page, "burner-my-keys");
  });

  it("Move to my wallet hands the key to the injected wallet, sponsored (the wallet pays nothing)", async () => {
    // later, with a wallet installed (another browser profile): restore the burner from its backup file
    page = await newPage(true);
    await page.goto(`${site.url}#/burner`);
    await page.getByLabel("Backup file content or private key").fill(backup);
    await page.getByRole("button", { name: "Restore" }).click();
    await page.waitForFunction(() =>
      /^0x[0-9a-fA-F]{40}$/.test(document.querySelector('[data-testid="burner-address"]')?.textContent ?? ""),
    );
    expect((await page.getByTestId("burner-address").innerText()).trim()).to.equal(account);
    await page.getByRole("link", { name: "My keys", exact: true }).click();
    const before = await stand.provider.getBalance(wallet.address);
    await page.getByRole("button", { name: `Move key ${keyId} to my wallet` }).click();
    await page.waitForFunction(
      () => /now held by your wallet/.test(document.querySelector('[data-testid="burner-move-status"]')?.textContent ?? ""),
      undefined,
      { timeout: 90_000 },
    );
    expect(await keys().ownerOf(keyId)).to.equal(wallet.address);
    expect(await stand.provider.getBalance(wallet.address)).to.equal(before);
    expect(wallet.requests).to.not.include("eth_sendTransaction");
    // the wallet's own section lists it once the indexer has the transfer
    await page.locator(`li.key[data-key="${keyId}"]`).waitFor({ timeout: 30_000 });
    await page.waitForFunction(
      () => /holds no key/.test(document.querySelector('[data-testid="burner-keys"]')?.textContent ?? ""),
      undefined,
      {
        timeout: 30_000,
      },
    );
    await screenshot(page, "burner-moved");
  });

  it("bundler down: the page says so, nothing is submitted and nothing is charged", async () => {
    // another origin (its own localStorage): restore the burner from its backup key
    const p = await newPage(true);
    await p.goto(`${downSite.url}#/burner`);
    await p.getByLabel("Backup file content or private key").fill(burnerKey);
    await p.getByRole("button", { name: "Restore" }).click();
    await p.waitForFunction(() =>
      /^0x[0-9a-fA-F]{40}$/.test(document.querySelector('[data-testid="burner-address"]')?.textContent ?? ""),
    );
    expect((await p.getByTestId("burner-address").innerText()).trim()).to.equal(account);
    const price = BigInt(stand.d.keyPrice);
    await (await token().connect(minter).mint(account, price)).wait();
    const tokens = await token().balanceOf(account);
    const deposit = await depositOf();
    const nonce = await stand.provider.getTransactionCount(wallet.address);
    await p
      .getByRole("button", { name: /with sponsored gas$/ })
      .first()
      .click();
    const err = p.getByTestId("burner-error");
    await err.waitFor({ timeout: 30_000 });
    const text = await err.innerText();
    expect(text).to.contain("The gas sponsor is unreachable");
    expect(text).to.contain("nothing was charged");
    await screenshot(p, "burner-bundler-down");
    expect(await token().balanceOf(account)).to.equal(tokens);
    expect(await keys().balanceOf(account)).to.equal(0n);
    expect(await depositOf()).to.equal(deposit);
    expect(await stand.provider.getTransactionCount(wallet.address)).to.equal(nonce);
  });

  it("over the sponsor's hourly cap: a clear refusal, nothing charged", async () => {
    // the buy and the move used this account's two sponsored operations of the hour
    await page.goto(`${site.url}#/burner`);
    await page.waitForFunction(
      () =>
        /^(?!0\.0 )\d[\d.]* /.test(
          document.querySelector('[data-testid="burner-token-balance"]')?.textContent?.replace(/^your balance: /, "") ?? "",
        ),
      undefined,
      { timeout: 20_000 },
    );
    const deposit = await depositOf();
    await page
      .getByRole("button", { name: /with sponsored gas$/ })
      .first()
      .click();
    const err = page.getByTestId("burner-error");
    await err.waitFor({ timeout: 30_000 });
    const text = await err.innerText();
    expect(text).to.contain("The gas sponsor declined");
    expect(text).to.match(/cap of 2 sponsored operations/);
    expect(text).to.contain("nothing was charged");
    await screenshot(page, "burner-cap");
    expect(await token().balanceOf(account)).to.equal(BigInt(stand.d.keyPrice));
    expect(await keys().balanceOf(account)).to.equal(0n);
    expect(await depositOf()).to.equal(deposit);
    expect(pageErrors).to.deep.equal([]);
  });
});
