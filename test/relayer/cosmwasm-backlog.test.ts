// Issue 15: a relayer stalled on a large CosmWasm backlog. One wasmd transaction of 500 purchases
// on a contract with two peer lanes emits 2,000 `wasm-hexs_outbound` events (3.4 MB of results).
// Asking the node's tx index for the contract's event made it visit one index entry per event,
// each costing work that grows with the transaction: one query (and each page) took ~16 s,
// during which the source's first poll held /readyz at 503 and a stop waited for it. This file
// loads that transaction on a real wasmd and checks that the source reads it in bounded polls
// (every message stored once, in lane order) and that a relayer started on it turns ready and
// stops promptly.
//
// wasmd runs through scripts/wasmd.sh in a temp home on 127.0.0.1:26657-26659 (gRPC 9090), the
// relayer's HTTP endpoint on :7101; WASMD_EXTERNAL=1 uses the runner's wasmd instead.
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { ExecuteInstruction } from "@cosmjs/cosmwasm-stargate";
import { keccak256, Wallet } from "ethers";
import { parseConfig, type RelayerConfig } from "../../relayer/config";
import { Relayer } from "../../relayer/relayer";
import { CosmwasmSource } from "../../relayer/sources/cosmwasm";
import { OpStore, type Op } from "../../relayer/store";
import type { LanesResponse } from "../../sdk/cosmwasm/Hexs.types";
import {
  connect,
  deploy,
  devnetEnv,
  instantiateMsg,
  publishMsg,
  relayerKeys,
  relayerPubkeys,
  startDevnet,
  stopDevnet,
  type DevnetEnv,
  type User,
} from "../../devnet/wasmd";

const COSMOS = 100;
const LANES = [1, 2];
const PURCHASES = 500;
const HTTP_PORT = 7101;
/** generous against the machine's load: before the fix the first poll alone took ~16 s */
const BOUND_MS = 5_000;

