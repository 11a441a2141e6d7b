// Optional websocket EVM source: with `ws` configured the source polls as soon as the node
// announces a new head (eth_subscribe newHeads), so delivery does not wait for a long poll
// interval; with the websocket unreachable it falls back to polling on its interval.
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Wallet, keccak256 } from "ethers";
import { parseConfig } from "../../relayer/config";
import { Relayer } from "../../relayer/relayer";
import {
  appliedNonces,
  deployLane,
  type HexsChain,
  laneChains,
  mine,
  type Node,
  purchaseBody,
  record,
  startNode,
} from "./helpers/evm";
import { until } from "../until";

const PORT = 18870;
const DEAD_PORT = 18871; // nothing listens here
const key = new Wallet(keccak256(Buffer.from("hexs-relayer-ws-0")));

describe("relayer EVM source over a websocket (new heads), polling as the fallback", function () {
  this.timeout(120_000);
  let node: Node;
  let dir: string;
  let relayer: Relayer | undefined;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-relayer-ws-"));
    node = await startNode(PORT);
  });

  afterEach(async () => {
    await relayer?.stop();
    relayer = undefined;
  });

  after(async () => {
    await node?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function run(ws: string, pollIntervalMs: number, db: string): Promise<{ a: HexsChain; b: HexsChain; ms: number }> {
    const { a, b } = await deployLane(node.provider, [key.address], 1);
    process.env.HEXS_TEST_WS_KEY = key.privateKey;
    relayer = new Relayer(
      parseConfig({
        instance: "ws",
        operator: { key: { env: "HEXS_TEST_WS_KEY" } },
        devnet: true, // one key attests and submits (a test setup)
        chains: laneChains(a, b, { rpcA: node.url, ws, confirmations: 0, pollMsA: pollIntervalMs, pollMsB: pollIntervalMs }),
        store: { sqlite: path.join(dir, db) },
        http: { port: 0 },
        delivery: { maxBatch: 30, attestTimeoutMs: 500, backoffBaseMs: 100, backoffMaxMs: 1000, idleMs: 50 },
      }),
    );
    await relayer.start();
    await until("the relayer ready", 20_000, async () => relayer!.ready());
    await new Promise((r) => setTimeout(r, 500)); // the source is now waiting (head or interval)
    // a chain with a block time: a head the subscription missed while it was still being set up
    // is followed by another one, as on a live network (the test node mines only on transactions)
    const blocks = setInterval(() => void mine(node.provider, 1).catch(() => undefined), 1_000);
    try {
      const t0 = Date.now();
      await record(a, [purchaseBody(1), purchaseBody(2), purchaseBody(3)]);
      await until("3 entries applied", 60_000, async () => Number((await b.hub.lane(1)).inbound) === 3);
      return { a, b, ms: Date.now() - t0 };
    } finally {
      clearInterval(blocks);
    }
  }

  it("a new head wakes the source at once (poll interval 15 s)", async () => {
    const { b, ms } = await run(`ws://127.0.0.1:${PORT}`, 15_000, "ws.db");
    console.log(`      3 entries applied ${ms} ms after recording (poll interval 15000 ms)`);
    expect(ms).to.be.lessThan(8_000);
    expect(await appliedNonces(b, 1)).to.deep.equal([1, 2, 3]);
  });

  it("an unreachable websocket falls back to polling on the interval", async () => {
    const { b, ms } = await run(`ws://127.0.0.1:${DEAD_PORT}`, 300, "fallback.db");
    console.log(`      websocket down: 3 entries applied ${ms} ms after recording by polling every 300 ms`);
    expect(await appliedNonces(b, 1)).to.deep.equal([1, 2, 3]);
  });
});
