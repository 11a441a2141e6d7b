// The deployment a purchase asked for, on My keys in a real browser (headless Chromium), on two
// `hardhat node`s with the indexer: a lease reported for it (its dseq and the operator the escrow
// paid), a failed deployment refunded to the buyer (claimed from the page), and an unreported one
// the buyer reclaims after the timeout and then claims — each checked on chain. The lease reports
// are made by the hub's own account (impersonated on the node), the role that applies the Akash
// lane's LeaseReported messages; the relayer path to them is tested in test/akash. The leased key's
// deployment is opened for real on the Akash stand-in (chain-sdk client: deployment, bid, lease), so
// the page shows the lease live from the node's REST API, closed once its escrow runs out, and says
// so when the node stops answering.
// Run: npx hardhat test test/app/deploy.test.ts   (scripts/app-test.sh installs what it needs)
import fs from "node:fs";
import { expect } from "chai";
import { id, JsonRpcSigner, NonceManager, parseEther, toBeHex, Wallet } from "ethers";
import * as hexs from "../../sdk";
import { metadataUri, startStack, type Stack } from "./helpers/stack";
import { fundAkash, SDL_FILE, startEnv, type Env } from "../akash/helpers/env";
import { prepareSdl } from "../../sdk/akash/sdl";
import type { LeaseInfo } from "../../sdk/akash/client";
import { injectWallet, launch, serveApp, TestWallet, type Browser, type Page, screenshot } from "./helpers/browser";

const VERBOSE = process.env.HEXS_APP_VERBOSE === "1";
const DEPLOY = parseEther("0.25");

