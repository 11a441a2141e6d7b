// The CosmWasm has_access condition against a real wasmd (scripts/wasmd.sh, own home and ports
// 19050-19060): a key bought on the CosmWasm chain opens the SDL for its Cosmos holder (ADR-36),
// a key of an EVM account mirrored there (KeyMinted on an attested lane) opens it for that EVM
// account (EIP-191), non-holders and a transferred-away holder are refused. The same chain feeds
// the lease service: a `buy_key` with a deployment is read as a lease request, and a LeaseReported
// on the Akash lane (900 → 100), signed 2-of-3, resolves its escrow in the contract.
// Set WASMD_EXTERNAL=1 to use a wasmd the runner started (its WASMD_* settings).
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Secp256k1HdWallet } from "@cosmjs/amino";
import { Wallet } from "ethers";
import { AccountFamily, Kind, type Message } from "../../codec";
import { cosmwasmKeyCondition, decryptForHolder, evmHolder, KeyServiceClient, localEndpoints, sealSdl } from "../../sdk/keys";
import type { Holder } from "../../sdk/keys";
import { CosmwasmPurchaseChain } from "../../relayer/akash/feeds";
import type { LeaseRequest } from "../../relayer/akash/pipeline";
import { parseConfig, type CosmwasmChainConfig } from "../../relayer/config";
import { LeaseReportStore } from "../../relayer/store";
import {
  devnetMnemonic,
  connect,
  deploy,
  devnetEnv,
  eventAttr,
  HEXS_CHAIN,
  instantiateMsg,
  publishMsg,
  relayerKeys,
  relayerPubkeys,
  signBatch,
  startDevnet,
  stopDevnet,
  type DevnetEnv,
  type User,
} from "../../devnet/wasmd";
import { keyService, refusal } from "./helpers";

const SDL = fs.readFileSync(path.join(__dirname, "fixtures/model-with-credentials.sdl.yaml"), "utf8");
const CHAIN = "hexs-wasm-100";

async function cosmosHolder(name: string): Promise<Holder> {
  const signer = await Secp256k1HdWallet.fromMnemonic(devnetMnemonic(name), {
    prefix: "wasm",
  });
  const [{ address }] = await signer.getAccounts();
  return { family: "cosmos", address, signer };
}

