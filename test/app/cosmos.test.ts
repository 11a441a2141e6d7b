// The web app's Cosmos page in headless Chromium against a real wasmd (scripts/wasmd.sh, own home
// and ports) with the Hexs CosmWasm contract deployed: a Keplr-compatible `window.keplr` is
// injected whose signer is a cosmjs DirectSecp256k1HdWallet in Node (real SIGN_MODE_DIRECT
// signatures over the page's sign docs), so the page, cosmjs in the page and the chain are all
// real. The page shows the contract's price, buys a key (connected → signing → submitted →
// confirmed), forks a model with an SDL sealed in the page (validated, encrypted, its key split
// over a key service's shard stores — in this process, ports 8850-8899 — the wallet signing their
// ADR-36 challenges; access on the contract's has_access for the fork) that a key holder on the
// chain then decrypts byte-equal, a malformed SDL refused before the wallet is asked; a rejected
// signature and an empty account lose nothing. cosmjs is
// loaded only once a Cosmos chain is picked: the catalog route's JS stays small.
// Screenshots go to app/test-results/ (gitignored).
// Run: flock /tmp/hexs-heavy.lock npx hardhat test test/app/cosmos.test.ts
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { Secp256k1HdWallet } from "@cosmjs/amino";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { ROOT } from "../../devnet/chains";
import { connectCosmos, cosmosBuyKey } from "../../sdk/cosmwasm-client";
import type { CosmosChain } from "../../sdk/chains";
import { decryptSdl, KeyServiceClient, localEndpoints } from "../../sdk/keys";
import { startKeyService, type RunningKeyService } from "../../services/key-service/service";
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
import type { Model, OwnerOfResponse } from "../../sdk/cosmwasm/Hexs.types";
import { launch, serveApp, type Browser, type Page, screenshot } from "./helpers/browser";
import { injectKeplr, KeplrBackend } from "./helpers/keplr";

const VERBOSE = process.env.HEXS_APP_VERBOSE === "1";
const PRICE = 1_500_000n; // 1.5 COSM
const KEY_PORTS = { from: 8850, to: 8899 }; // this suite's key service (decrypt.test.ts has 8800-8849)
const FORK_SDL = fs.readFileSync(path.join(ROOT, "devnet/fork.sdl.yaml"), "utf8");