describe("web app in headless Chromium: a key's deployment (escrow, lease, refund, reclaim)", function () {
  this.timeout(600_000);
  let s: Stack;
  let browser: Browser;
  let site: { url: string; close: () => Promise<void> };
  let page: Page;
  let wallet: TestWallet;
  let chains: hexs.EvmChain[];
  const keys: Record<"leased" | "failed" | "waiting", bigint> = { leased: 0n, failed: 0n, waiting: 0n };
  const operator = Wallet.createRandom().address;
  const pageErrors: string[] = [];
  let akash: Env;
  let akashOwner: string;
  let lease: LeaseInfo;

  const shot = (name: string) => screenshot(page, name);
  const card = (keyId: bigint) => page.locator(`li.key[data-key="${keyId}"]`).getByTestId("deployment");
  const providerA = () => s.nodes.a.node.provider;

  before(async () => {
    s = await startStack(VERBOSE ? (l) => console.log(`    ${l}`) : undefined);
    chains = s.registry.chains.map((c) => hexs.evmChain(c));
    const key = Wallet.createRandom();
    wallet = new TestWallet(new Wallet(key.privateKey), chains, chains[0].evmChainId!);
    await providerA().send("hardhat_setBalance", [key.address, toBeHex(parseEther("10"))]);
    const me = new NonceManager(wallet.wallet.connect(wallet.provider(chains[0].evmChainId)));

    // A model with a deployment price; the wallet buys three keys asking for a deployment.
    const creator = await s.nodes.a.signer(2);
    const A = (signer: typeof creator | NonceManager) => hexs.connectContracts(chains[0], signer);
    const m = await hexs.publish(A(creator), creator, {
      contentCommitment: id("deployable model sdl"),
      metadataUri: metadataUri("Deployable Llama 3B", "A model whose keys can come with an Akash deployment."),
    });
    await hexs.setPrice(A(creator), creator, {
      modelId: m.modelId,
      currency: hexs.NATIVE,
      keyPrice: parseEther("0.01"),
      deploymentPrice: DEPLOY,
    });
    for (const k of ["leased", "failed", "waiting"] as const)
      keys[k] = (
        await hexs.buy(A(me), me, { modelId: m.modelId, currency: hexs.NATIVE, deploymentParams: { v: 1, region: "any" } })
      ).keyId;
    // The hub applies the Akash lane's lease reports (governance grants it the reporter role, as
    // `hub:lease-reporting` does): as the hub, report a lease and a failure.
    const hub = chains[0].contracts.HexsHub!;
    const timelock = chains[0].contracts.HexsTimelock!;
    await providerA().send("hardhat_impersonateAccount", [timelock]);
    await providerA().send("hardhat_setBalance", [timelock, toBeHex(parseEther("1"))]);
    const governed = s.nodes.a.market.connect(new JsonRpcSigner(providerA(), timelock));
    await (await governed.grantRole(await governed.LEASE_REPORTER_ROLE(), hub)).wait();
    await providerA().send("hardhat_impersonateAccount", [hub]);
    await providerA().send("hardhat_setBalance", [hub, toBeHex(parseEther("1"))]);
    const asHub = s.nodes.a.market.connect(new JsonRpcSigner(providerA(), hub));
    await (await asHub.resolveDeployment(keys.leased, true, 777n, operator)).wait();
    await (await asHub.resolveDeployment(keys.failed, false, 0n, operator)).wait();
    await s.indexer.caughtUp();

    // The lease service's side on Akash: deployment dseq 777 (the one reported above), the
    // cheapest bid taken as a lease, from the lease service's account.
    akash = await startEnv();
    const ak = await akash.client();
    akashOwner = ak.address;
    fundAkash(akash, akashOwner);
    await ak.createDeployment("777", prepareSdl(fs.readFileSync(SDL_FILE, "utf8")), 5_000_000n);
    for (let i = 0; i < 200 && !(await ak.openBids(akashOwner, "777")).length; i++) await new Promise((r) => setTimeout(r, 50));
    const bids = await ak.openBids(akashOwner, "777");
    await ak.createLease(bids.sort((x, y) => Number(x.price) - Number(y.price))[0]);
    lease = (await ak.leases(akashOwner, "777"))[0];
    site = await serveApp(s.nodes.dir, {
      indexerUrl: s.indexer.url,
      chains: s.registry.chains,
      akash: { restUrl: akash.standin.restUrl, leaseOwners: [akashOwner] },
    });

    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await injectWallet(page, () => wallet);
  });

  after(async () => {
    if (browser) await browser.close();
    if (site) await site.close();
    if (akash) await akash.close().catch(() => undefined);
    if (s) await s.stop();
  });

  it("shows each purchase's deployment: leased with its dseq and operator, refunded, escrow pending until its timeout", async () => {
    await page.goto(`${site.url}#/keys`);
    await card(keys.waiting).waitFor({ timeout: 30_000 });
    expect(await card(keys.leased).getAttribute("data-state")).to.equal("leased");
    const leased = await card(keys.leased).innerText();
    expect(leased).to.contain("dseq 777");
    expect(leased).to.contain(operator);
    expect(leased).to.contain("0.25 ETH");
    expect(await card(keys.failed).getAttribute("data-state")).to.equal("refunded");
    expect(await card(keys.failed).innerText()).to.contain(
      "the deployment failed; the 0.25 ETH escrow was credited to the buyer",
    );
    expect(await card(keys.waiting).getAttribute("data-state")).to.equal("pending");
    expect(await card(keys.waiting).innerText()).to.match(
      /0\.25 ETH held in escrow while the lease service opens the Akash lease/,
    );
    expect(await card(keys.waiting).getByRole("button").count(), "nothing to reclaim before the timeout").to.equal(0);
    await shot("deployments");
  });

  it("shows the leased deployment's live Akash lease (active, provider, price, escrow), closed once the escrow runs out", async () => {
    const live = card(keys.leased).getByTestId("akash-lease");
    await page
      .locator(`li.key[data-key="${keys.leased}"] [data-testid="akash-lease"][data-state="active"]`)
      .waitFor({ timeout: 30_000 });
    expect(await live.getByTestId("lease-state").innerText()).to.equal("active");
    expect(await live.getByTestId("lease-provider").innerText()).to.equal(lease.provider);
    expect(await live.getByTestId("lease-price").innerText()).to.match(/^0\.\d+ ACT per block$/);
    expect(await live.getByTestId("lease-escrow").innerText()).to.equal("5 ACT");
    expect(await live.innerText()).to.contain(akashOwner);
    await shot("deployment-lease-active");
    // Akash closes an overdrawn deployment: its escrow at 0, the lease closed
    akash.standin.chain.exhaustEscrow(akashOwner, "777");
    await page
      .locator(`li.key[data-key="${keys.leased}"] [data-testid="akash-lease"][data-state="closed"]`)
      .waitFor({ timeout: 30_000 });
    expect(await live.getByTestId("lease-state").innerText()).to.equal("closed");
    expect(await live.getByTestId("lease-escrow").innerText()).to.equal("0 ACT");
    expect(await live.getByTestId("lease-provider").innerText()).to.equal(lease.provider);
    await shot("deployment-lease-closed");
  });

  it("the buyer claims a failed deployment's refund from the page", async () => {
    const before = await providerA().getBalance(wallet.address);
    await card(keys.failed).getByRole("button", { name: "Claim" }).click();
    await card(keys.failed).getByTestId("deployment-done").waitFor({ timeout: 30_000 });
    expect(await card(keys.failed).getByTestId("deployment-done").innerText()).to.contain("Claimed 0.25 ETH");
    expect(await card(keys.failed).getByRole("button", { name: "Claim" }).count(), "nothing left to claim").to.equal(0);
    expect(await s.nodes.a.market.creditOf(wallet.address, hexs.NATIVE)).to.equal(0n);
    expect((await providerA().getBalance(wallet.address)) - before).to.be.greaterThan(DEPLOY - parseEther("0.01"));
  });

  it("after the timeout an unreported escrow is reclaimed by its buyer, then claimed", async () => {
    const e = await s.nodes.a.market.escrowOf(keys.waiting);
    const now = (await providerA().getBlock("latest"))!.timestamp;
    await providerA().send("evm_increaseTime", [Number(e.reclaimableAt) - now + 1]);
    await providerA().send("evm_mine", []);
    const reclaim = card(keys.waiting).getByRole("button", { name: "Reclaim escrow" });
    await reclaim.waitFor({ timeout: 30_000 });
    expect(await card(keys.waiting).getAttribute("data-state")).to.equal("reclaimable");
    await shot("deployment-reclaimable");
    await reclaim.click();
    await card(keys.waiting)
      .locator('[data-state="reclaimed"], [data-testid="deployment-done"]')
      .first()
      .waitFor({ timeout: 30_000 });
    await page
      .locator(`li.key[data-key="${keys.waiting}"] [data-testid="deployment"][data-state="reclaimed"]`)
      .waitFor({ timeout: 30_000 });
    expect((await s.nodes.a.market.escrowOf(keys.waiting)).amount).to.equal(0n);
    expect(await s.nodes.a.market.creditOf(wallet.address, hexs.NATIVE)).to.equal(DEPLOY);
    await page
      .locator(`li.key[data-key="${keys.waiting}"] [data-testid="deployment"]`)
      .getByRole("button", { name: "Claim" })
      .click();
    await page
      .locator(`li.key[data-key="${keys.waiting}"] [data-testid="deployment-done"]`)
      .filter({ hasText: "Claimed 0.25 ETH" })
      .waitFor({ timeout: 30_000 });
    expect(await s.nodes.a.market.creditOf(wallet.address, hexs.NATIVE)).to.equal(0n);
    await shot("deployment-reclaimed");
    expect(pageErrors).to.deep.equal([]);
  });

  it("an unreachable Akash node: the lease panel says so, the rest of the page works", async () => {
    await akash.standin.close();
    const live = page.locator(`li.key[data-key="${keys.leased}"] [data-testid="akash-lease"][data-state="unreachable"]`);
    await live.waitFor({ timeout: 30_000 });
    expect(await live.getByRole("alert").innerText()).to.contain("the Akash node's API did not answer");
    // the purchase chain's record is still there, and so is the page: a reload reads it again
    expect(await card(keys.leased).innerText()).to.contain("dseq 777");
    await page.goto("about:blank");
    await page.goto(`${site.url}#/keys`);
    await live.waitFor({ timeout: 30_000 });
    expect(await card(keys.leased).getAttribute("data-state")).to.equal("leased");
    expect(await card(keys.failed).getAttribute("data-state")).to.equal("refunded");
    expect(await page.getByRole("heading", { name: "My keys", level: 1 }).count()).to.equal(1);
    await shot("deployment-lease-unreachable");
    expect(pageErrors).to.deep.equal([]);
  });
});
