// Decrypting a model's SDL in the page (issue 12, "Decrypt"), in headless Chromium on two
// `hardhat node`s with the indexer and a key service (five shard stores, in this process, ports
// 8800-8849): a creator seals an SDL with the SDK and lets key holders decrypt it; the injected
// wallet buys a key; on My keys, "Decrypt" has the wallet sign the stores' request challenges
// (personal_sign), the SDL is decrypted in the page (the same sdk/keys client the CLI runs) and
// offered as a download, byte-equal to the original, with no plaintext in any request the page
// makes. Failure paths: a rejected signature, an expired key (no access), an SDL not held by the
// key service, the key service unreachable — each says what to do next. axe-core on the page.
// Screenshots go to app/test-results/.
// Run: npx hardhat test test/app/decrypt.test.ts
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { NonceManager, parseEther, toBeHex, Wallet, type Signer } from "ethers";
import * as hexs from "../../sdk";
import { evmHolder, grantKeyHolders, KeyServiceClient, localEndpoints, sealSdl } from "../../sdk/keys";
import { startKeyService, type RunningKeyService } from "../../services/key-service/service";
import { ROOT } from "../../devnet/chains";
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
const PORTS = { from: 8800, to: 8849 };
const SDL = fs.readFileSync(path.join(ROOT, "devnet/fork.sdl.yaml"), "utf8");

