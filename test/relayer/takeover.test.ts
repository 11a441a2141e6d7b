// One submitter per lane: the relayer-set member the lane designates submits; the others stand in
// only when the lane made no progress for `takeoverMs`. A lane that was idle for longer than that
// does not send the others in at its next message; a silent designated submitter is replaced (2-of-3).
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
  minedUntilApplied,
  type Node,
  purchaseBody,
  record,
  startNode,
  submissionsTo,
} from "./helpers/evm";

const NODE_PORT = 18970;
const HTTP_PORTS = [18971, 18972, 18973];
// longer than one delivery (observe, attest, submit, mine, read back) on a loaded 2-core CI machine,
// where 1 s let the stand-ins start before the designated submitter's batch was mined
const TAKEOVER_MS = 4_000;
const keys = [0, 1, 2].map((i) => new Wallet(keccak256(Buffer.from(`hexs-takeover-test-${i}`))));
// lane 1 → 2: the designated submitter is the set member (sorted by address) at (1 + 2) mod 3
const designated = keys.findIndex(
  (k) => k.address.toLowerCase() === keys.map((x) => x.address.toLowerCase()).sort()[(1 + 2) % 3],
);
const standbys = [0, 1, 2].filter((i) => i !== designated);

describe("relayer lane takeover (designated submitter, stand-ins)", function () {
  this.timeout(120_000);
  let node: Node;
  let a: HexsChain, b: HexsChain;
  let dir: string;
  const relayers = new Map<number, Relayer>();

  function start(i: number): Promise<void> {
    process.env[`HEXS_TEST_TAKEOVER_KEY_${i}`] = keys[i].privateKey;
    const r = new Relayer(
      parseConfig({
        instance: `t${i}`,
        operator: { key: { env: `HEXS_TEST_TAKEOVER_KEY_${i}` } },
        devnet: true, // each key attests and submits (a test setup)
        chains: laneChains(a, b, { rpcA: node.url }),
        peers: [0, 1, 2].filter((j) => j !== i).map((j) => ({ name: `t${j}`, url: `http://127.0.0.1:${HTTP_PORTS[j]}` })),
        store: { sqlite: path.join(dir, `t${i}.db`) },
        http: { port: HTTP_PORTS[i] },
        delivery: { maxBatch: 10, takeoverMs: TAKEOVER_MS, backoffBaseMs: 100, backoffMaxMs: 1000, idleMs: 50 },
      }),
    );
    relayers.set(i, r);
    return r.start();
  }

  /** how often the stand-ins began submitting for the lane */
  const takeovers = async (): Promise<number> => {
    let n = 0;
    for (const i of standbys) n += (await relayers.get(i)!.metrics.takeovers.get()).values.reduce((s, v) => s + v.value, 0);
    return n;
  };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-relayer-takeover-"));
    node = await startNode(NODE_PORT);
    ({ a, b } = await deployLane(
      node.provider,
      keys.map((k) => k.address),
      2,
    ));
    for (const i of [0, 1, 2]) await start(i);
  });

  after(async () => {
    for (const r of relayers.values()) await r.stop().catch(() => undefined);
    await node?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("after an idle spell longer than the takeover time, the next message is submitted once, by the designated relayer", async () => {
    await record(a, [purchaseBody(1)]);
    await minedUntilApplied(node.provider, b, 1, 1, { timeoutMs: 30_000, everyMs: 200 });
    await new Promise((r) => setTimeout(r, 2.5 * TAKEOVER_MS));
    const from = (await node.provider.getBlockNumber()) + 1;
    await record(a, [purchaseBody(2)]);
    await minedUntilApplied(node.provider, b, 1, 2, { timeoutMs: 30_000, everyMs: 200 });
    // give a stand-in that had started the time to land its duplicate
    await new Promise((r) => setTimeout(r, TAKEOVER_MS));
    expect(await submissionsTo(node.provider, await b.gateway.getAddress(), from)).to.deep.equal({ applied: 1, reverted: 0 });
    expect(await takeovers(), "stand-ins").to.equal(0);
    expect(await appliedNonces(b, 1)).to.deep.equal([1, 2]);
  });

  it("a silent designated submitter is replaced after the takeover time", async () => {
    await relayers.get(designated)!.stop();
    relayers.delete(designated);
    await record(a, [purchaseBody(3), purchaseBody(4)]);
    await minedUntilApplied(node.provider, b, 1, 4, { timeoutMs: 60_000, everyMs: 200 });
    expect(await takeovers(), "stand-ins").to.be.at.least(1);
    expect(await appliedNonces(b, 1)).to.deep.equal([1, 2, 3, 4]);
  });
});
