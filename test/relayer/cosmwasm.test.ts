// The relayer between a real single-node wasmd chain (Hexs CosmWasm contract, chain 100) and a
// real `hardhat node` (hub + attestation gateway + registry, chain 1), two in-process relayers
// of a 2-of-3 set:
//   CosmWasm publish → `wasm-hexs_outbound` → CosmWasm source → EVM gateway → registry mirror;
//   EVM hub journal → EVM source → CosmWasm `receive_batch` → the contract's mirror.
// wasmd is started through scripts/wasmd.sh on 127.0.0.1:18910-18913 in a temp home unless
// WASMD_EXTERNAL=1 (then the runner's wasmd and its WASMD_* settings are used).
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DirectSecp256k1Wallet } from "@cosmjs/proto-signing";
import { fromBech32, fromHex, toHex } from "@cosmjs/encoding";
import { Contract, SigningKey, Wallet, hexlify, keccak256, zeroPadValue } from "ethers";
import { AccountFamily, encodeBody, Kind } from "../../codec";
import { parseConfig, type RelayerConfig } from "../../relayer/config";
import type { HasAccessResponse, LanesResponse, Model } from "../../sdk/cosmwasm/Hexs.types";
import { Relayer } from "../../relayer/relayer";
import { CosmwasmSource } from "../../relayer/sources/cosmwasm";
import { OpStore } from "../../relayer/store";
import {
  connect,
  deploy,
  devnetEnv,
  eventAttr,
  evmModelBody,
  instantiateMsg,
  publishMsg,
  startDevnet,
  stopDevnet,
  type DevnetEnv,
  type User,
} from "../../devnet/wasmd";
import { deployChain, fund, recordKinds, startNode, wireMirror, type HexsChain, type Node } from "./helpers/evm";
import { until } from "../until";

const EVM = 1;
const COSMOS = 100;
const HARDHAT_PORT = 18920;
const HTTP_PORTS = [18930, 18931];
const keys = [0, 1, 2].map((i) => new Wallet(keccak256(Buffer.from(`hexs-relayer-test-${i}`))));

const toHex0x = (b: Uint8Array): string => `0x${toHex(b)}`;

async function cosmosAddress(w: Wallet): Promise<string> {
  const wallet = await DirectSecp256k1Wallet.fromKey(fromHex(w.privateKey.slice(2)), "wasm");
  return (await wallet.getAccounts())[0].address;
}

