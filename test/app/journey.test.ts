// Issue 12's whole journey in a real browser on the devnet itself: the devnet's own code
// (devnet/network.ts startDevnet: two EVM chains, wasmd, three relayer operators, the LayerZero
// executor, the key service with five shard stores, the Akash stand-in; devnet/app.ts
// startDevnetApp: chains.json, the indexer and the built app on 127.0.0.1) is started in this
// process — every child stopped by PID at the end — and three people use the app in headless
// Chromium: a creator publishes a model in the studio on chain A and makes its DAO on chain B; a
// second user forks it on the Cosmos chain with a Keplr-compatible wallet (SDL sealed in the
// page); a third buys the fork's key on chain B with an Akash deployment, sees it mirrored,
// decrypts the SDL in the page (byte-equal to the forker's) and sees its lease; the creator sees
// the royalty and claims it; a DAO proposal is made, voted and executed. Each step is checked on
// the page and on the chains (and the Akash stand-in). The Cosmos forker does what she needs on
// the EVM chains from the Cosmos page: her fork's price on B (an ADR-36 signed price order her
// page's EVM wallet submits), her grant of the SDL to the lease operators, and, once the buyer
// settled the fork's level of the vault on the model page, binding her EVM payout address on B and
// claiming her royalty there.
// Screenshots: app/test-results/journey-*.png. The devnet's logs: .devnet/journey/logs/.
// Run (one devnet at a time: it takes the devnet's fixed ports):
//   flock /tmp/hexs-heavy.lock bash scripts/app-test.sh test/app/journey.test.ts
import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { formatEther, parseEther, toBeHex, Wallet, ZeroAddress, zeroPadValue } from "ethers";
import { fromBech32, toHex } from "@cosmjs/encoding";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import * as hexs from "../../sdk";
import { decryptForHolder, evmHolder, KeyServiceClient, localEndpoints } from "../../sdk/keys";
import { AkashClient } from "../../sdk/akash/client";
import type { Model } from "../../sdk/cosmwasm/Hexs.types";
import { startDevnetApp } from "../../devnet/app";
import { COSMOS_CHAIN, ROOT, sdkChain, type EvmChain as DevnetEvmChain } from "../../devnet/chains";
import { startDevnet, type Devnet } from "../../devnet/network";
import { Supervisor, waitFor } from "../../devnet/procs";
import { devnetMnemonic, PREFIX } from "../../devnet/wasmd";
import { failedShot, injectWallet, launch, screenshot, TestWallet, type Browser, type Page } from "./helpers/browser";
import { injectKeplr, KeplrBackend } from "./helpers/keplr";

const VERBOSE = process.env.HEXS_APP_VERBOSE === "1";
const DIR = path.join(ROOT, ".devnet/journey");
const SDL = fs.readFileSync(path.join(ROOT, "devnet/fork.sdl.yaml"), "utf8");
const NATIVE = hexs.NATIVE;
/** The fork's price on B, set by its Cosmos creator's signed order: a key, and the deployment escrow. */
const FORK_PRICE = parseEther("0.02");
const DEPLOY_PRICE = parseEther("0.01");
/** How long the lease may take from the purchase to LeaseReported applied on B (the scenario allows 180 s). */
const LEASE_TIMEOUT_MS = 240_000;
const MIRROR_TIMEOUT_MS = 120_000;

