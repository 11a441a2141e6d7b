// Models published on the Cosmos chain in the catalog: a real wasmd with the Hexs CosmWasm contract
// (peers: both EVM chains) beside the app's two `hardhat node`s and the indexer. A model is
// published on wasmd, forked there through the SDK (`cosmosFork`) and a key of the fork bought there
// (`cosmosBuyKey`); the facts the contract emitted (ModelRegistered ×2, KeyMinted, PurchaseSettled:
// its `hexs_outbound` events) are carried to each EVM hub's attestation gateway as the relayers
// do (signed by the gateways' relayer set). The indexer reads them from the hubs, and the app, in
// headless Chromium, lists both models in the catalog with their Cosmos creator and home, and the
// fork's page shows its lineage, terms, keys sold on the Cosmos chain and the price the contract
// asks there (read from the chain by the page). Screenshots go to app/test-results/.
// Run: flock /tmp/hexs-heavy.lock bash scripts/app-test.sh test/app/cosmos-catalog.test.ts
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { HDNodeWallet, hexlify } from "ethers";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { AccountFamily, batchRootOfMessages, encodeMessage, globalId, Kind, type Message } from "../../codec";
import { AttestationGateway__factory } from "../../sdk/typechain";
import type { CosmosChain } from "../../sdk/chains";
import { connectCosmos, cosmosBuyKey, cosmosFork } from "../../sdk/cosmwasm-client";
import { firstFreePort } from "../../devnet/app";
import {
  connect,
  deploy,
  devnetEnv,
  devnetMnemonic,
  eventAttr,
  HEXS_CHAIN,
  instantiateMsg,
  outboundMessages,
  PREFIX,
  publishMsg,
  relayerKeys,
  relayerPubkeys,
  startDevnet,
  stopDevnet,
  type DevnetEnv,
  type User,
} from "../../devnet/wasmd";
import { startStack, type Stack } from "./helpers/stack";
import { accessibilityViolations, launch, serveApp, screenshot, type Browser, type Page } from "./helpers/browser";

const VERBOSE = process.env.HEXS_APP_VERBOSE === "1";