describe("relayer between wasmd (CosmWasm) and a hardhat node (EVM gateway), 2-of-3", function () {
  this.timeout(900_000); // a cold run builds the wasm (and wasmd when not cached)
  let started = false;
  let home: string | undefined;
  let dir: string;
  let env: DevnetEnv;
  let admin: User, alice: User, bob: User;
  let contract: string;
  let node: Node;
  let a: HexsChain;
  let registry: Contract;
  const relayers: Relayer[] = [];

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-relayer-cw-"));
    if (process.env.WASMD_EXTERNAL !== "1") {
      home = path.join(dir, "wasmd");
      Object.assign(process.env, { WASMD_HOME: home, WASMD_RPC_PORT: "18910", WASMD_GRPC_PORT: "18913" });
    }
    started = startDevnet();
    env = devnetEnv();
    [admin, alice, bob] = await Promise.all(["validator", "alice", "bob"].map((n) => connect(n, env)));
    const pubkeys = keys.map((k) => SigningKey.computePublicKey(k.signingKey.publicKey, true).slice(2));
    ({ contract } = await deploy(admin, instantiateMsg(admin.address, pubkeys, env.denom)));
    for (const k of keys)
      await admin.client.sendTokens(admin.address, await cosmosAddress(k), [{ denom: env.denom, amount: "1000000" }], "auto");

    node = await startNode(HARDHAT_PORT);
    a = await deployChain(
      node.provider,
      EVM,
      keys.map((k) => k.address),
      2,
    );
    registry = await wireMirror(node.provider, a);
    await (await a.hub.setPeer(COSMOS, await a.gateway.getAddress(), 0, AccountFamily.Cosmos)).wait();
    await fund(
      node.provider,
      keys.map((k) => k.address),
    );

    const height = (await admin.client.getHeight()) || 1;
    for (const i of [0, 1]) {
      const r = new Relayer(config(i, height));
      relayers.push(r);
      await r.start();
    }
  });

  after(async function () {
    for (const r of relayers) await r.stop().catch(() => undefined);
    await node?.stop();
    for (const c of [admin, alice, bob]) c?.client.disconnect();
    stopDevnet(started);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function config(i: number, startHeight: number): RelayerConfig {
    process.env[`HEXS_TEST_CW_KEY_${i}`] = keys[i].privateKey;
    return parseConfig({
      instance: `cw${i}`,
      operator: { key: { env: `HEXS_TEST_CW_KEY_${i}` } },
      devnet: true, // one key attests and submits (a test setup)
      chains: [
        {
          type: "evm",
          name: "evm",
          hexsChainId: EVM,
          rpc: node.url,
          hub: a.hub.target,
          gateway: a.gateway.target,
          confirmations: 0,
          pollIntervalMs: 100,
          deliverTo: [COSMOS],
        },
        {
          type: "cosmwasm",
          name: "wasmd",
          hexsChainId: COSMOS,
          rpc: env.rpc,
          contract,
          gasPrice: `0${env.denom}`,
          confirmations: 0,
          startHeight,
          pollIntervalMs: 200,
          deliverTo: [EVM],
        },
      ],
      peers: [{ name: `cw${1 - i}`, url: `http://127.0.0.1:${HTTP_PORTS[1 - i]}` }],
      store: { sqlite: path.join(dir, `cw${i}.db`) },
      http: { port: HTTP_PORTS[i] },
      delivery: { maxBatch: 30, attestTimeoutMs: 1000, backoffBaseMs: 100, backoffMaxMs: 1000, idleMs: 50 },
    });
  }

  it("CosmWasm → EVM: a model published on wasmd is mirrored in the EVM registry", async function () {
    const res = await alice.client.execute(
      alice.address,
      contract,
      publishMsg({ sdlUri: "ipfs://cw-sdl", price: "1000", deployPrice: "0", forkRoyaltyBps: 700 }),
      "auto",
    );
    const modelId = BigInt(eventAttr(res.events, "wasm", "model")!);
    expect(modelId).to.equal((BigInt(COSMOS) << 32n) | 1n);
    await until("the model mirrored on the EVM chain", 60_000, async () => Number((await a.hub.lane(COSMOS)).inbound) >= 1);
    const m = await registry.model(modelId);
    expect(m.creator).to.not.equal("0x0000000000000000000000000000000000000000");
    expect(m.contentCommitment).to.equal("0x" + "11".repeat(32));
    expect(m.sdlLocator).to.equal("ipfs://cw-sdl");
    expect(Number(m.forkRoyaltyBps)).to.equal(700);
    expect(Number((await a.hub.lane(COSMOS)).inbound)).to.equal(1);
    // A purchase emits two outbound events in one transaction (KeyMinted, PurchaseSettled).
    const buy = await bob.client.execute(
      bob.address,
      contract,
      { buy_key: { model: modelId.toString(), recipient: null, with_deployment: false } },
      "auto",
      undefined,
      [{ denom: env.denom, amount: "1000" }],
    );
    const keyId = BigInt(eventAttr(buy.events, "wasm", "token_id")!);
    await until("the purchase mirrored on the EVM chain", 60_000, async () => Number((await a.hub.lane(COSMOS)).inbound) >= 3);
    expect(Number((await a.hub.lane(COSMOS)).inbound)).to.equal(3);
    // the holder as the hub keys it: Cosmos family, the 20-byte address in the low bytes of the word
    const bobWord = { family: AccountFamily.Cosmos, addr: zeroPadValue(toHex0x(fromBech32(bob.address, 1023).data), 32) };
    const mk = await a.lens.mirroredKey(await a.hub.getAddress(), keyId, modelId, bobWord);
    expect(BigInt(mk.modelId)).to.equal(modelId);
  });

  it("EVM → CosmWasm: facts recorded by the EVM hub reach the contract's mirror", async function () {
    const model = (BigInt(EVM) << 32n) | 5n;
    const key = (BigInt(EVM) << 32n) | 9n;
    const holder = "0x" + "ab".repeat(20);
    await recordKinds(a, [
      {
        kind: Kind.ModelRegistered,
        body: hexlify(encodeBody(Kind.ModelRegistered, evmModelBody(model, "ipfs://evm-sdl"))),
      },
      {
        kind: Kind.KeyMinted,
        body: hexlify(
          encodeBody(Kind.KeyMinted, {
            modelId: model,
            keyId: key,
            owner: { family: AccountFamily.Evm, address: holder },
            expiresAt: 0n,
            locked: false,
          }),
        ),
      },
    ]);
    const lanes = async (): Promise<LanesResponse> => alice.client.queryContractSmart(contract, { lanes: {} });
    await until(
      "both entries applied on wasmd",
      60_000,
      async () => ((await lanes()).inbound.find((l) => l.chain === EVM)?.nonce ?? 0) >= 2,
    );
    expect((await lanes()).inbound).to.deep.equal([{ chain: EVM, nonce: 2 }]);
    const m: Model = await alice.client.queryContractSmart(contract, { model: { id: model.toString() } });
    expect(m.origin_chain).to.equal(EVM);
    const access: HasAccessResponse = await alice.client.queryContractSmart(contract, {
      has_access: { model: model.toString(), account: { evm: holder } },
    });
    expect(access.access).to.equal(true);
    // Both relayers agree: every operation is confirmed in their stores, none parked.
    const delivered = async (r: Relayer, src: number, dst: number): Promise<number> =>
      (await r.metrics.deliveries.get()).values.find((v) => Number(v.labels.src) === src && Number(v.labels.dst) === dst)
        ?.value ?? 0;
    await until("both relayers confirmed every operation", 30_000, async () => {
      for (const r of relayers) if ((await delivered(r, EVM, COSMOS)) < 2 || (await delivered(r, COSMOS, EVM)) < 3) return false;
      return true;
    });
    for (const r of relayers) {
      expect(await delivered(r, EVM, COSMOS)).to.equal(2);
      expect(await delivered(r, COSMOS, EVM)).to.equal(3);
      expect((await r.metrics.failures.get()).values.filter((v) => v.labels.stage === "rejected")).to.deep.equal([]);
    }
  });
  it("CosmWasm source: tx_search over height ranges finds the same operations as block_results per height, faster", async function () {
    // Both scans start at height 1 (the whole chain so far) with a fresh store each; the events are
    // the publish and purchase above. The head keeps moving, so only the operations are compared.
    const scan = async (
      mode: "search" | "blockResults",
    ): Promise<{ ms: number; heights: number; ops: string[]; polls: number; used: string }> => {
      const store = await OpStore.open({ sqlite: ":memory:" });
      const cfg = config(0, 1).chains[1];
      if (cfg.type !== "cosmwasm") throw new Error("expected the wasmd chain config");
      const src = new CosmwasmSource({ ...cfg, startHeight: 1, scan: mode }, store);
      await src.init();
      const t0 = Date.now();
      let r = await src.poll();
      let polls = 1;
      while (r.behind) {
        r = await src.poll();
        polls++;
      }
      const ms = Date.now() - t0;
      const ops = (await store.list({ limit: 1000 })).map((o) => `${o.id}@${o.sourceHeight}:${o.digest}`);
      await src.close();
      await store.close();
      return { ms, heights: r.cursor, ops, polls, used: src.scanMode };
    };
    const before = await scan("blockResults");
    const after = await scan("search");
    console.log(
      `      CosmWasm source catch-up from height 1: block_results ${before.heights} heights in ${before.ms} ms (${Math.round((before.heights * 1000) / before.ms)} heights/s, ${before.polls} polls); ` +
        `tx_search ${after.heights} heights in ${after.ms} ms (${Math.round((after.heights * 1000) / after.ms)} heights/s, ${after.polls} polls)`,
    );
    expect(after.used).to.equal("search"); // the node indexes transactions: no fallback
    expect(before.ops.length).to.equal(3);
    expect(after.ops).to.deep.equal(before.ops);
    expect(after.ms).to.be.lessThan(before.ms);
  });
});