describe("web app in headless Chromium: decrypting a model's SDL in the page", function () {
  this.timeout(600_000);
  let s: Stack;
  let ks: RunningKeyService;
  let ksDir: string;
  let browser: Browser;
  let site: { url: string; close: () => Promise<void> };
  let page: Page;
  let wallet: TestWallet;
  let chains: hexs.EvmChain[];
  const pageErrors: string[] = [];
  const sent: string[] = []; // every URL and request body the page sent
  let sealedModel: bigint;
  let expiring: bigint;
  const keys: Record<string, bigint> = {};

  const shot = (name: string) => screenshot(page, name);
  const on = (i: number, signer: Signer) => hexs.connectContracts(chains[i], signer);
  const keyCard = (keyId: bigint) => page.locator(`li.key[data-key="${keyId}"]`);
  const openKeys = async () => {
    await page.goto(`${site.url}#/keys`);
    await page.getByRole("heading", { name: "My keys" }).waitFor({ timeout: 30_000 });
    await keyCard(keys.sealed).waitFor({ timeout: 30_000 });
  };
  const decrypt = async (keyId: bigint) => {
    await keyCard(keyId)
      .getByRole("button", { name: `Decrypt the SDL with key ${keyId}` })
      .click();
  };

  before(async () => {
    s = await startStack(VERBOSE ? (l) => console.log(`    ${l}`) : undefined);
    chains = s.registry.chains.map((c) => hexs.evmChain(c));
    ksDir = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-app-keys-"));
    ks = await startKeyService({
      dir: ksDir,
      chains: chains.map((c) => ({ name: c.name, kind: "evm" as const, rpcUrl: c.rpcUrl!, chainId: c.evmChainId! })),
      port: PORTS,
      storePorts: PORTS,
    });
    site = await serveApp(s.nodes.dir, { indexerUrl: s.indexer.url, chains: s.registry.chains, keyServiceUrl: ks.url }, 8840); // this suite's port range: 8800-8849

    // The creator seals the SDL (validated, encrypted, key split over the five stores) and
    // publishes two models with it: one whose keys never expire, one whose keys last a minute.
    const creator = new NonceManager(await s.nodes.a.signer(2));
    const client = new KeyServiceClient(localEndpoints(ks.url));
    const owner = evmHolder(creator, (await creator.getAddress()).toLowerCase());
    const publishSealed = async (name: string, expirySeconds?: bigint) => {
      const sealed = await sealSdl(client, owner, SDL);
      const m = await hexs.publish(on(0, creator), creator, {
        contentCommitment: sealed.contentCommitment,
        sdlLocator: sealed.upload.locator,
        metadataUri: metadataUri(name, "An SDL sealed with the key service."),
        ...(expirySeconds ? { plugins: { expirySeconds } } : {}),
      });
      await hexs.setPrice(on(0, creator), creator, { modelId: m.modelId, currency: hexs.NATIVE, keyPrice: parseEther("0.001") });
      const keyNft = await on(0, creator).registry.keysOf(m.modelId);
      await grantKeyHolders(client, owner, sealed.upload.locator, { evm: [{ chain: chains[0].name, keyNft }] });
      return m.modelId;
    };
    sealedModel = await publishSealed("Sealed Llama 8B");
    expiring = await publishSealed("Sealed One-minute Pass", 60n);

    const key = Wallet.createRandom();
    wallet = new TestWallet(new Wallet(key.privateKey), chains, chains[0].evmChainId!);
    for (const c of chains)
      await wallet.provider(c.evmChainId).send("hardhat_setBalance", [key.address, toBeHex(parseEther("10"))]);
    const me = new NonceManager(wallet.wallet.connect(wallet.provider(chains[0].evmChainId)));
    const buy = async (modelId: bigint) => (await hexs.buy(on(0, me), me, { modelId, currency: hexs.NATIVE })).keyId;
    keys.sealed = await buy(sealedModel);
    keys.expiring = await buy(expiring);
    keys.plain = await buy(s.catalog.root); // its locator is no key-service file
    await wallet.provider(chains[0].evmChainId).send("evm_increaseTime", [120]);
    await wallet.provider(chains[0].evmChainId).send("evm_mine", []);
    await s.indexer.caughtUp();

    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.on("pageerror", (e) => pageErrors.push(e.message));
    page.on("request", (r) => sent.push(`${r.url()}\n${JSON.stringify(r.headers())}\n${r.postData() ?? ""}`));
    if (VERBOSE) page.on("console", (m) => console.log(`    [page] ${m.text()}`));
    await injectWallet(page, () => wallet);
  });

  afterEach(async function () {
    if (this.currentTest?.state === "failed" && page) await shot(failedShot("decrypt-failed-", this.currentTest.title));
  });

  after(async () => {
    await browser?.close();
    await site?.close();
    await ks?.close().catch(() => undefined);
    if (ksDir) fs.rmSync(ksDir, { recursive: true, force: true });
    await s?.stop();
  });

  it("decrypts the SDL in the page after the wallet signs the stores' challenges; the download is byte-equal and no plaintext leaves the page", async () => {
    await openKeys();
    const before = wallet.requests.length;
    sent.length = 0;
    await decrypt(keys.sealed);
    const link = keyCard(keys.sealed).getByTestId("sdl-download");
    await link.waitFor({ timeout: 60_000 });
    const signed = wallet.requests.slice(before).filter((m) => m === "personal_sign").length;
    expect(signed, "one personal_sign per store asked (3 of 5)").to.be.within(3, 5);
    expect(wallet.requests.slice(before)).to.not.include("eth_sendTransaction");
    expect(await keyCard(keys.sealed).getByTestId("decrypt-status").innerText()).to.match(
      new RegExp(`Decrypted in this page \\(${Buffer.byteLength(SDL)} bytes`),
    );
    const download = page.waitForEvent("download", { timeout: 30_000 });
    await link.click();
    const d = await download;
    expect(d.suggestedFilename()).to.equal(`sealed-llama-8b-${sealedModel}.sdl.yaml`);
    expect(fs.readFileSync((await d.path())!, "utf8")).to.equal(SDL);
    // what the page sent: challenges, signatures, its reply key — never the SDL
    const lines = SDL.split("\n").filter((l) => l.trim().length > 20);
    expect(sent.length).to.be.greaterThan(0);
    for (const r of sent) for (const l of lines) expect(r.includes(l.trim()), `request leaks '${l.trim()}'`).to.equal(false);
    await shot("keys-decrypted");
    expect(pageErrors).to.deep.equal([]);
  });

  it("My keys with the decrypt controls passes axe-core's WCAG 2.1 A/AA checks", async () => {
    expect((await accessibilityViolations(page)).map((v) => `${v.id}: ${v.help} at ${JSON.stringify(v.nodes)}`)).to.deep.equal(
      [],
    );
  });

  it("a rejected signature says so: nothing decrypted, press Decrypt again", async () => {
    await openKeys();
    wallet.modes.rejectSign = true;
    try {
      await decrypt(keys.sealed);
      const err = keyCard(keys.sealed).getByTestId("decrypt-error");
      await err.waitFor({ timeout: 30_000 });
      const text = await err.innerText();
      expect(text).to.match(/^Signature rejected\./);
      expect(text).to.match(/Press Decrypt again/);
      expect(await keyCard(keys.sealed).getByTestId("sdl-download").count()).to.equal(0);
    } finally {
      wallet.modes.rejectSign = false;
    }
  });

  it("an expired key gets 'No access' from the key service, with what to do next", async () => {
    await decrypt(keys.expiring);
    const err = keyCard(keys.expiring).getByTestId("decrypt-error");
    await err.waitFor({ timeout: 60_000 });
    const text = await err.innerText();
    expect(text).to.match(/^No access\./);
    expect(text).to.match(/expired/);
    expect(text).to.match(/buy \(or renew\) a key/);
    await shot("keys-decrypt-no-access");
  });

  it("a model whose SDL is not held by the key service says so before anything is signed", async () => {
    const before = wallet.requests.length;
    await decrypt(keys.plain);
    const err = keyCard(keys.plain).getByTestId("decrypt-error");
    await err.waitFor({ timeout: 30_000 });
    expect(await err.innerText()).to.match(/^No encrypted SDL\./);
    expect(wallet.requests.slice(before)).to.not.include("personal_sign");
  });

  it("with the key service down, Decrypt says it is unreachable and to try again", async () => {
    await ks.close();
    await openKeys();
    await decrypt(keys.sealed);
    const err = keyCard(keys.sealed).getByTestId("decrypt-error");
    await err.waitFor({ timeout: 30_000 });
    const text = await err.innerText();
    expect(text).to.match(/^Key service unreachable\./);
    expect(text).to.include(ks.url);
    expect(text).to.match(/try again/);
    await shot("keys-decrypt-unreachable");
  });
});