describe("web app: models published on the Cosmos chain in the catalog (real wasmd, facts through the hubs)", function () {
  this.timeout(900_000);
  let dir: string;
  let started = false;
  let env: DevnetEnv;
  let admin: User;
  let cosmos: CosmosChain;
  let s: Stack;
  let site: { url: string; close: () => Promise<void> };
  let browser: Browser;
  let page: Page;
  let root: bigint;
  let fork: bigint;
  let forker: string;
  const pageErrors: string[] = [];
  const txs: string[] = [];

  const shot = (name: string) => screenshot(page, name);

  const relayer = HDNodeWallet.fromPhrase(
    "test test test test test test test test test test test junk",
    undefined,
    "m/44'/60'/0'/0/0",
  );
  /** Submit `messages` (hex) to a hub's gateway, signed by its relayer set (the dev mnemonic's first account). */
  async function submit(node: Stack["nodes"]["a"], messages: string[]) {
    const { root: batchRoot } = batchRootOfMessages(messages);
    const gateway = AttestationGateway__factory.connect(node.addresses.AttestationGateway, await node.signer(1));
    await (await gateway.submitBatch(messages, [relayer.signingKey.sign(batchRoot).serialized])).wait();
  }

  /** What the relayers do: each lane's new outbound facts, signed by the gateway's relayer set, submitted to that hub. */
  async function relayFromCosmos() {
    const out = [];
    for (const hash of txs.splice(0)) {
      const tx = await admin.client.getTx(hash);
      if (!tx) throw new Error(`wasmd has no transaction ${hash}`);
      out.push(...outboundMessages(tx.events));
    }
    for (const [node, dst] of [
      [s.nodes.a, 1],
      [s.nodes.b, 2],
    ] as const) {
      const lane = out.filter((m) => m.message.dstChain === dst).sort((x, y) => Number(x.nonce - y.nonce));
      const messages = lane.map((m) => "0x" + m.hex);
      expect(lane[0].nonce, "the hub's next nonce on the lane from the Cosmos chain").to.equal(
        (await node.hub.lane(HEXS_CHAIN)).inbound + 1n,
      );
      await submit(node, messages);
    }
  }

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-app-cosmos-catalog-"));
    if (process.env.WASMD_EXTERNAL !== "1") {
      Object.assign(process.env, {
        WASMD_HOME: path.join(dir, "wasmd"),
        WASMD_RPC_PORT: String(await firstFreePort(19270 + (process.pid % 20) * 4)),
        WASMD_GRPC_PORT: String(await firstFreePort(19370 + (process.pid % 20) * 2)),
      });
    }
    started = startDevnet();
    env = devnetEnv();
    admin = await connect("validator", env);
    // the contract's outbound facts go to both EVM chains (1 and 2), as on the devnet
    const init = instantiateMsg(admin.address, await relayerPubkeys(relayerKeys(3)), env.denom);
    init.config.peers = [1, 2];
    const { contract } = await deploy(admin, init);
    cosmos = {
      name: "devnetC",
      family: "cosmos",
      hexsChainId: HEXS_CHAIN,
      rpcUrl: env.rpc,
      cosmosChainId: env.chainId,
      bech32Prefix: PREFIX,
      contract,
    };
    s = await startStack(VERBOSE ? (l) => console.log(`    ${l}`) : undefined, [cosmos]);

    // a root model on the Cosmos chain (the validator's), forked there by carol through the SDK, a key of the fork bought by bob
    const pub = await admin.client.execute(
      admin.address,
      contract,
      publishMsg({ sdlUri: "ipfs://bafy-cosmos-mistral", price: "1500000", deployPrice: "0", forkRoyaltyBps: 1000 }),
      "auto",
    );
    txs.push(pub.transactionHash);
    root = BigInt(eventAttr(pub.events, "wasm", "model")!);
    const carol = await DirectSecp256k1HdWallet.fromMnemonic(devnetMnemonic("carol"), { prefix: PREFIX });
    [{ address: forker }] = await carol.getAccounts();
    const asCarol = await connectCosmos(cosmos, carol);
    const f = await cosmosFork(asCarol, {
      parent: root,
      sdlUri: "ipfs://bafy-cosmos-mistral-chat",
      content: "cd".repeat(32),
      price: 2_250_000n,
      forkRoyaltyBps: 500,
    });
    txs.push(f.txHash);
    fork = f.modelId;
    const bob = await connectCosmos(
      cosmos,
      await DirectSecp256k1HdWallet.fromMnemonic(devnetMnemonic("bob"), { prefix: PREFIX }),
    );
    txs.push((await cosmosBuyKey(bob, fork)).txHash);
    await relayFromCosmos();
    await s.indexer.caughtUp();

    site = await serveApp(s.nodes.dir, { indexerUrl: s.indexer.url, chains: [...s.registry.chains, cosmos] });
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
    page.on("pageerror", (e) => pageErrors.push(e.message));
    if (VERBOSE) page.on("console", (m) => console.log(`    [page] ${m.text()}`));
  });

  after(async () => {
    if (browser) await browser.close();
    if (site) await site.close();
    if (s) await s.stop();
    stopDevnet(started);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("the indexer has the Cosmos models' full terms from the hubs: creator as bech32, lineage, royalty shares, commitment", async () => {
    const { a, b } = await s.indexer.query<{
      a: { creatorAccount: string; homeChain: number; parentId: string; forkRoyaltyBps: number; contentCommitment: string };
      b: {
        creatorAccount: string;
        homeChain: number;
        parentId: string;
        upstreamBps: number;
        forkRoyaltyBps: number;
        depth: number;
        sdlLocator: string;
        sales: number;
      };
    }>(
      `{ a: model(id: "${root}") { creatorAccount homeChain parentId forkRoyaltyBps contentCommitment }
         b: model(id: "${fork}") { creatorAccount homeChain parentId upstreamBps forkRoyaltyBps depth sdlLocator sales } }`,
    );
    expect(a).to.deep.equal({
      creatorAccount: admin.address,
      homeChain: HEXS_CHAIN,
      parentId: "0",
      forkRoyaltyBps: 1000,
      contentCommitment: "0x" + "11".repeat(32),
    });
    expect(b).to.deep.equal({
      creatorAccount: forker,
      homeChain: HEXS_CHAIN,
      parentId: String(root),
      upstreamBps: 1000,
      forkRoyaltyBps: 500,
      depth: 1,
      sdlLocator: "ipfs://bafy-cosmos-mistral-chat",
      sales: 1,
    });
  });

  it("the catalog lists both Cosmos models: home Devnet C, the Cosmos creator, priced on Devnet C; search finds them by creator", async () => {
    await page.goto(site.url);
    const list = page.getByRole("list", { name: "models", exact: true });
    await list.waitFor();
    const card = (id: bigint) => list.locator("li.card").filter({ hasText: `id ${id} (` });
    await card(fork).waitFor({ timeout: 30_000 });
    const rootCard = await card(root).innerText();
    expect(rootCard).to.match(/Home\s+Devnet C/);
    expect(rootCard).to.match(/Lineage\s+original · 1 fork/);
    expect(rootCard).to.match(/From\s+priced on Devnet C/);
    expect(rootCard).to.contain(`${admin.address.slice(0, 6)}…${admin.address.slice(-4)}`);
    const forkCard = await card(fork).innerText();
    expect(forkCard).to.match(/Keys sold\s+1/);
    expect(forkCard).to.contain(`${forker.slice(0, 6)}…${forker.slice(-4)}`);
    await shot("cosmos-catalog");
    await page.getByRole("searchbox").fill(forker);
    for (let i = 0; i < 40 && (await list.locator("li.card").count()) !== 1; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await list.locator("li.card").count()).to.equal(1);
    expect(await list.locator("li.card").first().innerText()).to.contain(`id ${fork} (`);
    await page.getByRole("searchbox").fill("");
  });

  it("the fork's page: Cosmos creator and home, lineage and royalty, 1 key sold on Devnet C at the contract's 2.25 COSM", async () => {
    await page.goto(`${site.url}#/model/${fork}`);
    await page.getByRole("heading", { level: 2, name: "Prices and keys on each chain" }).waitFor();
    const facts = await page.locator("dl.facts").first().innerText();
    expect(facts).to.contain(forker);
    expect(facts).to.match(/Published on\s+Devnet C/);
    expect(facts).to.match(/fork of Model \S+ \(100:1\), paying it 10% of every sale/);
    expect(facts).to.contain("cd".repeat(32));
    const row = page.locator(`table[aria-label="prices and keys sold per chain"] tr[data-chain="${HEXS_CHAIN}"]`);
    await row.getByTestId(`cosmos-price-${HEXS_CHAIN}`).filter({ hasText: "COSM" }).waitFor({ timeout: 30_000 });
    expect(await row.innerText()).to.match(/Devnet C\s+home\s+1\s+2\.25 COSM\s+Buy on the Cosmos page/);
    // its mirrors on the EVM chains: no price set there, no keys sold there
    expect(await page.locator('table[aria-label="prices and keys sold per chain"] tr[data-chain="1"]').innerText()).to.match(
      /Devnet A\s+mirror\s+0\s+not for sale here/,
    );
    expect(await page.locator('table[aria-label="prices and keys sold per chain"] tr[data-chain="2"]').innerText()).to.match(
      /Devnet B\s+mirror\s+0\s+not for sale here/,
    );
    await page
      .getByRole("figure", { name: /lineage tree/ })
      .locator(".react-flow__node")
      .nth(1)
      .waitFor();
    // the royalty flow names each level's creator as its chain writes it
    const flow = await page.getByTestId("royalty-flow").innerText();
    expect(flow).to.contain(`its creator ${forker.slice(0, 6)}…${forker.slice(-4)} gets 87.5%`);
    expect(flow).to.contain(`its creator ${admin.address.slice(0, 6)}…${admin.address.slice(-4)} gets`);
    await shot("cosmos-model-page");
    expect((await accessibilityViolations(page)).map((v) => `${v.id}: ${v.help} at ${JSON.stringify(v.nodes)}`)).to.deep.equal(
      [],
    );
  });

  it("the root's page reads its price from the contract (1.5 COSM); an unreachable Cosmos RPC says so, nothing else breaks", async () => {
    await page.goto(`${site.url}#/model/${root}`);
    const price = page.getByTestId(`cosmos-price-${HEXS_CHAIN}`);
    await price.filter({ hasText: "1.5 COSM" }).waitFor({ timeout: 30_000 });
    // a second page whose registry points the Cosmos chain at a closed port
    const dead = { ...cosmos, rpcUrl: `http://127.0.0.1:${await firstFreePort(19490)}` };
    fs.mkdirSync(path.join(dir, "dead"), { recursive: true });
    const other = await serveApp(path.join(dir, "dead"), { indexerUrl: s.indexer.url, chains: [...s.registry.chains, dead] });
    try {
      await page.goto(`${other.url}#/model/${root}`);
      await price.filter({ hasText: "unreachable" }).waitFor({ timeout: 30_000 });
      expect(await price.innerText()).to.equal("the chain is unreachable: its price cannot be read now");
      expect(await page.locator('table[aria-label="prices and keys sold per chain"] tr[data-chain="1"]').innerText()).to.match(
        /Devnet A\s+mirror/,
      );
      await shot("cosmos-model-page-rpc-down");
    } finally {
      await other.close();
    }
    expect(pageErrors).to.deep.equal([]);
  });
  it("the Cosmos lane cannot register or update a model homed elsewhere in the catalog: forged facts change no record", async () => {
    const forgedId = globalId(1, 999); // an id of EVM chain A
    const before = await s.indexer.query<{ m: Record<string, unknown> }>(
      `{ m: model(id: "${s.catalog.root}") { homeChain creator creatorAccount contentCommitment sdlLocator retired } }`,
    );
    const next = (await s.nodes.a.hub.lane(HEXS_CHAIN)).inbound + 1n;
    const hdr = { version: 1, srcChain: HEXS_CHAIN, dstChain: 1 };
    const forged: Message[] = [
      {
        ...hdr,
        nonce: next,
        kind: Kind.ModelRegistered,
        body: {
          modelId: forgedId,
          parentId: 0n,
          creator: { family: AccountFamily.Cosmos, address: "0x" + "ab".repeat(20) },
          contentCommitment: "0x" + "ee".repeat(32),
          parentCommitment: "0x" + "00".repeat(32),
          soulbound: false,
          forkable: true,
          keyDuration: 0n,
          upstreamBps: 0,
          daoBps: 0,
          forkRoyaltyBps: 0,
          resaleRoyaltyBps: 0,
          sdlLocator: "ipfs://forged",
          metadataUri: "",
        },
      },
      {
        ...hdr,
        nonce: next + 1n,
        kind: Kind.ModelUpdated,
        body: {
          modelId: s.catalog.root,
          sequence: 99n,
          retired: true,
          contentCommitment: "0x" + "ee".repeat(32),
          sdlLocator: "ipfs://forged",
          metadataUri: "",
          prices: [],
        },
      },
    ];
    await submit(
      s.nodes.a,
      forged.map((m) => hexlify(encodeMessage(m))),
    );
    await s.indexer.caughtUp();
    const after = await s.indexer.query<{ m: Record<string, unknown>; f: unknown }>(
      `{ m: model(id: "${s.catalog.root}") { homeChain creator creatorAccount contentCommitment sdlLocator retired } f: model(id: "${forgedId}") { id } }`,
    );
    expect(after.f).to.equal(null);
    expect(after.m).to.deep.equal(before.m);
    expect(after.m.homeChain).to.equal(1);
  });
});
