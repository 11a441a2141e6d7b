// The Cosmos page's resale part (app/src/CosmosResale.tsx) in headless Chromium against a real wasmd
// (scripts/wasmd.sh, own home and ports) with a Keplr-compatible `window.keplr` whose signer is a
// cosmjs wallet in Node: the connected account lists a key it holds, withdraws the listing, and buys
// another seller's listing; the chain's state is checked after each. Screenshots go to
// app/test-results/ (gitignored).
// Run: flock /tmp/hexs-heavy.lock bash scripts/app-test.sh test/app/cosmos-resale.test.ts
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { connectCosmos, cosmosBuyKey, type CosmosHexs } from "../../sdk/cosmwasm-client";
import { cosmosListKey } from "../../sdk/cosmwasm-resale";
import type { CosmosChain } from "../../sdk/chains";
import { firstFreePort } from "../../devnet/app";
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
import type { ListingResponse, OwnerOfResponse } from "../../sdk/cosmwasm/Hexs.types";
import { launch, serveApp, type Browser, type Page, screenshot } from "./helpers/browser";
import { injectKeplr, KeplrBackend } from "./helpers/keplr";

const PRICE = 1_000_000n; // 1 COSM
const PORT_BASE = Number(process.env.HEXS_APP_COSMOS_RESALE_PORT ?? 19640);