describe("relayer on a large CosmWasm backlog (issue 15): one transaction of 500 purchases, two peer lanes", function () {
  this.timeout(900_000);
  let started = false;
  let dir: string;
  let env: DevnetEnv;
  let admin: User;
  let contract: string;
  let startHeight: number;
  let txHeight: number;
  /** the contract's outbound lane nonces after the load */
  const outbound = new Map<number, number>();
  /** the wasmd.sh settings this file overrides, restored for the files that run after it */
  const saved = Object.fromEntries(["WASMD_HOME", "WASMD_RPC_PORT", "WASMD_GRPC_PORT"].map((k) => [k, process.env[k]]));

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-relayer-backlog-"));
    if (process.env.WASMD_EXTERNAL !== "1")
      Object.assign(process.env, { WASMD_HOME: path.join(dir, "wasmd"), WASMD_RPC_PORT: "26657", WASMD_GRPC_PORT: "9090" });
    started = startDevnet();
    env = devnetEnv();
    admin = await connect("validator", env);
    const msg = instantiateMsg(admin.address, await relayerPubkeys(relayerKeys()), env.denom);
    ({ contract } = await deploy(admin, { ...msg, config: { ...msg.config, peers: LANES } }));
    startHeight = await admin.client.getHeight();
    const pub = await admin.client.execute(
      admin.address,
      contract,
      publishMsg({ sdlUri: "ipfs://backlog", price: "1000", deployPrice: "0", forkRoyaltyBps: 0 }),
      "auto",
    );
    const model = pub.events.find((e) => e.type === "wasm")?.attributes.find((a) => a.key === "model")?.value;
    expect(model, "publish emitted the model id").to.be.a("string");
    const buys: ExecuteInstruction[] = Array.from({ length: PURCHASES }, () => ({
      contractAddress: contract,
      msg: { buy_key: { model, recipient: null, with_deployment: false } },
      funds: [{ denom: env.denom, amount: "1000" }],
    }));
    const res = await admin.client.executeMultiple(admin.address, buys, "auto");
    txHeight = res.height;
    const lanes = (await admin.client.queryContractSmart(contract, { lanes: {} })) as LanesResponse;
    for (const l of lanes.outbound) outbound.set(l.chain, l.nonce);
    // publish (ModelRegistered) + 2 per purchase (KeyMinted, PurchaseSettled) on each lane
    for (const lane of LANES) expect(outbound.get(lane)).to.equal(1 + 2 * PURCHASES);
    // wait until the index and a later block hold the transaction (the source reads the head exactly)
    const until = Date.now() + 30_000;
    while ((await admin.client.getHeight()) < txHeight + 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  });

  after(async function () {
    admin?.client.disconnect();
    stopDevnet(started);
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  function config(port: number): RelayerConfig {
    process.env.HEXS_TEST_BACKLOG_KEY = new Wallet(keccak256(Buffer.from("hexs-relayer-backlog"))).privateKey;
    return parseConfig({
      instance: "backlog",
      operator: { key: { env: "HEXS_TEST_BACKLOG_KEY" } },
      devnet: true,
      // EVM chains nobody serves: this test is about the CosmWasm source; their failures are their own components
      chains: [
        ...LANES.map((id) => ({
          type: "evm",
          name: `evm${id}`,
          hexsChainId: id,
          rpc: "http://127.0.0.1:8545",
          hub: `0x${String(id).repeat(40)}`,
          gateway: `0x${String(id + 2).repeat(40)}`,
          deliverTo: [COSMOS],
          retryMaxMs: 1000,
        })),
        {
          type: "cosmwasm",
          name: "wasmd",
          hexsChainId: COSMOS,
          rpc: env.rpc,
          contract,
          gasPrice: `0${env.denom}`,
          confirmations: 0,
          startHeight,
          pollIntervalMs: 100,
          deliverTo: LANES,
        },
      ],
      peers: [],
      store: { sqlite: path.join(dir, `backlog-${port}.db`) },
      http: { port },
    });
  }

  it("the source reads the transaction in bounded polls: every outbound message of both lanes stored once, in nonce order", async function () {
    const store = await OpStore.open({ sqlite: ":memory:" });
    const cfg = config(HTTP_PORT).chains[2];
    if (cfg.type !== "cosmwasm") throw new Error("expected the wasmd chain config");
    const src = new CosmwasmSource(cfg, store);
    await src.init();
    const polls: number[] = [];
    let r;
    do {
      const t = Date.now();
      r = await src.poll();
      polls.push(Date.now() - t);
    } while (r.behind || r.cursor < txHeight);
    expect(src.scanMode).to.equal("search");
    expect(Math.max(...polls), `poll durations ${polls.join(", ")} ms`).to.be.lessThan(BOUND_MS);
    const ops: Op[] = await store.list({ limit: 10_000 });
    for (const lane of LANES) {
      const mine = ops.filter((o) => o.src === COSMOS && o.dst === lane);
      expect(mine.map((o) => o.nonce)).to.deep.equal(Array.from({ length: outbound.get(lane)! }, (_, i) => i + 1));
      for (const o of mine) {
        expect(o.digest).to.equal(keccak256(o.message));
        expect(o.state).to.equal("observed");
      }
      // everything but the publish comes from the one big transaction
      expect(mine.filter((o) => o.sourceHeight === txHeight)).to.have.length(2 * PURCHASES);
    }
    expect(ops).to.have.length(LANES.length * (1 + 2 * PURCHASES));
    // polling again finds nothing new: nothing is stored twice
    expect((await src.poll()).observed).to.equal(0);
    expect(await store.list({ limit: 10_000 })).to.have.length(ops.length);
    await src.close();
    await store.close();
  });

  it("a relayer started on the backlog reports its wasmd source ready and stops promptly", async function () {
    const relayer = new Relayer(config(HTTP_PORT));
    const t0 = Date.now();
    await relayer.start();
    let sourceOkAfter = -1;
    let answered = 0;
    try {
      while (Date.now() - t0 < 30_000) {
        const res = await fetch(`http://127.0.0.1:${HTTP_PORT}/readyz`, { signal: AbortSignal.timeout(2_000) });
        answered++;
        const body = (await res.json()) as { components: Record<string, { ok: boolean; cursor?: number }> };
        const wasmd = body.components["source:wasmd"];
        if (wasmd?.ok && (wasmd.cursor ?? 0) >= txHeight) {
          sourceOkAfter = Date.now() - t0;
          break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(answered).to.be.greaterThan(0);
      expect(sourceOkAfter, "wasmd source healthy past the big transaction (ms after start)").to.be.within(0, BOUND_MS);
    } finally {
      const t1 = Date.now();
      await relayer.stop();
      expect(Date.now() - t1, "stop() duration (ms)").to.be.lessThan(BOUND_MS);
    }
    // the relayer's store holds the whole backlog, nothing lost (no EVM chain serves it: nothing delivered)
    const store = await OpStore.open({ sqlite: path.join(dir, `backlog-${HTTP_PORT}.db`) });
    const counts = await store.counts();
    await store.close();
    expect(counts.observed).to.equal(LANES.length * (1 + 2 * PURCHASES));
    expect(counts.attested + counts.submitted + counts.confirmed + counts.parked).to.equal(0);
  });
});