describe("CosmWasm has_access condition on a real wasmd (+ the lease feed and the Akash lane there)", function () {
  this.timeout(900_000);
  let dir: string;
  let started = false;
  let env: DevnetEnv;
  let admin: User, bob: User, carol: User;
  let contract: string;
  let svc: Awaited<ReturnType<typeof keyService>>;
  let client: KeyServiceClient;
  let modelId: bigint;
  let locator: string;
  let bobKey: bigint;
  const keys = relayerKeys(3);
  const creator = Wallet.createRandom();
  const evmBuyer = Wallet.createRandom();
  const evmStranger = Wallet.createRandom();

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-keys-wasmd-"));
    if (process.env.WASMD_EXTERNAL !== "1")
      Object.assign(process.env, { WASMD_HOME: path.join(dir, "wasmd"), WASMD_RPC_PORT: "19050", WASMD_GRPC_PORT: "19060" });
    started = startDevnet();
    env = devnetEnv();
    [admin, bob, carol] = await Promise.all(["validator", "bob", "carol"].map((n) => connect(n, env)));
    ({ contract } = await deploy(admin, instantiateMsg(admin.address, await relayerPubkeys(keys), env.denom)));
    svc = await keyService([{ name: CHAIN, kind: "cosmwasm", rpcUrl: env.rpc }]);
    client = new KeyServiceClient(localEndpoints(svc.url));
    const sealed = await sealSdl(client, evmHolder(creator, creator.address.toLowerCase()), SDL, {
      imageDigest: "0x" + "34".repeat(32),
    });
    locator = sealed.upload.locator;
    const pub = await admin.client.execute(
      admin.address,
      contract,
      publishMsg({ sdlUri: locator, price: "1000", deployPrice: "5000", forkRoyaltyBps: 0 }),
      "auto",
    );
    modelId = BigInt(eventAttr(pub.events, "wasm", "model")!);
    await client.setConditions(evmHolder(creator, creator.address.toLowerCase()), sealed.upload.cid, {
      conditions: [cosmwasmKeyCondition(1, CHAIN, contract, modelId)],
    });
  });

  after(async () => {
    await svc?.close();
    stopDevnet(started);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a key bought on the CosmWasm chain opens the SDL for its Cosmos holder (ADR-36); a non-holder is refused", async () => {
    const holder = await cosmosHolder("bob");
    expect((await refusal(decryptForHolder(client, holder, locator))).code).to.equal("forbidden");
    const buy = await bob.client.execute(
      bob.address,
      contract,
      { buy_key: { model: modelId.toString(), recipient: null, with_deployment: true } },
      "auto",
      undefined,
      [{ denom: env.denom, amount: "6000" }],
    );
    bobKey = BigInt(eventAttr(buy.events, "wasm", "token_id")!);
    expect((await decryptForHolder(client, holder, locator)).toString("utf8")).to.equal(SDL);
    const e = await refusal(decryptForHolder(client, await cosmosHolder("carol"), locator));
    expect(e.code).to.equal("forbidden");
    expect(e.message).to.match(/does not satisfy the access conditions/);
  });

  it("a key of an EVM account mirrored on the CosmWasm chain (KeyMinted, 2-of-3) opens it for that EVM account; another EVM account is refused", async () => {
    expect((await refusal(decryptForHolder(client, evmHolder(evmBuyer, evmBuyer.address.toLowerCase()), locator))).code).to.equal(
      "forbidden",
    );
    const minted: Message = {
      version: 1,
      kind: Kind.KeyMinted,
      srcChain: 1,
      dstChain: HEXS_CHAIN,
      nonce: 1n,
      body: {
        modelId,
        keyId: (1n << 32n) | 7n,
        owner: { family: AccountFamily.Evm, address: evmBuyer.address.toLowerCase() },
        expiresAt: 0n,
        locked: false,
      },
    };
    const batch = await signBatch([minted], keys, [0, 2]);
    await admin.client.execute(
      admin.address,
      contract,
      { receive_batch: { messages: batch.messages, signatures: batch.signatures } },
      "auto",
    );
    expect(
      (await decryptForHolder(client, evmHolder(evmBuyer, evmBuyer.address.toLowerCase()), locator)).toString("utf8"),
    ).to.equal(SDL);
    expect(
      (await refusal(decryptForHolder(client, evmHolder(evmStranger, evmStranger.address.toLowerCase()), locator))).code,
    ).to.equal("forbidden");
  });

  it("a key transferred away on the CosmWasm chain (cw721 transfer_nft) no longer opens for its old holder and opens for the new one", async () => {
    await bob.client.execute(
      bob.address,
      contract,
      { transfer_nft: { recipient: carol.address, token_id: bobKey.toString() } },
      "auto",
    );
    expect((await refusal(decryptForHolder(client, await cosmosHolder("bob"), locator))).code).to.equal("forbidden");
    expect((await decryptForHolder(client, await cosmosHolder("carol"), locator)).toString("utf8")).to.equal(SDL);
  });

  it("the lease feed reads the buy_key with a deployment; a LeaseReported on the Akash lane (2-of-3) releases its escrow", async () => {
    const cfg = parseConfig({
      operator: { key: { env: "UNUSED" } },
      devnet: true, // one key attests and submits (a test setup)
      chains: [
        {
          type: "cosmwasm",
          name: "wasm",
          hexsChainId: HEXS_CHAIN,
          rpc: env.rpc,
          contract,
          gasPrice: `0${env.denom}`,
          startHeight: 1,
        },
      ],
      store: { sqlite: ":memory:" },
      http: { port: 0 },
    });
    const store = await LeaseReportStore.open(path.join(dir, "feed.sqlite"));
    const chain = new CosmwasmPurchaseChain(cfg.chains[0] as CosmwasmChainConfig, store, 1);
    await chain.init();
    const seen: LeaseRequest[] = [];
    while (await chain.poll({ purchase: (r) => void seen.push(r) }));
    expect(seen.map((r) => [r.purchaseChain, String(r.keyId), String(r.modelId)])).to.deep.equal([
      [String(HEXS_CHAIN), String(bobKey), String(modelId)],
    ]);
    expect(await chain.sdlLocator(modelId.toString())).to.equal(locator);
    expect(await chain.escrowOpen(bobKey)).to.equal(true);
    expect(await chain.inbound(900)).to.equal(0);
    const report: Message = {
      version: 1,
      kind: Kind.LeaseReported,
      srcChain: 900,
      dstChain: HEXS_CHAIN,
      nonce: 1n,
      body: { purchaseId: bobKey, ok: true, dseq: 42n, gseq: 1, oseq: 1, provider: "akash1provider", reason: "" },
    };
    const batch = await signBatch([report], keys, [1, 2]);
    await admin.client.execute(
      admin.address,
      contract,
      { receive_batch: { messages: batch.messages, signatures: batch.signatures } },
      "auto",
    );
    expect(await chain.inbound(900)).to.equal(1);
    expect(await chain.escrowOpen(bobKey)).to.equal(false);
    // the cursor moved: nothing is read twice
    const again: LeaseRequest[] = [];
    while (await chain.poll({ purchase: (r) => void again.push(r) }));
    expect(again).to.deep.equal([]);
    await chain.close();
    await store.close();
    expect(carol.address).to.match(/^wasm1/);
  });
});