describe("web app: resale on a Cosmos chain (real wasmd) with a Keplr-compatible wallet", function () {
  this.timeout(900_000);
  let dir: string;
  let started = false;
  let env: DevnetEnv;
  let admin: User;
  let contract: string;
  let modelId: bigint;
  let site: { url: string; close: () => Promise<void> };
  let browser: Browser;
  let page: Page;
  let keplr: KeplrBackend;
  let me: string;
  let bob: CosmosHexs;
  let myKey: bigint;
  const pageErrors: string[] = [];

  const shot = (name: string) => screenshot(page, name);
  const held = async () => BigInt((await admin.client.getBalance(contract, env.denom)).amount);
  const listing = async (key: bigint) =>
    (await admin.client.queryContractSmart(contract, { listing: { token_id: key.toString() } })) as ListingResponse | null;
  const owner = async (key: bigint) =>
    ((await admin.client.queryContractSmart(contract, { owner_of: { token_id: key.toString() } })) as OwnerOfResponse).owner;

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-app-cosmos-resale-"));
    if (process.env.WASMD_EXTERNAL !== "1")
      Object.assign(process.env, {
        WASMD_HOME: path.join(dir, "wasmd"),
        WASMD_RPC_PORT: String(PORT_BASE),
        WASMD_GRPC_PORT: String(PORT_BASE + 5),
      });
    started = startDevnet();
    env = devnetEnv();
    admin = await connect("validator", env);
    ({ contract } = await deploy(admin, instantiateMsg(admin.address, await relayerPubkeys(relayerKeys(3)), env.denom)));
    const msg = publishMsg({ sdlUri: "ipfs://bafy-resale", price: PRICE.toString(), deployPrice: "0", forkRoyaltyBps: 0 });
    const pub = await admin.client.execute(
      admin.address,
      contract,
      { publish: { ...msg.publish, royalty: { ...msg.publish.royalty, resale_bps: 500 } } },
      "auto",
    );
    modelId = BigInt(eventAttr(pub.events, "wasm", "model")!);
    const chain: CosmosChain = {
      name: "devnetC",
      family: "cosmos",
      hexsChainId: HEXS_CHAIN,
      rpcUrl: env.rpc,
      cosmosChainId: env.chainId,
      bech32Prefix: PREFIX,
      contract,
    };
    const wallet = async (name: string) => DirectSecp256k1HdWallet.fromMnemonic(devnetMnemonic(name), { prefix: PREFIX });
    keplr = new KeplrBackend(await wallet("carol"));
    [{ address: me }] = await keplr.wallet.getAccounts();
    // carol (the page's account) holds a key; bob holds another and lists it at 3 COSM
    const carol = await connectCosmos(chain, await wallet("carol"));
    myKey = (await cosmosBuyKey(carol, modelId)).keyId;
    carol.client.disconnect();
    bob = await connectCosmos(chain, await wallet("bob"));
    const bobsKey = (await cosmosBuyKey(bob, modelId)).keyId;
    await cosmosListKey(bob, { keyId: bobsKey, price: 3n * PRICE });
    site = await serveApp(dir, { indexerUrl: `http://127.0.0.1:${await firstFreePort(PORT_BASE + 20)}`, chains: [chain] });
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1200, height: 1400 } });
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await injectKeplr(page, () => keplr);
  });

  after(async () => {
    if (browser) await browser.close();
    if (site) await site.close();
    bob?.client.disconnect();
    admin?.client.disconnect();
    stopDevnet(started);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("lists a key the account holds at a price, then withdraws the listing", async () => {
    await page.goto(`${site.url}#/cosmos`);
    await page.getByRole("button", { name: "Connect Keplr on Devnet C" }).click();
    const mine = page.locator(`tr[data-key="${myKey}"]`);
    await mine.waitFor({ timeout: 30_000 });
    expect(await mine.innerText()).to.contain("not listed");
    await mine.getByLabel(`Price of key ${myKey} (COSM)`).fill("2.5");
    await mine.getByRole("button", { name: `List key ${myKey}` }).click();
    await page
      .getByTestId("cosmos-resale-done")
      .filter({ hasText: `Listed key ${myKey} for 2.5 COSM` })
      .waitFor({ timeout: 60_000 });
    const l = await listing(myKey);
    expect([l?.seller, l?.price.amount, l?.fillable]).to.deep.equal([me, "2500000", true]);
    await mine.filter({ hasText: "listed for 2.5 COSM" }).waitFor({ timeout: 30_000 });
    await shot("cosmos-resale-listed");

    await mine.getByRole("button", { name: `Cancel listing of key ${myKey}` }).click();
    await page
      .getByTestId("cosmos-resale-done")
      .filter({ hasText: `Withdrew the listing of key ${myKey}` })
      .waitFor({ timeout: 60_000 });
    expect(await listing(myKey)).to.equal(null);
    expect(await owner(myKey)).to.equal(me);
    expect(pageErrors).to.deep.equal([]);
  });

  it("buys another seller's listing: the key moves to the account, the contract keeps the royalty and the seller's credit", async () => {
    const row = page.locator("tr[data-listing]");
    await row.first().waitFor({ timeout: 30_000 });
    expect(await row.count()).to.equal(1);
    const key = BigInt((await row.first().getAttribute("data-listing"))!);
    expect(await row.first().innerText()).to.contain(bob.sender);
    const before = await held();
    await row
      .first()
      .getByRole("button", { name: `Buy key ${key} for 3 COSM` })
      .click();
    const done = page.getByTestId("cosmos-resale-done");
    await page
      .locator('[data-testid="cosmos-resale-done"], [data-testid="cosmos-resale-error"]')
      .first()
      .waitFor({ timeout: 60_000 });
    if (await page.getByTestId("cosmos-resale-error").count()) {
      await shot("cosmos-resale-buy-failed");
      expect.fail(await page.getByTestId("cosmos-resale-error").innerText());
    }
    expect(await done.innerText()).to.match(new RegExp(`Bought key ${key} from ${bob.sender} for 3 COSM \\(royalty 0\\.15 COSM`));
    expect(await owner(key)).to.equal(me);
    expect(await listing(key)).to.equal(null);
    expect((await held()) - before).to.equal(3n * PRICE);
    // the bought key shows among the account's keys, and no listing is left to buy
    await page.locator(`tr[data-key="${key}"]`).waitFor({ timeout: 30_000 });
    expect(await page.locator("tr[data-listing]").count()).to.equal(0);
    await shot("cosmos-resale-bought");
    expect(pageErrors).to.deep.equal([]);
  });
});