describe("web app on a Cosmos chain (real wasmd) with a Keplr-compatible wallet", function () {
  this.timeout(900_000);
  let dir: string;
  let started = false;
  let env: DevnetEnv;
  let admin: User;
  let contract: string;
  let modelId: bigint;
  /** a model with no price on this chain (as a mirrored model is until its creator prices it here) */
  let unpriced: bigint;
  let site: { url: string; close: () => Promise<void> };
  let browser: Browser;
  let page: Page;
  let keplr: KeplrBackend;
  let buyer: string;
  const pageErrors: string[] = [];
  const scripts: string[] = [];
  const posted: string[] = [];
  let ks: RunningKeyService;
  let chain: CosmosChain;

  const shot = (name: string) => screenshot(page, name);
  const balance = async (who: string) => BigInt((await admin.client.getBalance(who, env.denom)).amount);
  const model = async (id: bigint) =>
    (await admin.client.queryContractSmart(contract, { model: { id: id.toString() } })) as Model;

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-app-cosmos-"));
    if (process.env.WASMD_EXTERNAL !== "1") {
      const rpc = await firstFreePort(19250 + (process.pid % 20) * 4);
      Object.assign(process.env, {
        WASMD_HOME: path.join(dir, "wasmd"),
        WASMD_RPC_PORT: String(rpc),
        WASMD_GRPC_PORT: String(await firstFreePort(19350 + (process.pid % 20) * 2)),
      });
    }
    started = startDevnet();
    env = devnetEnv();
    admin = await connect("validator", env);
    ({ contract } = await deploy(admin, instantiateMsg(admin.address, await relayerPubkeys(relayerKeys(3)), env.denom)));
    const pub = await admin.client.execute(
      admin.address,
      contract,
      publishMsg({ sdlUri: "ipfs://bafy-cosmos-llama", price: PRICE.toString(), deployPrice: "0", forkRoyaltyBps: 1000 }),
      "auto",
    );
    modelId = BigInt(eventAttr(pub.events, "wasm", "model")!);
    const pub0 = await admin.client.execute(
      admin.address,
      contract,
      publishMsg({ sdlUri: "ipfs://bafy-cosmos-unpriced", price: "0", deployPrice: "0", forkRoyaltyBps: 1000 }),
      "auto",
    );
    unpriced = BigInt(eventAttr(pub0.events, "wasm", "model")!);
    const carol = devnetMnemonic("carol");
    keplr = new KeplrBackend(await DirectSecp256k1HdWallet.fromMnemonic(carol, { prefix: PREFIX }));
    [{ address: buyer }] = await keplr.wallet.getAccounts();
    chain = {
      name: "devnetC",
      family: "cosmos",
      hexsChainId: HEXS_CHAIN,
      rpcUrl: env.rpc,
      cosmosChainId: env.chainId,
      bech32Prefix: PREFIX,
      contract,
      keyServiceChain: `hexs-wasm-${HEXS_CHAIN}`,
    } as CosmosChain;
    // the key service checks access on this chain's contract (has_access), under its own name for
    // the chain, as the devnet's does; the registry entry says which
    ks = await startKeyService({
      dir: path.join(dir, "keys"),
      chains: [{ name: chain.keyServiceChain!, kind: "cosmwasm", rpcUrl: env.rpc }],
      port: KEY_PORTS,
      storePorts: KEY_PORTS,
    });
    // the Cosmos page reads its chain directly; no EVM chain or indexer in this deployment
    site = await serveApp(dir, {
      indexerUrl: `http://127.0.0.1:${await firstFreePort(19450)}`,
      keyServiceUrl: ks.url,
      chains: [chain],
    });
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
    page.on("pageerror", (e) => pageErrors.push(e.message));
    page.on("request", (r) => {
      if (r.url().endsWith(".js")) scripts.push(new URL(r.url()).pathname);
      posted.push(`${r.url()} ${r.postData() ?? ""}`);
    });
    if (VERBOSE) page.on("console", (m) => console.log(`    [page] ${m.text()}`));
    await injectKeplr(page, () => keplr);
  });

  after(async () => {
    if (browser) await browser.close();
    if (site) await site.close();
    if (ks) await ks.close();
    stopDevnet(started);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("the catalog route loads ≤ 400 KiB of JS (gzip) and no cosmjs; picking the Cosmos chain loads it and shows the contract's price", async () => {
    await page.goto(site.url);
    await page.getByRole("link", { name: "Cosmos" }).waitFor();
    const dist = path.join(dir, "app-dist");
    const initial = [...new Set(scripts)];
    const gz = initial.reduce((n, p) => n + zlib.gzipSync(fs.readFileSync(path.join(dist, p))).length, 0);
    if (VERBOSE) console.log(`    catalog route JS: ${initial.join(", ")}: ${(gz / 1024).toFixed(1)} KiB gzip`);
    expect(gz).to.be.at.most(400 * 1024);
    await page.getByRole("link", { name: "Cosmos" }).click();
    await page.getByRole("heading", { level: 1, name: "Cosmos chains" }).waitFor();
    // the page's own (lazy) chunk may load with the route; cosmjs only once a chain is picked
    const onRoute = [...new Set(scripts)].filter((p) => !initial.includes(p));
    expect(
      onRoute.every((p) => /\/CosmosPage-[^/]+\.js$/.test(p)),
      `before the chain is picked: ${onRoute.join(", ")}`,
    ).to.equal(true);
    const beforePick = scripts.length;
    await page.getByRole("button", { name: "Connect Keplr on Devnet C" }).click();
    const row = page.locator(`tr[data-model="${modelId}"]`);
    await row.waitFor({ timeout: 30_000 });
    expect(scripts.length, "cosmjs is loaded once the chain is picked").to.be.greaterThan(beforePick);
    // the wallet did not know the chain: the page suggested it (from its config and the contract's denom), then enabled it
    expect(keplr.calls.slice(0, 2)).to.deep.equal(["suggestChain", "enable"]);
    const [info] = keplr.suggested;
    expect([info.chainId, info.chainName, info.rpc, info.bech32Config.bech32PrefixAccAddr, info.bip44.coinType]).to.deep.equal([
      env.chainId,
      "Devnet C",
      env.rpc,
      PREFIX,
      118,
    ]);
    expect(info.currencies).to.deep.equal([
      { coinDenom: env.denom.slice(1).toUpperCase(), coinMinimalDenom: env.denom, coinDecimals: 6 },
    ]);
    expect(info.feeCurrencies[0].gasPriceStep).to.deep.equal({ low: 0.025, average: 0.025, high: 0.05 });
    expect(await row.innerText()).to.match(/original model\s+0\s+1\.5 COSM/);
    expect(await page.getByLabel("connected Cosmos account").innerText()).to.contain(buyer);
    // a model without metadata (published on Cosmos, no indexer here) is named by its serial and home chain, not its raw id
    expect(await row.locator("th").innerText()).to.match(new RegExp(`^Model ${modelId & 0xffffffffn} from Devnet C`));
    // the header's wallet badge shows the Keplr account (this page has no EIP-1193 wallet)
    const badge = page.getByLabel("connected Keplr wallet");
    expect(await badge.innerText()).to.contain(`Keplr ${buyer.slice(0, 6)}…${buyer.slice(-4)} · Devnet C`);
    expect(await page.locator(".wallet.muted").count(), "no 'No wallet detected' badge").to.equal(0);
    await shot("cosmos-connected");
  });

  it("a model with no price on this chain says so (never “Buy … for 0”) and offers no Buy button; the contract would refuse it", async () => {
    const row = page.locator(`tr[data-model="${unpriced}"]`);
    await row.waitFor({ timeout: 30_000 });
    expect((await model(unpriced)).price).to.equal("0");
    const text = await row.innerText();
    expect(text).to.contain("not for sale on Devnet C");
    expect(text).to.not.match(/for 0\b/);
    // no catalog here (no indexer): no chain is known to price it
    expect(await row.getByTestId("priced-elsewhere").innerText()).to.equal("Not priced on any chain yet");
    expect(await row.getByRole("button").count()).to.equal(0);
    expect(await page.getByRole("button", { name: /^Buy on Devnet C for 0\b/ }).count()).to.equal(0);
    await shot("cosmos-not-for-sale");
  });

  it("buys a key with Keplr: connected → signing → submitted → confirmed; the contract holds the key and took the price", async () => {
    const [contractBefore, buyerBefore] = [await balance(contract), await balance(buyer)];
    await page.getByRole("button", { name: "Buy on Devnet C for 1.5 COSM" }).click();
    const status = page.getByRole("status", { name: "Cosmos transaction progress" });
    await status.locator('[data-testid="step-confirmed"].done').waitFor({ timeout: 60_000 });
    for (const k of ["connected", "checking", "signing", "submitted"])
      expect(await status.locator(`[data-testid="step-${k}"]`).getAttribute("class")).to.contain("done");
    expect(await status.locator('[data-testid="step-submitted"]').innerText()).to.match(/Transaction submitted: [0-9A-F]{10}…/);
    const keyId = BigInt(/key (\d+)/.exec(await status.locator('[data-testid="step-confirmed"]').innerText())![1]);
    expect(keyId >> 32n).to.equal(BigInt(HEXS_CHAIN));
    const held = (await admin.client.queryContractSmart(contract, {
      owner_of: { token_id: keyId.toString() },
    })) as OwnerOfResponse;
    expect(held.owner).to.equal(buyer);
    expect(keplr.signed).to.equal(1);
    // the contract took exactly the price; the buyer paid it plus the fee the page reported
    expect((await balance(contract)) - contractBefore).to.equal(PRICE);
    const done = await page.getByTestId("cosmos-done").innerText();
    const fee = BigInt(Math.round(Number(/fee ([\d.]+) COSM/.exec(done)![1]) * 1e6));
    expect(buyerBefore - (await balance(buyer))).to.equal(PRICE + fee);
    expect((await model(modelId)).minted).to.equal(1);
    // keys sold on the row follows (the page reads the contract again after the purchase)
    const row = page.locator(`tr[data-model="${modelId}"]`);
    for (let i = 0; i < 60 && !/original model\s+1\s/.test(await row.innerText()); i++)
      await new Promise((r) => setTimeout(r, 500));
    expect(await row.innerText()).to.match(/original model\s+1\s+1\.5 COSM/);
    await shot("cosmos-buy-confirmed");
  });

  it("a rejected signature in Keplr: 'Signature rejected', nothing sent, nothing paid", async () => {
    keplr.reject = true;
    const [contractBefore, buyerBefore] = [await balance(contract), await balance(buyer)];
    try {
      await page.getByRole("button", { name: "Buy on Devnet C for 1.5 COSM" }).click();
      const alert = page.getByTestId("buy-error");
      await alert.filter({ hasText: "Signature rejected" }).waitFor({ timeout: 30_000 });
      expect(await alert.innerText()).to.match(/Signature rejected\. You declined the request in your wallet\. Nothing was sent/);
      expect(await page.getByTestId("step-signing").getAttribute("class")).to.contain("failed");
      expect(await page.getByTestId("step-submitted").getAttribute("class")).to.contain("todo");
      expect(await balance(buyer)).to.equal(buyerBefore);
      expect(await balance(contract)).to.equal(contractBefore);
      expect((await model(modelId)).minted).to.equal(1);
      await shot("cosmos-buy-rejected");
    } finally {
      keplr.reject = false;
    }
  });

  it("an empty account: 'Insufficient funds' before anything is signed", async () => {
    const rich = keplr;
    keplr = new KeplrBackend(await DirectSecp256k1HdWallet.generate(12, { prefix: PREFIX }));
    const [{ address: empty }] = await keplr.wallet.getAccounts();
    try {
      await page.getByRole("button", { name: "Reconnect Keplr" }).click();
      await page.getByLabel("connected Cosmos account").filter({ hasText: empty }).waitFor({ timeout: 30_000 });
      expect(await page.getByLabel("connected Keplr wallet").innerText()).to.contain(
        `Keplr ${empty.slice(0, 6)}…${empty.slice(-4)}`,
      );
      await page.getByRole("button", { name: "Buy on Devnet C for 1.5 COSM" }).click();
      const alert = page.getByTestId("buy-error");
      await alert.filter({ hasText: "Insufficient funds" }).waitFor({ timeout: 30_000 });
      expect(await alert.innerText()).to.contain(`${empty} has 0 COSM but needs 1.5 COSM`);
      expect(keplr.signed).to.equal(0);
      expect(await page.getByTestId("step-checking").getAttribute("class")).to.contain("failed");
      expect(await page.getByTestId("step-signing").getAttribute("class")).to.contain("todo");
      expect((await model(modelId)).minted).to.equal(1);
      await shot("cosmos-buy-insufficient-funds");
    } finally {
      keplr = rich;
    }
  });

  it("forks a model on Cosmos with an SDL sealed in the page: the fork carries the sealed locator and commitment; a key holder on Cosmos decrypts it byte-equal", async () => {
    await page.getByRole("button", { name: "Reconnect Keplr" }).click();
    await page.getByLabel("connected Cosmos account").filter({ hasText: buyer }).waitFor({ timeout: 30_000 });
    const form = page.getByRole("form", { name: "Fork a model on Devnet C" });
    await form.getByLabel("The fork's SDL").fill(FORK_SDL);
    await form.getByLabel("Key price (COSM)").fill("2.25");
    await form.getByLabel("Royalty share forks of this fork pay it (%)").fill("5");
    const [signedBefore, requestsBefore] = [keplr.arbitrary, posted.length];
    await form.getByRole("button", { name: "Fork on Devnet C" }).click();
    const done = page.getByTestId("cosmos-done");
    await page.locator('[data-testid="cosmos-done"], [data-testid="buy-error"]').first().waitFor({ timeout: 90_000 });
    if (await page.getByTestId("buy-error").count()) {
      await shot("cosmos-fork-failed");
      expect.fail(`the fork failed: ${await page.getByTestId("buy-error").innerText()}`);
    }
    expect(await done.innerText()).to.contain(
      "Its SDL was encrypted in this page; holders of its keys on Devnet C may decrypt it",
    );
    const forkId = BigInt(/as model (\d+)/.exec(await done.innerText())![1]);
    const f = await model(forkId);
    expect(BigInt(f.parent!)).to.equal(modelId);
    expect(f.price).to.equal("2250000");
    expect(f.royalty.fork_royalty_bps).to.equal(500);
    expect(f.upstream_bps).to.equal(1000); // the parent's fork royalty
    // the sealed locator (the ciphertext's CID and the key check) and a 32-byte content commitment
    expect(f.sdl_uri).to.match(/^ipfs:\/\/[A-Za-z0-9]+#kc=0x[0-9a-f]{64}$/);
    expect(Buffer.from(f.content, "base64")).to.have.length(32);
    // the wallet signed the stores' challenges (upload and grant), and nothing secret left the page
    expect(keplr.arbitrary - signedBefore).to.be.greaterThan(0);
    const sent = posted.slice(requestsBefore).join("\n");
    expect(sent).to.contain(ks.url.replace(/\/$/, ""));
    for (const secret of ["llama-3-8b-medical", "profiles:", "HEXS_"]) expect(sent).to.not.contain(secret);
    const row = page.locator(`tr[data-model="${forkId}"]`);
    await row.waitFor({ timeout: 30_000 });
    expect(await row.innerText()).to.match(
      new RegExp(`fork of Model ${modelId & 0xffffffffn} from Devnet C\\s+0\\s+2\\.25 COSM`),
    );
    await shot("cosmos-fork");

    // alice, with no key, is refused; after buying a key of the fork on this chain, she decrypts it
    const alice = devnetMnemonic("alice");
    const amino = await Secp256k1HdWallet.fromMnemonic(alice, { prefix: PREFIX });
    const [{ address }] = await amino.getAccounts();
    const holder = { family: "cosmos" as const, address, signer: amino };
    const client = new KeyServiceClient(localEndpoints(ks.url));
    await expect(decryptSdl(client, holder, f.sdl_uri)).to.be.rejectedWith(/access|denied|not allowed|no key/i);
    const h = await connectCosmos(chain, await DirectSecp256k1HdWallet.fromMnemonic(alice, { prefix: PREFIX }));
    try {
      await cosmosBuyKey(h, forkId);
    } finally {
      h.client.disconnect();
    }
    expect(Buffer.from(await decryptSdl(client, holder, f.sdl_uri)).toString("utf8")).to.equal(FORK_SDL);
    expect(pageErrors).to.deep.equal([]);
  });

  it("a malformed SDL in the Cosmos fork form is refused in the page before the wallet is asked", async () => {
    const form = page.getByRole("form", { name: "Fork a model on Devnet C" });
    const [calls, requests, paid] = [keplr.calls.length, posted.length, await balance(buyer)];
    const models = ((await admin.client.queryContractSmart(contract, { models: {} })) as { models: unknown[] }).models.length;
    await form.getByLabel("The fork's SDL").fill("version: '2.0'\nservices: {}\n");
    await form.getByRole("button", { name: "Fork on Devnet C" }).click();
    const alert = page.getByTestId("buy-error");
    await alert.filter({ hasText: "The SDL is not valid" }).waitFor({ timeout: 30_000 });
    expect(await alert.innerText()).to.contain('Missing required field: "profiles"');
    expect(await alert.innerText()).to.contain("Nothing was uploaded or sent");
    expect(keplr.calls.length, "the wallet was not asked for anything").to.equal(calls);
    expect(posted.slice(requests).filter((r) => r.startsWith(ks.url))).to.deep.equal([]);
    expect(await balance(buyer)).to.equal(paid);
    expect(((await admin.client.queryContractSmart(contract, { models: {} })) as { models: unknown[] }).models.length).to.equal(
      models,
    );
    await shot("cosmos-fork-invalid-sdl");
    expect(pageErrors).to.deep.equal([]);
  });

  it("a fork whose grant the key service does not take: the page says the fork is registered and, after a reload, 'Grant key holders access again' lets a key holder decrypt it", async () => {
    const models = async () => ((await admin.client.queryContractSmart(contract, { models: {} })) as { models: Model[] }).models;
    const before = (await models()).length;
    // the shard stores are unreachable for the access rule only (the upload goes through)
    let refused = 0;
    await page.route("**/v2/conditions/**", (r) => (refused++, r.abort("connectionrefused")));
    const form = page.getByRole("form", { name: "Fork a model on Devnet C" });
    await form.getByLabel("The fork's SDL").fill(FORK_SDL);
    await form.getByLabel("Key price (COSM)").fill("1.5");
    await form.getByRole("button", { name: "Fork on Devnet C" }).click();
    const alert = page.getByTestId("buy-error");
    await alert.filter({ hasText: "Fork registered, but its key holders cannot decrypt it yet" }).waitFor({ timeout: 90_000 });
    expect(refused).to.be.greaterThan(0);
    expect(await alert.innerText()).to.contain("only you can decrypt the SDL");
    const after = await models();
    expect(after.length).to.equal(before + 1);
    const fork = after.at(-1)!;
    expect(fork.sdl_uri).to.match(/^ipfs:\/\//);
    await shot("cosmos-fork-not-granted");

    // a holder of the fork's key is refused until the grant is made
    const alice = devnetMnemonic("alice");
    const amino = await Secp256k1HdWallet.fromMnemonic(alice, { prefix: PREFIX });
    const holder = { family: "cosmos" as const, address: (await amino.getAccounts())[0].address, signer: amino };
    const h = await connectCosmos(chain, await DirectSecp256k1HdWallet.fromMnemonic(alice, { prefix: PREFIX }));
    try {
      await cosmosBuyKey(h, BigInt(fork.id));
    } finally {
      h.client.disconnect();
    }
    const client = new KeyServiceClient(localEndpoints(ks.url));
    await expect(decryptSdl(client, holder, fork.sdl_uri)).to.be.rejectedWith(/access|denied|not allowed|no key|condition/i);

    // a reload keeps the ungranted fork; once the key service answers, granting again works
    await page.unroute("**/v2/conditions/**");
    await page.reload();
    await page.getByRole("heading", { level: 1, name: "Cosmos chains" }).waitFor();
    await page.getByRole("button", { name: "Connect Keplr on Devnet C" }).click();
    const notice = page.getByTestId("cosmos-ungranted");
    await notice.waitFor({ timeout: 30_000 });
    expect(await notice.innerText()).to.contain("cannot decrypt its SDL yet");
    await shot("cosmos-fork-grant-again");
    const paid = await balance(buyer);
    await notice.getByRole("button", { name: "Grant key holders access again" }).click();
    await page.getByTestId("cosmos-done").filter({ hasText: "may now decrypt its SDL" }).waitFor({ timeout: 60_000 });
    expect(await page.getByTestId("cosmos-ungranted").count()).to.equal(0);
    expect(await balance(buyer), "granting sends no transaction").to.equal(paid);
    expect(Buffer.from(await decryptSdl(client, holder, fork.sdl_uri)).toString("utf8")).to.equal(FORK_SDL);
    expect(pageErrors).to.deep.equal([]);
  });

  it("a wallet that refuses to add the chain: 'Chain not added', then nothing else is asked or sent", async () => {
    const refusing = new KeplrBackend(keplr.wallet);
    refusing.refuseSuggestions = true;
    const [contractBefore, buyerBefore] = [await balance(contract), await balance(buyer)];
    const p2 = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    const errors: string[] = [];
    p2.on("pageerror", (e) => errors.push(e.message));
    try {
      await injectKeplr(p2, () => refusing);
      await p2.goto(`${site.url}#/cosmos`);
      await p2.getByRole("button", { name: "Connect Keplr on Devnet C" }).click();
      const alert = p2.getByTestId("buy-error");
      await alert.filter({ hasText: "Chain not added" }).waitFor({ timeout: 30_000 });
      expect(await alert.innerText()).to.match(
        new RegExp(
          `Chain not added to your wallet\\. Your wallet did not add Devnet C \\(${env.chainId}\\): Request rejected\\. .*nothing was signed or sent\\. Connect again and approve adding Devnet C`,
        ),
      );
      // the suggestion was the only request: no enable, no account read, no signature
      expect(refusing.calls).to.deep.equal(["suggestChain"]);
      expect(refusing.suggested).to.deep.equal([]);
      expect(await p2.getByLabel("connected Cosmos account").count()).to.equal(0);
      expect(await p2.getByLabel("connected Keplr wallet").count()).to.equal(0);
      expect(await balance(buyer)).to.equal(buyerBefore);
      expect(await balance(contract)).to.equal(contractBefore);
      await screenshot(p2, "cosmos-chain-refused");
      // once the user accepts, the same button connects
      refusing.refuseSuggestions = false;
      await p2.getByRole("button", { name: "Connect Keplr on Devnet C" }).click();
      await p2.getByLabel("connected Cosmos account").filter({ hasText: buyer }).waitFor({ timeout: 30_000 });
      expect(refusing.calls.slice(1, 3)).to.deep.equal(["suggestChain", "enable"]);
      expect(errors).to.deep.equal([]);
    } finally {
      await p2.close();
    }
  });
});
