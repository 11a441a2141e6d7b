// RPC faults: a loopback proxy in front of the source and of the destination endpoint drops,
// delays, fails (5xx) and truncates a share of requests (answers of executed requests are lost
// too); two relayers (2-of-3) still apply every journal entry exactly once, in lane order.
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Wallet, keccak256 } from "ethers";
import { parseConfig, type RelayerConfig } from "../../relayer/config";
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
  submissionsTo,
  minedUntilApplied,
} from "./helpers/evm";
import { startFaultyRpc, type FaultyRpc } from "./helpers/faultyRpc";

const NODE_PORT = 18960;
const SRC_PROXY = 18961;
const DST_PROXY = 18962;
const HTTP_PORTS = [18963, 18964];
const MESSAGES = Number(process.env.HEXS_FAULT_MESSAGES ?? 200);
const RATES = { drop: 0.05, delay: 0.1, error: 0.05, truncate: 0.05 };
const keys = [0, 1, 2].map((i) => new Wallet(keccak256(Buffer.from(`hexs-relayer-test-${i}`))));

describe("relayer through faulty RPC endpoints (drops, delays, 5xx, truncated bodies)", function () {
  this.timeout(300_000);
  let node: Node;
  let a: HexsChain, b: HexsChain;
  let dir: string;
  const proxies: FaultyRpc[] = [];
  const relayers: Relayer[] = [];

  function config(i: number): RelayerConfig {
    process.env[`HEXS_TEST_FAULT_KEY_${i}`] = keys[i].privateKey;
    return parseConfig({
      instance: `f${i}`,
      operator: { key: { env: `HEXS_TEST_FAULT_KEY_${i}` } },
      devnet: true, // one key attests and submits (a test setup)
      chains: laneChains(a, b, { rpcA: proxies[0].url, rpcB: proxies[1].url }),
      peers: [{ name: `f${1 - i}`, url: `http://127.0.0.1:${HTTP_PORTS[1 - i]}` }],
      store: { sqlite: path.join(dir, `f${i}.db`) },
      http: { port: HTTP_PORTS[i] },
      delivery: { maxBatch: 10, attestTimeoutMs: 1000, backoffBaseMs: 100, backoffMaxMs: 1000, idleMs: 50 },
    });
  }

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-relayer-faults-"));
    node = await startNode(NODE_PORT);
    ({ a, b } = await deployLane(
      node.provider,
      keys.map((k) => k.address),
      2,
    ));
    proxies.push(await startFaultyRpc({ upstream: node.url, port: SRC_PROXY, rates: RATES, seed: 11 }));
    proxies.push(await startFaultyRpc({ upstream: node.url, port: DST_PROXY, rates: RATES, seed: 29 }));
    for (const i of [0, 1]) {
      const r = new Relayer(config(i));
      relayers.push(r);
      await r.start();
    }
  });

  after(async () => {
    for (const r of relayers) await r.stop().catch(() => undefined);
    for (const p of proxies) await p.close();
    await node?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it(`delivers ${MESSAGES} entries exactly once in lane order`, async () => {
    const t0 = Date.now();
    const firstBlock = await node.provider.getBlockNumber();
    for (let sent = 0; sent < MESSAGES;) {
      const n = Math.min(10, MESSAGES - sent);
      await record(
        a,
        Array.from({ length: n }, (_, i) => purchaseBody(sent + i + 1)),
      );
      sent += n;
      await mine(node.provider, 1);
    }
    await minedUntilApplied(node.provider, b, 1, MESSAGES, {
      timeoutMs: Number(process.env.HEXS_FAULT_DEADLINE_MS ?? 240_000),
      everyMs: 500,
    });
    expect(await appliedNonces(b, 1)).to.deep.equal(Array.from({ length: MESSAGES }, (_, i) => i + 1));
    const faults = proxies.map((p) => p.counts);
    const sum = (k: keyof FaultyRpc["counts"]): number => faults.reduce((s, c) => s + c[k], 0);
    const total = async (c: { get(): Promise<{ values: { value: number }[] }> }): Promise<number> =>
      (await c.get()).values.reduce((s, v) => s + v.value, 0);
    const onChain = await submissionsTo(node.provider, await b.gateway.getAddress(), firstBlock);
    // a refused submission is counted once its relayer reads the receipt, which may come after the lane is done
    const countedBy = Date.now() + 30_000;
    let dupSubs = await Promise.all(relayers.map((r) => total(r.metrics.duplicateSubmissions)));
    while (dupSubs.reduce((s, v) => s + v, 0) < onChain.reverted && Date.now() < countedBy) {
      await new Promise((r) => setTimeout(r, 500));
      dupSubs = await Promise.all(relayers.map((r) => total(r.metrics.duplicateSubmissions)));
    }
    const found = await Promise.all(relayers.map((r) => total(r.metrics.duplicates)));
    console.log(
      `      ${MESSAGES} entries in ${((Date.now() - t0) / 1000).toFixed(1)} s through faults: ${sum("drop")} dropped, ${sum("delay")} delayed, ${sum("error")} 5xx, ${sum("truncate")} truncated, ${sum("passed")} passed\n` +
        `      destination: ${onChain.applied} batches applied, ${onChain.reverted} duplicate submissions refused on chain; relayers: already-delivered found ${found.join(" / ")}, own duplicate submissions ${dupSubs.join(" / ")}`,
    );
    // every refused submission on chain is one a relayer knows it lost (none misread as a refusal)
    expect(
      dupSubs.reduce((s, v) => s + v, 0),
      "duplicate submissions seen by the relayers",
    ).to.be.at.least(onChain.reverted);
    for (const k of ["drop", "delay", "error", "truncate"] as const) expect(sum(k), k).to.be.greaterThan(0);
    // nothing parked: transport faults never count as a destination's refusal
    for (const r of relayers)
      expect((await r.metrics.failures.get()).values.filter((v) => v.labels.stage === "rejected")).to.deep.equal([]);
  });
});
