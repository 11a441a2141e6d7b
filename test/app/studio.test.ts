// The creator studio's publish and fork in a real browser (Debian's headless Chromium through
// playwright-core), end to end on two `hardhat node`s with the indexer, the relay and a key
// service (five shard stores, in this process): the SDL is validated and encrypted in the page
// (sdk/keys/seal.ts with chain-sdk's web build), uploaded, and the model is published with key
// plugins, a DAO share and a payout address bound on the other chain; the ciphertext the page
// made decrypts with the CLI's path (sdk/keys decryptForHolder) for a key holder, byte-equal to
// the SDL; no request the page sent carries the SDL in clear. A fork of a catalog model on chain B
// carries its allowlist root and royalty shares. Refusals (an invalid SDL, a refused signature, a
// bad supply cap) publish nothing. Everything is checked on chain and in the key service.
// Screenshots go to app/test-results/studio-*.png (gitignored).
// Run: npx hardhat test test/app/studio.test.ts   (scripts/app-test.sh installs what it needs)
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseEther, sha256, toBeHex, Wallet } from "ethers";
import * as hexs from "../../sdk";
import { contentCommitment, decryptForHolder, evmHolder, KeyServiceClient, localEndpoints, parseLocator } from "../../sdk/keys";
import { startKeyService, type RunningKeyService } from "../../services/key-service/service";
import { ROOT } from "../../devnet/chains";
import { startStack, type Stack } from "./helpers/stack";
import { portRange } from "../lz/helpers/twoNodes";
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
const SDL = fs.readFileSync(path.join(ROOT, "devnet/fork.sdl.yaml"), "utf8");
/** A line of the SDL that must never be seen in clear outside the page. */
const SECRET_LINE = "MODEL_ID=bob/llama-3-8b-medical";