describe("the app's whole journey on the devnet (issue 12): publish, fork on Cosmos, buy on B, decrypt, lease, royalties, DAO", function () {
  this.timeout(1_500_000);
  this.bail(true); // each step builds on the one before
  const sup = new Supervisor(path.join(DIR, "logs"));
  let net: Devnet;
  let a: DevnetEvmChain;
  let b: DevnetEvmChain;
  let url: string;
  let browser: Browser;
  const pages: Record<"creator" | "forker" | "buyer", Page | undefined> = {
    creator: undefined,
    forker: undefined,
    buyer: undefined,
  };
  const pageErrors: string[] = [];
  let creator: TestWallet;
  let buyer: TestWallet;
  /** the forker's EVM wallet in her page: submits her signed price order (gas only), then is her payout address on B */
  let forkerEvm: TestWallet;
  let keplr: KeplrBackend;
  let forkerAddress: string;
  const member2 = Wallet.createRandom().address;
  const payee = Wallet.createRandom().address;
  // what the journey makes, step by step
  let root: bigint;
  let fork: bigint;
  let keyId: bigint;
  let locator: string;
  let governor: string;

  const say = (line: string) => {
    if (VERBOSE) console.log(`    [devnet] ${line}`);
  };
  const on = (c: DevnetEvmChain) => hexs.connectContracts(sdkChain(c), c.provider);
  const q = <T>(msg: unknown): Promise<T> => net.cosmos.admin.client.queryContractSmart(net.cosmos.contract, msg) as Promise<T>;
  const hex20 = (bech: string) => "0x" + toHex(fromBech32(bech, 1023).data);
  /** Wait for a mirror; on a timeout, say what each EVM hub applied and rejected. */
  const mirrored = async (label: string, probe: () => Promise<boolean>) => {
    try {
      // the devnet's executor gives lzReceive exactly the packet's options' gas, as LayerZero's does:
      // a message refused for lack of it shows in the timeout's report below
      await waitFor(label, MIRROR_TIMEOUT_MS, probe);
    } catch (e) {
      const seen: string[] = [];
      for (const c of net.evm) {
        const hub = on(c).hub!;
        const applied = await hub.queryFilter(hub.filters.MessageApplied());
        const rejected = await hub.queryFilter(hub.filters.MessageRejected());
        seen.push(
          `${c.label}: applied ${applied.map((x) => `${x.args.srcChain}#${x.args.nonce} kind ${x.args.kind}`).join(", ") || "none"}; ` +
            `rejected ${rejected.map((x) => `${x.args.srcChain}#${x.args.nonce} kind ${x.args.kind} (${x.args.reason})`).join(", ") || "none"}`,
        );
      }
      throw new Error(`${(e as Error).message}\n${seen.join("\n")}`, { cause: e });
    }
  };

  async function newPage(who: keyof typeof pages): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.on("pageerror", (e) => pageErrors.push(`${who}: ${e.message}`));
    if (VERBOSE) page.on("console", (m) => console.log(`    [${who}'s page] ${m.text()}`));
    pages[who] = page;
    return page;
  }

  before(async function () {
    net = await startDevnet({ dir: DIR, sup, say, sponsor: false });
    [a, b] = net.evm;
    const app = await startDevnetApp(net, say);
    if (!app) throw new Error("the devnet's web app did not start: run scripts/app-build.sh first (it builds app/dist)");
    url = app.url;
    // two EVM users with their own keys (the injected wallet signs in Node), funded on A and B
    const fund = async (w: Wallet) => {
      for (const c of net.evm) await c.provider.send("hardhat_setBalance", [w.address, toBeHex(parseEther("10"))]);
    };
    const chains = net.evm.map((c) => hexs.evmChain(sdkChain(c)));
    const [ck, bk, fk] = [0, 1, 2].map(() => new Wallet(Wallet.createRandom().privateKey));
    await fund(ck);
    await fund(bk);
    await fund(fk);
    creator = new TestWallet(ck, chains, a.evmChainId);
    buyer = new TestWallet(bk, chains, a.evmChainId);
    forkerEvm = new TestWallet(fk, chains, a.evmChainId);
    // the forker: a Cosmos account funded at the devnet's genesis (alice's; the scenario does not run here)
    keplr = new KeplrBackend(await DirectSecp256k1HdWallet.fromMnemonic(devnetMnemonic("alice"), { prefix: PREFIX }));
    [{ address: forkerAddress }] = await keplr.wallet.getAccounts();
    browser = await launch();
    await injectWallet(await newPage("creator"), () => creator);
    const forkerPage = await newPage("forker");
    await injectKeplr(forkerPage, () => keplr);
    await injectWallet(forkerPage, () => forkerEvm);
    await injectWallet(await newPage("buyer"), () => buyer);
  });

  afterEach(async function () {
    const t = this.currentTest;
    if (t?.state === "failed") {
      for (const [who, p] of Object.entries(pages)) if (p) await screenshot(p, failedShot(`journey-failed-${who}-`, t.title));
      if (pageErrors.length) console.log(`    errors raised in the pages:\n${pageErrors.map((e) => `      ${e}`).join("\n")}`);
    }
  });

  after(async () => {
    await browser?.close();
    for (const c of net?.cosmos ? [net.cosmos.admin, ...Object.values(net.cosmos.users)] : []) c.client.disconnect();
    await sup.stopAll(say);
  });

  it("1. a creator publishes a model in the studio on chain A (SDL sealed in the page); it is mirrored to B and the Cosmos chain", async () => {
    const page = pages.creator!;
    await page.goto(`${url}#/studio`);
    const form = page.getByRole("form", { name: "Publish or fork a model" });
    await form.waitFor({ timeout: 60_000 });
    await form.getByLabel("Model name").fill("Journey Llama 8B");
    await form.getByLabel("Description").fill("An 8B model served on Akash, published on the devnet from the studio.");
    await form.getByLabel("SDL (the Akash deployment file, YAML; encrypted in this page before upload)").fill(SDL);
    await form.getByLabel("Royalty share forks of this model pay it (%)").fill("25");
    await form.getByLabel("DAO share of each sale (%)").fill("20");
    await form.getByRole("button", { name: "Publish" }).click();
    const done = page.getByTestId("publish-done");
    await page.locator('[data-testid="publish-done"], [data-testid="publish-error"]').first().waitFor({ timeout: 120_000 });
    if (await page.getByTestId("publish-error").count())
      expect.fail(`the publish failed: ${await page.getByTestId("publish-error").innerText()}`);
    expect(await done.innerText()).to.match(/Published “Journey Llama 8B” as model \d+ \(1:\d+\) on Devnet A/);
    root = BigInt((await done.getAttribute("data-model"))!);
    await screenshot(page, "journey-1-published");

    const m = await hexs.getModel(on(a), root, NATIVE);
    expect([m.creator, m.forkRoyaltyBps, m.daoBps, m.parentId]).to.deep.equal([creator.address, 2500n, 2000n, 0n]);
    expect(m.sdlLocator).to.match(/#kc=0x[0-9a-f]{64}$/); // sealed with the devnet's key service
    await mirrored(`model ${root} on ${b.label}`, async () => (await on(b).registry.model(root)).creator === creator.address);
    await mirrored(
      `model ${root} on the Cosmos chain`,
      async () => (await q<Model | null>({ model: { id: root.toString() } })) !== null,
    );
    expect((await on(b).registry.model(root)).contentCommitment).to.equal(m.contentCommitment);
  });

  it("2. the creator makes the model's DAO on chain B in the page, with two members", async () => {
    const page = pages.creator!;
    await page.goto(`${url}#/model/${root}`);
    const daoLink = page.getByRole("link", { name: "Members, treasury and proposals on each chain" });
    await daoLink.waitFor({ timeout: 60_000 }); // the indexer has read the model
    await daoLink.click();
    await page.getByRole("heading", { name: "DAO of Journey Llama 8B" }).waitFor({ timeout: 30_000 });
    const sectionB = page.locator('section[data-chain="2"]');
    await sectionB.getByTestId("dao-missing").filter({ hasText: "No DAO on Devnet B yet." }).waitFor({ timeout: 30_000 });
    await sectionB
      .getByLabel("Founding members (addresses, one per line or separated by commas)")
      .fill(`${creator.address}\n${member2}`);
    await sectionB.getByLabel("Voting period (blocks)").fill("5");
    await sectionB.getByRole("button", { name: "Create DAO" }).click();
    await page.getByTestId("dao-done").filter({ hasText: "DAO created on Devnet B with 2 members" }).waitFor({ timeout: 60_000 });
    governor = await on(b).registry.daoOf(root);
    expect(governor).to.not.equal(ZeroAddress);
    const gov = await hexs.governorOf(on(b), root);
    expect(await gov.getAddress()).to.equal(governor);
    const membership = hexs.membershipAt(on(b), await gov.token());
    expect([await membership.isMember(creator.address), await membership.isMember(member2)]).to.deep.equal([true, true]);
    await page
      .getByRole("table", { name: "members on Devnet B" })
      .locator(`tr[data-member="${member2.toLowerCase()}"]`)
      .waitFor({ timeout: 30_000 });
    await screenshot(page, "journey-2-dao-created");

    // the root is priced on A only: the Cosmos page (step 3) must send its buyers there, not offer it for 0
    await page.goto(`${url}#/studio`);
    const priceForm = page.getByRole("form", { name: "Set a price for Journey Llama 8B" });
    await priceForm.waitFor({ timeout: 60_000 });
    await priceForm.getByLabel("Chain").selectOption(String(a.hexsChainId));
    await priceForm.getByLabel("Key price").fill("0.05");
    await priceForm.getByRole("button", { name: "Set price" }).click();
    await page.getByTestId("studio-done").filter({ hasText: "Price set: 0.05 ETH on Devnet A" }).waitFor({ timeout: 60_000 });
    expect((await on(a).registry.saleInfo(root, NATIVE)).keyPrice).to.equal(parseEther("0.05"));
  });

  it("3. a second user forks it on the Cosmos chain with the Keplr-compatible wallet; the fork is mirrored to A and B", async () => {
    const page = pages.forker!;
    await page.goto(`${url}#/cosmos`);
    await page.getByRole("button", { name: /^Connect Keplr on / }).click();
    await page.getByLabel("connected Cosmos account").filter({ hasText: forkerAddress }).waitFor({ timeout: 60_000 });
    // the wallet did not know the devnet's chain: the page suggested it first
    expect(keplr.calls.slice(0, 2)).to.deep.equal(["suggestChain", "enable"]);
    const rootRow = page.locator(`tr[data-model="${root}"]`);
    await rootRow.waitFor({ timeout: 30_000 });
    // the chain's name from the registry (its label), never the implementation's ("wasmd")
    expect(await page.locator("body").innerText()).to.not.match(/wasmd/i);
    expect(await page.getByRole("heading", { name: "Models on Hexs Cosmos devnet" }).count()).to.equal(1);
    // mirrored here with no price on this chain: not "Buy … for 0", but where it is for sale
    expect(await rootRow.innerText()).to.contain("not for sale on Hexs Cosmos devnet");
    expect(await rootRow.getByRole("button").count(), "no Buy button for an unpriced model").to.equal(0);
    await rootRow
      .getByTestId("priced-elsewhere")
      .filter({ hasText: "Priced on Devnet A: buy on its model page" })
      .waitFor({ timeout: 60_000 });
    expect(await rootRow.getByRole("link", { name: "buy on its model page" }).getAttribute("href")).to.equal(`#/model/${root}`);
    await screenshot(page, "journey-3-not-for-sale-here");
    const form = page.getByRole("form", { name: /^Fork a model on / });
    await form.getByLabel("Parent model").selectOption(root.toString());
    await form.getByLabel("The fork's SDL").fill(SDL);
    await form.getByLabel(/^Key price/).fill("1.5");
    await form.getByLabel("Royalty share forks of this fork pay it (%)").fill("10");
    await form.getByRole("button", { name: /^Fork on / }).click();
    await page.locator('[data-testid="cosmos-done"], [data-testid="buy-error"]').first().waitFor({ timeout: 120_000 });
    if (await page.getByTestId("buy-error").count())
      expect.fail(`the fork failed: ${await page.getByTestId("buy-error").innerText()}`);
    const done = await page.getByTestId("cosmos-done").innerText();
    expect(done).to.contain("Its SDL was encrypted in this page");
    fork = BigInt(/as model (\d+)/.exec(done)![1]);
    expect(fork >> 32n).to.equal(BigInt(COSMOS_CHAIN));
    await page.locator(`tr[data-model="${fork}"]`).waitFor({ timeout: 30_000 });
    await screenshot(page, "journey-3-forked-on-cosmos");

    const f = await q<Model>({ model: { id: fork.toString() } });
    expect(String(f.parent)).to.equal(root.toString());
    expect(f.upstream_bps).to.equal(2500); // what the parent asks of its forks
    expect(f.price).to.equal("1500000");
    expect(f.sdl_uri).to.match(/^ipfs:\/\/[A-Za-z0-9]+#kc=0x[0-9a-f]{64}$/);
    locator = f.sdl_uri;
    for (const c of [a, b])
      await mirrored(`fork ${fork} on ${c.label}`, async () => (await on(c).registry.model(fork)).parentId === root);
    expect((await on(b).registry.model(fork)).sdlLocator).to.equal(locator);
  });

  it("4. the forker prices her fork on B and lets the lease operators decrypt it from the Cosmos page; a third user buys the fork's key on chain B with an Akash deployment in the page: held on B, mirrored to A and the Cosmos chain", async () => {
    // the forker prices her fork on B in the Cosmos page: Keplr signs the order (ADR-36), her page's EVM wallet submits it
    const fp = pages.forker!;
    const creatorPanel = fp.locator('section[aria-labelledby="cosmos-creator-h"]');
    await creatorPanel.waitFor({ timeout: 30_000 });
    await creatorPanel.getByLabel("Your model").selectOption(fork.toString());
    const priceForm = creatorPanel.getByRole("form", { name: /on an EVM chain$/ });
    await priceForm.getByLabel("EVM chain").selectOption(String(b.hexsChainId));
    await priceForm.getByLabel("Key price (ETH)").fill(formatEther(FORK_PRICE));
    await priceForm.getByLabel("Akash deployment escrow (ETH, optional)").fill(formatEther(DEPLOY_PRICE));
    const outcome = async () => {
      await fp.locator('[data-testid="cosmos-done"], [data-testid="buy-error"]').first().waitFor({ timeout: 90_000 });
      if (await fp.getByTestId("buy-error").count()) expect.fail(await fp.getByTestId("buy-error").innerText());
      return fp.getByTestId("cosmos-done").innerText();
    };
    // a refused Keplr signature: said so, nothing submitted on B
    keplr.reject = true;
    await priceForm.getByRole("button", { name: "Sign and submit the price" }).click();
    await fp.getByTestId("buy-error").filter({ hasText: "Signature rejected" }).waitFor({ timeout: 60_000 });
    keplr.reject = false;
    expect((await on(b).registry.saleInfo(fork, NATIVE)).listed).to.equal(false);
    const signedBefore = keplr.arbitrary;
    await priceForm.getByRole("button", { name: "Sign and submit the price" }).click();
    expect(await outcome()).to.match(
      new RegExp(
        `^Priced .* on Devnet B: 0\\.02 ETH a key, 0\\.01 ETH for an Akash deployment\\. Your signed order was submitted by ${forkerEvm.address}`,
      ),
    );
    expect(keplr.arbitrary - signedBefore, "one ADR-36 signature: the order").to.equal(1);
    const sale = await on(b).registry.saleInfo(fork, NATIVE);
    expect([sale.listed, sale.keyPrice, sale.deploymentPrice]).to.deep.equal([true, FORK_PRICE, DEPLOY_PRICE]);
    const forkerStandIn = await on(b).registry.localCreator({ family: 2, addr: zeroPadValue(hex20(forkerAddress), 32) });
    expect(await on(b).payoutBindings!.priceOrderNonce(forkerStandIn)).to.equal(1n);
    await screenshot(fp, "journey-4-priced-on-b");

    // and lets the lease operators decrypt its SDL (the key service's challenges, signed in Keplr)
    await creatorPanel.getByRole("button", { name: /^Let the lease operators decrypt / }).click();
    expect(await outcome()).to.match(
      new RegExp(
        `^The ${net.keys.length} lease operators may now decrypt .*'s SDL: a purchase with an Akash deployment can open its lease\\.$`,
      ),
    );
    const keyService = new KeyServiceClient(localEndpoints(net.services!.keyService));
    const op = net.keys[0];
    const asOperator = await decryptForHolder(keyService, evmHolder(op, op.address), locator);
    expect(asOperator.equals(Buffer.from(SDL, "utf8")), "the first operator decrypts the fork's SDL").to.equal(true);

    const page = pages.buyer!;
    await page.goto(`${url}#/model/${fork}`);
    const buyB = page.getByRole("button", { name: "Buy on Devnet B for 0.02 ETH" });
    await buyB.waitFor({ timeout: 90_000 }); // the indexer has read the price order's price
    await page.getByLabel(/With an Akash deployment/).click();
    expect(await page.locator("label.deploy-option").innerText()).to.contain("0.01 ETH escrow on Devnet B");
    await screenshot(page, "journey-4-model-page");
    await buyB.click();
    const status = page.getByRole("status", { name: "purchase progress" });
    await page.locator('[data-testid="step-confirmed"].done, [data-testid="buy-error"]').first().waitFor({ timeout: 90_000 });
    if (await page.getByTestId("buy-error").count())
      expect.fail(`the purchase failed: ${await page.getByTestId("buy-error").innerText()}`);
    keyId = BigInt(/key (\d+)/.exec(await status.locator('[data-testid="step-confirmed"]').innerText())![1]);
    expect(keyId >> 32n).to.equal(BigInt(b.hexsChainId));
    await status.locator('[data-testid="step-mirrored"].done').waitFor({ timeout: MIRROR_TIMEOUT_MS });
    expect(await status.locator('[data-testid="step-mirrored"]').innerText()).to.match(/Mirrored to Devnet A in [\d.]+ s/);
    await screenshot(page, "journey-4-bought-and-mirrored");

    // the key is the buyer's on B, the purchase asked for a deployment and escrowed its price
    const keys = await hexs.keysOf(on(b), fork);
    expect(await keys.ownerOf(keyId)).to.equal(buyer.address);
    const [bought] = await on(b).market.queryFilter(on(b).market.filters.Purchased(keyId));
    expect([bought.args.keyPrice, bought.args.deploymentEscrow]).to.deep.equal([FORK_PRICE, DEPLOY_PRICE]);
    expect(bought.args.deploymentParams).to.not.equal("0x");
    // mirrored: the hub on A knows the key's holder (resident on B); the Cosmos contract grants access
    const owner = { family: 1, addr: zeroPadValue(buyer.address, 32) };
    const v = await on(a).hubLens!.mirroredKey(hexs.evmChain(sdkChain(a)).contracts.HexsHub!, keyId, fork, owner);
    expect(v.resident).to.equal(BigInt(b.hexsChainId));
    await mirrored(
      `key ${keyId} on the Cosmos chain`,
      async () =>
        (await q<{ access: boolean }>({ has_access: { model: fork.toString(), account: { evm: buyer.address } } })).access,
    );
  });

  it("5. the buyer decrypts the fork's SDL in the page on My keys: byte-equal to the forker's, no plaintext sent", async () => {
    const page = pages.buyer!;
    const sent: string[] = [];
    page.on("request", (r) => sent.push(`${r.url()}\n${r.postData() ?? ""}`));
    await page.goto(`${url}#/keys`);
    const card = page.locator(`li.key[data-key="${keyId}"]`);
    await card.waitFor({ timeout: 60_000 });
    await card.getByRole("button", { name: `Decrypt the SDL with key ${keyId}` }).click();
    await page
      .locator(
        `li.key[data-key="${keyId}"] [data-testid="sdl-download"], li.key[data-key="${keyId}"] [data-testid="decrypt-error"]`,
      )
      .first()
      .waitFor({ timeout: 90_000 });
    if (await card.getByTestId("decrypt-error").count())
      expect.fail(`the decrypt failed: ${await card.getByTestId("decrypt-error").innerText()}`);
    expect(await card.getByTestId("decrypt-status").innerText()).to.contain(
      `Decrypted in this page (${Buffer.byteLength(SDL)} bytes`,
    );
    const download = page.waitForEvent("download", { timeout: 30_000 });
    await card.getByTestId("sdl-download").click();
    const got = fs.readFileSync((await (await download).path())!);
    expect(got.equals(Buffer.from(SDL, "utf8")), "the decrypted SDL equals the forker's file byte for byte").to.equal(true);
    const lines = SDL.split("\n").filter((l) => l.trim().length > 20);
    for (const r of sent) for (const l of lines) expect(r.includes(l.trim()), `a request leaks '${l.trim()}'`).to.equal(false);
    await screenshot(page, "journey-5-decrypted");
  });

  it("6. the buyer sees the lease on My keys: leased with its dseq, live on the Akash stand-in; the escrow paid the lease operator on B", async () => {
    const page = pages.buyer!;
    const market = on(b).market;
    await waitFor(
      `LeaseReported for key ${keyId} applied on ${b.label} (the lease service opened the lease; operator1's log: ${path.relative(ROOT, DIR)}/logs/operator1.log)`,
      LEASE_TIMEOUT_MS,
      async () => (await market.queryFilter(market.filters.DeploymentResolved(keyId))).length > 0,
    );
    const ev = await market.queryFilter(market.filters.DeploymentResolved(keyId));
    const { leased, payee: leasePayee, amount, dseq } = ev[0].args;
    expect([leased, leasePayee, amount]).to.deep.equal([true, net.submitters[0].address, DEPLOY_PRICE]);
    expect((await market.escrowOf(keyId)).amount).to.equal(0n);

    // the page: the deployment card says leased, with the dseq, and the live lease from the node's API
    await page.goto(`${url}#/keys`);
    const card = page.locator(`li.key[data-key="${keyId}"]`).getByTestId("deployment");
    await card.waitFor({ timeout: 60_000 });
    await page
      .locator(`li.key[data-key="${keyId}"] [data-testid="deployment"][data-state="leased"]`)
      .waitFor({ timeout: 60_000 });
    expect(await card.innerText()).to.contain(`dseq ${dseq}`);
    const live = card.getByTestId("akash-lease");
    await live.getByTestId("lease-state").filter({ hasText: "active" }).waitFor({ timeout: 60_000 });
    const provider = await live.getByTestId("lease-provider").innerText();
    await screenshot(page, "journey-6-lease");

    // the Akash stand-in: the deployment and the lease with that provider are active
    const svc = net.services!;
    const akash = await AkashClient.fromMnemonic(fs.readFileSync(svc.leader.mnemonicFile, "utf8").trim(), {
      chainId: svc.akash.chainId,
      rpcUrl: svc.akash.rpc,
      restUrl: svc.akash.rest,
    });
    try {
      const d = await akash.deployment(akash.address, dseq.toString());
      expect(d?.state).to.equal("active");
      const leases = await akash.leases(akash.address, dseq.toString());
      expect(leases.map((l) => [l.provider, l.state])).to.deep.include([provider, "active"]);
    } finally {
      await akash.close();
    }
  });

  it("7. royalties: the buyer settles the fork's level on its model page; the creator sees the model's share in the studio, settles and claims it on B", async () => {
    const page = pages.creator!;
    const B = on(b);
    // anyone settles a level of the lineage on the model page: the buyer settles the fork's, on B
    const bp = pages.buyer!;
    const forkVault = await B.market.vaultOf(fork, NATIVE);
    expect(forkVault > 0n, "the sale's price waits in the fork's vault on B").to.equal(true);
    await bp.goto(`${url}#/model/${fork}`);
    const vaultRow = bp.locator(`[data-testid="vaults"] tr[data-chain="2"][data-model="${fork}"][data-currency="${NATIVE}"]`);
    await vaultRow
      .getByTestId("vault")
      .filter({ hasText: `${formatEther(forkVault)} ETH` })
      .waitFor({ timeout: 60_000 });
    expect(await bp.locator(`[data-testid="vaults"] tr[data-chain="2"][data-model="${root}"]`).innerText()).to.contain(
      "level 1 up: Journey Llama 8B",
    );
    await vaultRow.getByRole("button", { name: /^Settle .*'s ETH vault on Devnet B$/ }).click();
    await bp.locator('[data-testid="vault-done"], [data-testid="vault-error"]').first().waitFor({ timeout: 60_000 });
    if (await bp.getByTestId("vault-error").count()) expect.fail(await bp.getByTestId("vault-error").innerText());
    const [settled] = await B.market.queryFilter(B.market.filters.Settled(fork, NATIVE));
    const forkerHere = await B.registry.localCreator({ family: 2, addr: zeroPadValue(hex20(forkerAddress), 32) });
    expect(settled.args.creatorShare > 0n).to.equal(true);
    expect(await B.market.creditOf(forkerHere, NATIVE)).to.equal(settled.args.creatorShare);
    expect(await B.market.vaultOf(fork, NATIVE)).to.equal(0n);
    const rootVault = await B.market.vaultOf(root, NATIVE);
    expect(rootVault).to.equal(settled.args.parentShare);
    expect(rootVault > 0n, "the fork's sale paid the parent's royalty into its vault").to.equal(true);
    expect(await bp.getByTestId("vault-done").innerText()).to.contain(`Settled ${formatEther(forkVault)} ETH of `);
    expect(await bp.getByTestId("vault-done").innerText()).to.contain(
      `${formatEther(rootVault)} ETH into Journey Llama 8B's vault`,
    );
    await vaultRow.getByTestId("vault").filter({ hasText: "0.0 ETH" }).waitFor({ timeout: 30_000 });
    await screenshot(bp, "journey-7-fork-level-settled");
    // settling it again: nothing to settle, said so, nothing sent
    const creditBefore = await B.market.creditOf(forkerHere, NATIVE);
    await vaultRow.getByRole("button", { name: /^Settle / }).click();
    await bp.getByTestId("vault-error").filter({ hasText: "Nothing to settle" }).waitFor({ timeout: 30_000 });
    expect(await B.market.creditOf(forkerHere, NATIVE)).to.equal(creditBefore);
    expect(await B.market.queryFilter(B.market.filters.Settled(fork, NATIVE))).to.have.length(1);

    await page.goto(`${url}#/studio`);
    const row = page.locator(`table[aria-label="earnings"] tr[data-chain="2"][data-currency="${NATIVE}"]`);
    await row
      .getByTestId("unsettled")
      .filter({ hasText: `${formatEther(rootVault)} ETH` })
      .waitFor({ timeout: 60_000 });
    await screenshot(page, "journey-7-royalty-seen");
    const done = page.getByTestId("studio-done");
    await page.getByRole("button", { name: "Settle ETH on Devnet B" }).click();
    await done.filter({ hasText: "Settled:" }).waitFor({ timeout: 60_000 });
    const credit = await B.market.creditOf(creator.address, NATIVE);
    expect(credit > 0n).to.equal(true);
    expect(await B.market.vaultOf(root, NATIVE)).to.equal(0n);
    const treasury = await (await hexs.governorOf(B, root)).treasury(ZeroAddress);
    expect(treasury > 0n, "the model's DAO share reached its treasury on B").to.equal(true);
    await row
      .getByTestId("credited")
      .filter({ hasText: `${formatEther(credit)} ETH` })
      .waitFor({ timeout: 30_000 });
    await page.getByRole("button", { name: "Claim ETH on Devnet B" }).click();
    await done.filter({ hasText: "Claimed:" }).waitFor({ timeout: 60_000 });
    expect(await B.market.creditOf(creator.address, NATIVE)).to.equal(0n);
    const claimed = await B.market.queryFilter(B.market.filters.Claimed(creator.address, NATIVE));
    expect(claimed.map((e) => [e.args.to, e.args.amount])).to.deep.equal([[creator.address, credit]]);
    await row.getByTestId("credited").filter({ hasText: "0.0 ETH" }).waitFor({ timeout: 30_000 });
    await screenshot(page, "journey-7-royalty-claimed");
  });

  it("8. the Cosmos forker binds her EVM payout address on B in the Cosmos page, then claims her royalty there with it", async () => {
    const page = pages.forker!;
    const B = on(b);
    const forkerHere = await B.registry.localCreator({ family: 2, addr: zeroPadValue(hex20(forkerAddress), 32) });
    const owed = await B.market.earningsOf(forkerHere, NATIVE);
    expect(owed > 0n, "the fork's level credited her earnings on B").to.equal(true);
    await page.goto(`${url}#/cosmos`);
    await page.reload(); // a fresh page: her earnings and payout on B are read from the chains
    await page.getByRole("button", { name: /^Connect Keplr on / }).click();
    await page.getByLabel("connected Cosmos account").filter({ hasText: forkerAddress }).waitFor({ timeout: 60_000 });
    const row = page.locator(`section[aria-labelledby="cosmos-creator-h"] tr[data-chain="${b.hexsChainId}"]`);
    await row
      .getByTestId("earned")
      .filter({ hasText: `${formatEther(owed)} ETH` })
      .waitFor({ timeout: 30_000 });
    expect(await row.getByTestId("payout").innerText()).to.equal("none bound");
    // her EVM wallet's address is offered as the payout address
    expect((await row.getByRole("textbox", { name: "Payout address on Devnet B" }).inputValue()).toLowerCase()).to.equal(
      forkerEvm.address.toLowerCase(),
    );
    await row.getByRole("button", { name: "Bind the payout address on Devnet B" }).click();
    await page.locator('[data-testid="cosmos-done"], [data-testid="buy-error"]').first().waitFor({ timeout: 90_000 });
    if (await page.getByTestId("buy-error").count()) expect.fail(await page.getByTestId("buy-error").innerText());
    expect(await page.getByTestId("cosmos-done").innerText()).to.match(
      /^Bound 0x[0-9a-fA-F]{40} as your payout address on Devnet B/,
    );
    await mirrored(
      `the forker's payout binding applied on ${b.label}`,
      async () => (await B.registry.payoutOf(forkerHere)) === forkerEvm.address,
    );
    await row.getByTestId("payout").filter({ hasText: forkerEvm.address }).waitFor({ timeout: 30_000 });
    await screenshot(page, "journey-8-payout-bound");
    // her EVM wallet on A, refusing to switch: a wrong network, nothing claimed
    forkerEvm.chainId = a.evmChainId;
    forkerEvm.modes = { rejectSwitch: true };
    await row.getByRole("button", { name: "Claim your earnings on Devnet B" }).click();
    await page.getByTestId("buy-error").filter({ hasText: "Wrong network" }).waitFor({ timeout: 60_000 });
    expect(await page.getByTestId("buy-error").innerText()).to.contain("Switch your wallet to Devnet B");
    expect(await B.market.earningsOf(forkerHere, NATIVE)).to.equal(owed);
    forkerEvm.modes = {};
    const before = await b.provider.getBalance(forkerEvm.address);
    await row.getByRole("button", { name: "Claim your earnings on Devnet B" }).click();
    await page.locator('[data-testid="cosmos-done"], [data-testid="buy-error"]').first().waitFor({ timeout: 60_000 });
    if (await page.getByTestId("buy-error").count()) expect.fail(await page.getByTestId("buy-error").innerText());
    expect(await page.getByTestId("cosmos-done").innerText()).to.equal(
      `Claimed ${formatEther(owed)} ETH of your earnings on Devnet B, paid to ${forkerEvm.address}.`,
    );
    expect(await B.market.earningsOf(forkerHere, NATIVE)).to.equal(0n);
    const claimed = await B.market.queryFilter(B.market.filters.Claimed(forkerHere, NATIVE));
    expect(claimed.map((e) => [e.args.to, e.args.amount])).to.deep.equal([[forkerEvm.address, owed]]);
    const after = await b.provider.getBalance(forkerEvm.address);
    expect(after > before && after - before <= owed, "paid to her EVM wallet, less the claim's gas").to.equal(true);
    await row.getByTestId("earned").filter({ hasText: "0.0 ETH" }).waitFor({ timeout: 30_000 });
    await screenshot(page, "journey-8-claimed");
  });

  it("9. a DAO proposal on B is made, voted and executed in the page: the payee is paid from the treasury", async () => {
    const page = pages.creator!;
    const gov = await hexs.governorOf(on(b), root);
    const treasury = await gov.treasury(ZeroAddress);
    const amount = treasury / 2n;
    await page.goto(`${url}#/model/${root}/dao`);
    const sectionB = page.locator('section[data-chain="2"]');
    await sectionB.getByLabel("Pay to (address)").waitFor({ timeout: 60_000 });
    await sectionB.getByLabel("Pay to (address)").fill(payee);
    await sectionB.getByLabel("Amount").fill(formatEther(amount));
    await sectionB.getByLabel("Purpose (what the money is for, e.g. akash-escrow:<owner>/<dseq>)").fill("akash-escrow:journey/1");
    await sectionB.getByRole("button", { name: "Propose" }).click();
    await page
      .getByTestId("dao-done")
      .filter({ hasText: /Proposal made: voting opens after block \d+/ })
      .waitFor({ timeout: 60_000 });
    const [created] = await gov.queryFilter(gov.filters.ProposalCreated());
    const pid = created.args.proposalId;
    expect(created.args.proposer).to.equal(creator.address);
    const card = sectionB.locator(`li[data-proposal="${pid}"]`);
    // the devnet mines a block a second: voting opens on its own
    await sectionB.locator(`li[data-proposal="${pid}"][data-state="Active"]`).waitFor({ timeout: 60_000 });
    await card.getByRole("button", { name: `Vote for proposal ${pid}` }).click();
    await page
      .getByTestId("dao-done")
      .filter({ hasText: "Vote counted (1 vote): for 1, against 0, abstain 0" })
      .waitFor({ timeout: 60_000 });
    expect(await gov.hasVoted(pid, creator.address)).to.equal(true);
    await screenshot(page, "journey-9-dao-voted");
    await card.filter({ hasText: "no queue step: this DAO executes directly" }).waitFor({ timeout: 60_000 });
    expect(hexs.PROPOSAL_STATES[Number(await gov.state(pid))]).to.equal("Succeeded");
    const payeeBefore = await b.provider.getBalance(payee);
    await card.getByRole("button", { name: `Execute proposal ${pid}` }).click();
    await page
      .getByTestId("dao-done")
      .filter({ hasText: `Executed: ${formatEther(amount)} ETH paid to ${payee}` })
      .waitFor({ timeout: 60_000 });
    expect(hexs.PROPOSAL_STATES[Number(await gov.state(pid))]).to.equal("Executed");
    expect((await b.provider.getBalance(payee)) - payeeBefore).to.equal(amount);
    expect(treasury - (await gov.treasury(ZeroAddress))).to.equal(amount);
    const funded = await gov.queryFilter(gov.filters.InfrastructureFunded());
    expect(funded.map((e) => [e.args.to, e.args.amount, e.args.purpose])).to.deep.equal([
      [payee, amount, "akash-escrow:journey/1"],
    ]);
    await card.filter({ hasText: "Executed: paid from the treasury" }).waitFor({ timeout: 60_000 });
    await screenshot(page, "journey-9-dao-executed");
  });

  it("no page raised an error along the way", () => {
    expect(pageErrors).to.deep.equal([]);
  });
});