describe("web app in headless Chromium: creator studio publishes and forks with the SDL encrypted in the page", function () {
  this.timeout(600_000);
  let s: Stack;
  let ks: RunningKeyService;
  let browser: Browser;
  let site: { url: string; close: () => Promise<void> };
  let page: Page;
  let wallet: TestWallet;
  let chains: hexs.EvmChain[];
  let A: hexs.HexsContracts;
  let B: hexs.HexsContracts;
  const pageErrors: string[] = [];
  const sent: string[] = []; // every URL and request body the page sent
  const payoutB = Wallet.createRandom().address;
  let published: bigint;

  const shot = (name: string) => screenshot(page, name);
  const form = () => page.getByRole("form", { name: "Publish or fork a model" });
  const count = (method: string) => wallet.requests.filter((r) => r === method).length;
  const modelCounts = async () => [await A.registryLens.modelCount(A.registry), await B.registryLens.modelCount(B.registry)];
  const fill = async (o: { name: string; sdl: string; royalty?: string; dao?: string }) => {
    await form().getByLabel("Model name").fill(o.name);
    await form().getByLabel("Description").fill(`${o.name}, published from the creator studio.`);
    await form().getByLabel("SDL (the Akash deployment file, YAML; encrypted in this page before upload)").fill(o.sdl);
    if (o.royalty !== undefined) await form().getByLabel("Royalty share forks of this model pay it (%)").fill(o.royalty);
    if (o.dao !== undefined) await form().getByLabel("DAO share of each sale (%)").fill(o.dao);
  };

  before(async () => {
    s = await startStack(VERBOSE ? (l) => console.log(`    ${l}`) : undefined);
    chains = s.registry.chains.map((c) => hexs.evmChain(c));
    A = hexs.connectContracts(chains[0], s.nodes.a.node.provider);
    B = hexs.connectContracts(chains[1], s.nodes.b.node.provider);
    const range = process.env.HEXS_PORT_RANGE ? portRange() : { lo: 8850, size: 50 };
    const ksPorts = { from: range.lo + 60, to: range.lo + 79 };
    ks = await startKeyService({
      dir: fs.mkdtempSync(path.join(os.tmpdir(), "hexs-app-studio-keys-")),
      chains: chains.map((c) => ({
        name: `hexs-evm-${c.evmChainId}`,
        kind: "evm" as const,
        rpcUrl: c.rpcUrl!,
        chainId: c.evmChainId!,
      })),
      port: ksPorts,
      storePorts: ksPorts,
    });
    site = await serveApp(
      s.nodes.dir,
      {
        indexerUrl: s.indexer.url,
        // the key service names chains its own way, as the devnet's does; the registry says so
        chains: s.registry.chains.map((c) => ({ ...c, keyServiceChain: `hexs-evm-${hexs.evmChain(c).evmChainId}` })),
        keyServiceUrl: ks.url,
      },
      range.lo + 82,
    );
    const key = new Wallet(Wallet.createRandom().privateKey);
    for (const n of [s.nodes.a, s.nodes.b])
      await n.node.provider.send("hardhat_setBalance", [key.address, toBeHex(parseEther("10"))]);
    wallet = new TestWallet(key, chains, chains[0].evmChainId!);

    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.on("pageerror", (e) => pageErrors.push(e.message));
    page.on("request", (r) => sent.push(`${r.url()}\n${r.postData() ?? ""}`));
    if (VERBOSE) page.on("console", (m) => console.log(`    [page] ${m.text()}`));
    await injectWallet(page, () => wallet);
    await page.goto(`${site.url}#/studio`);
    await form().waitFor({ timeout: 30_000 });
  });

  afterEach(async function () {
    wallet.modes = {};
    if (this.currentTest?.state === "failed" && page) await shot(failedShot("failed-", this.currentTest.title));
  });

  after(async () => {
    if (browser) await browser.close();
    if (site) await site.close();
    if (ks) await ks.close();
    if (s) await s.stop();
  });

  it("an invalid SDL is refused in the page with chain-sdk's problems, before anything is signed or uploaded", async () => {
    const before = await modelCounts();
    const requests = sent.length;
    await fill({ name: "Broken Model", sdl: "version: '2.0'\nservices: {}\n" });
    await form().getByRole("button", { name: "Publish" }).click();
    const alert = page.getByTestId("publish-error");
    await alert.filter({ hasText: "The SDL is not valid" }).waitFor({ timeout: 30_000 });
    expect(await alert.innerText()).to.contain('Missing required field: "profiles"');
    expect(await alert.innerText()).to.contain("Nothing was uploaded or sent");
    expect(count("personal_sign") + count("eth_sendTransaction")).to.equal(0);
    expect(sent.slice(requests).filter((r) => r.startsWith(ks.url))).to.deep.equal([]);
    expect(await modelCounts()).to.deep.equal(before);
    await shot("studio-invalid-sdl");
  });

  it("a supply cap of 0 is refused before anything is signed", async () => {
    const before = await modelCounts();
    await fill({ name: "Capped Model", sdl: SDL });
    await form().getByLabel("Supply cap (keys)").fill("0");
    await form().getByRole("button", { name: "Publish" }).click();
    const alert = page.getByTestId("publish-error");
    await alert.filter({ hasText: "Please check what you entered" }).waitFor({ timeout: 30_000 });
    expect(await alert.innerText()).to.contain("Bad supply cap '0': a whole number of keys, at least 1");
    expect(count("personal_sign") + count("eth_sendTransaction")).to.equal(0);
    expect(await modelCounts()).to.deep.equal(before);
    await form().getByLabel("Supply cap (keys)").fill("");
  });

  it("a refused signature at the upload publishes nothing and says so", async () => {
    const before = await modelCounts();
    wallet.modes = { rejectSign: true };
    await fill({ name: "Unsigned Model", sdl: SDL });
    await form().getByRole("button", { name: "Publish" }).click();
    const alert = page.getByTestId("publish-error");
    await alert.filter({ hasText: "Signature rejected" }).waitFor({ timeout: 30_000 });
    expect(await page.getByTestId("phase-seal").getAttribute("class")).to.contain("failed");
    expect(count("eth_sendTransaction")).to.equal(0);
    expect(await modelCounts()).to.deep.equal(before);
  });

  it("publishes with plugins, shares and a payout on B: the SDL is encrypted in the page and the CLI path decrypts it byte-equal", async () => {
    const requests = sent.length;
    await fill({ name: "Studio Medical 8B", sdl: SDL, royalty: "12.5", dao: "5" });
    await form().getByLabel("Soul-bound keys (never transferred)").click();
    await form().getByLabel("Supply cap (keys)").fill("3");
    await form().getByLabel("Keys expire after (days)").fill("30");
    await form().getByLabel("Payout address on Devnet B").fill(payoutB);
    await form().getByRole("button", { name: "Publish" }).click();
    const done = page.getByTestId("publish-done");
    await done.waitFor({ timeout: 60_000 });
    expect(await done.innerText()).to.match(
      /Published “Studio Medical 8B” as model \d+ \(1:\d+\) on Devnet A with 3 key plugins/,
    );
    published = BigInt((await done.getAttribute("data-model"))!);
    for (const k of ["check", "seal", "publish", "grant", "bind"])
      expect(await page.getByTestId(`phase-${k}`).getAttribute("class"), k).to.contain("done");
    await shot("studio-published");

    // on chain: creator, shares, plugins
    const m = await hexs.getModel(A, published, hexs.NATIVE);
    expect(m.creator).to.equal(wallet.address);
    expect([m.forkRoyaltyBps, m.daoBps, m.parentId]).to.deep.equal([1250n, 500n, 0n]);
    expect(m.plugins).to.have.members([
      await A.plugins.soulbound.getAddress(),
      await A.plugins.supplyCap.getAddress(),
      await A.plugins.expiry.getAddress(),
    ]);
    // the commitment binds the ciphertext the key service holds and the SDL's pinned image
    const client = new KeyServiceClient(localEndpoints(ks.url));
    const { cid } = parseLocator(m.sdlLocator);
    const ciphertext = await client.get(cid);
    expect(m.contentCommitment).to.equal(
      contentCommitment(sha256(ciphertext), "0x5e7c0e1b1f0c3d4a9b8e2f6a7c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d"),
    );
    expect(Buffer.from(ciphertext).toString("latin1")).to.not.contain("llama-3-8b-medical");
    // nothing the page sent carried the SDL in clear
    expect(sent.slice(requests).filter((r) => r.includes(SECRET_LINE) || r.includes("llama-3-8b-medical"))).to.deep.equal([]);
    expect(sent.slice(requests).some((r) => r.startsWith(ks.url))).to.equal(true);

    // a key holder decrypts the page's ciphertext with the CLI's code path: byte-equal
    await hexs.setPrice(
      hexs.connectContracts(chains[0], wallet.wallet.connect(wallet.provider())),
      wallet.wallet.connect(wallet.provider()),
      {
        modelId: published,
        currency: hexs.NATIVE,
        keyPrice: parseEther("0.001"),
      },
    );
    const buyer = await s.nodes.a.signer(4);
    await hexs.buy(hexs.connectContracts(chains[0], buyer), buyer, { modelId: published, currency: hexs.NATIVE });
    const plain = await decryptForHolder(client, evmHolder(buyer, (await buyer.getAddress()).toLowerCase()), m.sdlLocator);
    expect(plain.equals(Buffer.from(SDL, "utf8"))).to.equal(true);

    // the payout binding reaches chain B
    for (let i = 0; i < 20 && (await B.registry.payoutOf(wallet.address)) !== payoutB; i++) {
      await s.relay();
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(await B.registry.payoutOf(wallet.address)).to.equal(payoutB);
  });

  it("forks a catalog model on chain B with an allowlist: parent, royalty shares and the allowlist root are on chain; a listed buyer with the SDK's proof buys, a stranger is refused", async () => {
    const listedBuyer = await s.nodes.b.signer(5);
    const stranger = await s.nodes.b.signer(6);
    const listed = [Wallet.createRandom().address, await listedBuyer.getAddress()];
    await form().getByLabel("A fork of a model in the catalog").click();
    await form().getByLabel("Parent model").selectOption(s.catalog.root.toString());
    await form().getByLabel("Chain to publish on").selectOption("2");
    await fill({ name: "Studio Forge Fork", sdl: SDL, royalty: "7", dao: "0" });
    await form().getByLabel("Soul-bound keys (never transferred)").click(); // unchecked again
    await form().getByLabel("Supply cap (keys)").fill("");
    await form().getByLabel("Keys expire after (days)").fill("");
    await form().getByLabel("Payout address on Devnet A").fill("");
    await form().getByLabel("Allowlist (only these addresses may receive keys; one per line)").fill(listed.join("\n"));
    await form().getByRole("button", { name: "Fork" }).click();
    const done = page.getByTestId("publish-done").filter({ hasText: "Forked “Studio Forge Fork”" });
    await done.waitFor({ timeout: 60_000 });
    expect(await done.innerText()).to.match(/as model \d+ \(2:\d+\) on Devnet B with 1 key plugin\./);
    expect(await page.getByTestId("phase-bind").innerText()).to.contain("none asked");
    const forkId = BigInt((await done.getAttribute("data-model"))!);
    const m = await hexs.getModel(B, forkId, hexs.NATIVE);
    const parent = await hexs.getModel(B, s.catalog.root, hexs.NATIVE);
    expect(m.creator).to.equal(wallet.address);
    expect(m.parentId).to.equal(s.catalog.root);
    expect(m.upstreamBps).to.equal(parent.forkRoyaltyBps); // 15%: what the parent asks of its forks
    expect(m.forkRoyaltyBps).to.equal(700n);
    expect(m.plugins).to.deep.equal([await B.plugins.allowlist.getAddress()]);
    expect(await B.plugins.allowlist.rootOf(m.keys)).to.equal(hexs.allowlistRoot(listed));
    await shot("studio-forked");
    // the allowlist works on chain: a listed buyer with the SDK's proof gets a key, a stranger does not
    const creatorB = wallet.wallet.connect(wallet.provider(chains[1].evmChainId));
    await hexs.setPrice(hexs.connectContracts(chains[1], creatorB), creatorB, {
      modelId: forkId,
      currency: hexs.NATIVE,
      keyPrice: parseEther("0.001"),
    });
    const keys = await hexs.keysOf(B, forkId);
    const refused = await hexs
      .buy(hexs.connectContracts(chains[1], stranger), stranger, { modelId: forkId, currency: hexs.NATIVE })
      .then(
        () => undefined,
        (e: Error) => e,
      );
    expect(refused?.message).to.match(/NotAllowlisted|allowlist/i);
    expect(await keys.balanceOf(await stranger.getAddress())).to.equal(0n);
    const bought = await hexs.buy(hexs.connectContracts(chains[1], listedBuyer), listedBuyer, {
      modelId: forkId,
      currency: hexs.NATIVE,
      allowlistProof: hexs.allowlistProof(listed, await listedBuyer.getAddress()),
    });
    expect(await keys.ownerOf(bought.keyId)).to.equal(await listedBuyer.getAddress());
  });

  it("a published model's card detaches and attaches key plugins on its home chain; a duplicate is refused before signing", async () => {
    const card = page.locator(`article.studio-model[data-model="${published}"]`);
    const plugins = card.getByRole("list", { name: "plugins of Studio Medical 8B" });
    await plugins.locator('li[data-plugin="supply-cap"]').waitFor({ timeout: 30_000 });
    expect(await plugins.locator("li").count()).to.equal(3);
    const keys = await hexs.keysOf(A, published);
    // detach the supply cap
    await card.getByRole("button", { name: "Detach Supply cap from Studio Medical 8B" }).click();
    const done = page.getByTestId("studio-done");
    await done.filter({ hasText: "Supply cap detached from Studio Medical 8B on Devnet A" }).waitFor({ timeout: 30_000 });
    expect(await keys.plugins()).to.not.include(await A.plugins.supplyCap.getAddress());
    await plugins.locator('li[data-plugin="supply-cap"]').waitFor({ state: "detached", timeout: 30_000 });
    // attach an allowlist naming the wallet itself and a stranger
    const listed = [Wallet.createRandom().address, wallet.address];
    await card.getByRole("combobox", { name: /^Plugin/ }).selectOption("allowlist");
    await card.getByLabel("Setting (addresses, one per line)").fill(listed.join("\n"));
    await card.getByRole("button", { name: "Attach" }).click();
    await done
      .filter({
        hasText: "Allowlist attached to Studio Medical 8B on Devnet A, and its 2 addresses published in the model's metadata",
      })
      .waitFor({ timeout: 30_000 });
    expect(await keys.plugins()).to.include(await A.plugins.allowlist.getAddress());
    expect(await A.plugins.allowlist.rootOf(await keys.getAddress())).to.equal(hexs.allowlistRoot(listed));
    await plugins.locator('li[data-plugin="allowlist"]').waitFor({ timeout: 30_000 });
    await shot("studio-plugins");
    // soul-bound is attached already: refused with the reason, nothing signed
    const sentTx = count("eth_sendTransaction");
    await card.getByRole("combobox", { name: /^Plugin/ }).selectOption("soulbound");
    await card.getByRole("button", { name: "Attach" }).click();
    const alert = page.getByTestId("studio-error");
    await alert.waitFor({ timeout: 30_000 });
    expect(await alert.innerText()).to.match(/Plugin soulbound \(0x[0-9a-fA-F]{40}\) is already attached to model/);
    expect(count("eth_sendTransaction")).to.equal(sentTx);
  });

  it("an allowlist attached later publishes its full list in the metadata: a listed buyer buys from the model page", async () => {
    // the previous test attached it: the list (not only the root) is in the model's metadata on chain
    const m = await A.registry.model(published);
    const list = hexs.allowlistFromMetadata(m.metadataUri)!;
    expect(list).to.have.lengthOf(2);
    expect(list).to.include(wallet.address);
    expect(hexs.allowlistRoot(list)).to.equal(
      await A.plugins.allowlist.rootOf(await (await hexs.keysOf(A, published)).getAddress()),
    );
    expect(decodeURIComponent(m.metadataUri)).to.contain('"name":"Studio Medical 8B"'); // the rest of the metadata is kept
    // the wallet is on the list: the page proves it from the published list and the purchase goes through
    await s.indexer.caughtUp();
    await page.goto(`${site.url}#/model/${published}`);
    await page.getByRole("button", { name: "Buy on Devnet A" }).click();
    const status = page.getByRole("status", { name: "purchase progress" });
    await status.locator('[data-testid="step-confirmed"].done').waitFor({ timeout: 30_000 });
    const keyId = BigInt(/key (\d+)/.exec(await status.locator('[data-testid="step-confirmed"]').innerText())![1]);
    expect(await (await hexs.keysOf(A, published)).ownerOf(keyId)).to.equal(wallet.address);
    await page.goto(`${site.url}#/studio`);
    await page.locator(`article.studio-model[data-model="${published}"]`).waitFor({ timeout: 30_000 });
  });

  it("the studio passes axe-core's WCAG 2 A/AA checks and the page raised no errors", async () => {
    const v = await accessibilityViolations(page);
    expect(v, JSON.stringify(v, null, 1)).to.deep.equal([]);
    expect(pageErrors).to.deep.equal([]);
  });
});
