// One submitter per lane: the relayer-set member the lane designates submits; the others stand in
// only when the lane made no progress for `takeoverMs`. A lane that was idle for longer than that
// does not send the others in at its next message; a silent designated submitter is replaced (2-of-3).
// A designated submitter seen collecting attestations for the lane's head batch gets up to twice
// `takeoverMs`: a slow one is not duplicated, one that asks but never lands is still replaced.
import { expect } from "chai";
import * as fs from "fs";
import * as http from "http";
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

/**
 * A loopback JSON-RPC proxy in front of the node for one relayer's destination connection: it holds
 * each eth_sendRawTransaction for `delayMs` before forwarding it (a broadcast slowed down, as a big
 * batch under load is), or refuses it when `refuse` is set; everything else passes unchanged.
 */
async function startSendProxy(upstream: string, port: number) {
  const state = { delayMs: 0, refuse: false, held: 0, refused: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      void (async () => {
        const call = JSON.parse(body) as { id: number; method?: string };
        if (call.method === "eth_sendRawTransaction") {
          if (state.refuse) {
            state.refused++;
            const error = { code: -32000, message: "test proxy refuses to broadcast" };
            return res
              .writeHead(200, { "content-type": "application/json" })
              .end(JSON.stringify({ jsonrpc: "2.0", id: call.id, error }));
          }
          state.held++;
          await new Promise((r) => setTimeout(r, state.delayMs));
        }
        const up = await fetch(upstream, { method: "POST", headers: { "content-type": "application/json" }, body });
        res.writeHead(up.status, { "content-type": "application/json" }).end(Buffer.from(await up.arrayBuffer()));
      })().catch(() => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  return {
    url: `http://127.0.0.1:${port}`,
    state,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

describe("relayer lane takeover: a designated submitter that is slow or never lands", function () {
  this.timeout(120_000);
  const PORT = 18974; // node; proxy +1; relayers' HTTP +2..+4
  const HTTP = [PORT + 2, PORT + 3, PORT + 4];
  // its own, longer takeover time: the slow broadcast below must fall between 1 and 2 takeover times
  const TAKEOVER = 5_000;
  let node: Node;
  let proxy: Awaited<ReturnType<typeof startSendProxy>>;
  let a: HexsChain, b: HexsChain;
  let dir: string;
  const relayers = new Map<number, Relayer>();

  const takeovers = async (): Promise<number> => {
    let n = 0;
    for (const i of standbys) n += (await relayers.get(i)!.metrics.takeovers.get()).values.reduce((s, v) => s + v.value, 0);
    return n;
  };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-relayer-slow-submitter-"));
    node = await startNode(PORT);
    proxy = await startSendProxy(node.url, PORT + 1);
    ({ a, b } = await deployLane(
      node.provider,
      keys.map((k) => k.address),
      2,
    ));
    for (const i of [0, 1, 2]) {
      process.env[`HEXS_TEST_SLOW_KEY_${i}`] = keys[i].privateKey;
      const r = new Relayer(
        parseConfig({
          instance: `s${i}`,
          operator: { key: { env: `HEXS_TEST_SLOW_KEY_${i}` } },
          devnet: true,
          // only the designated submitter reaches the destination through the proxy
          chains: laneChains(a, b, { rpcA: node.url, rpcB: i === designated ? proxy.url : node.url }),
          peers: [0, 1, 2].filter((j) => j !== i).map((j) => ({ name: `s${j}`, url: `http://127.0.0.1:${HTTP[j]}` })),
          store: { sqlite: path.join(dir, `s${i}.db`) },
          http: { port: HTTP[i] },
          delivery: { maxBatch: 10, takeoverMs: TAKEOVER, backoffBaseMs: 100, backoffMaxMs: 1000, idleMs: 50 },
        }),
      );
      relayers.set(i, r);
      await r.start();
    }
    // a first message through an undelayed proxy: every relayer has seen the lane make progress
    await record(a, [purchaseBody(1)]);
    await minedUntilApplied(node.provider, b, 1, 1, { timeoutMs: 30_000, everyMs: 200 });
  });

  after(async () => {
    for (const r of relayers.values()) await r.stop().catch(() => undefined);
    await proxy?.close();
    await node?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a designated submitter whose broadcast is delayed beyond the takeover time after collecting attestations is not duplicated by the stand-ins", async () => {
    proxy.state.delayMs = 1.4 * TAKEOVER;
    const held = proxy.state.held;
    const from = (await node.provider.getBlockNumber()) + 1;
    await record(a, [purchaseBody(2)]);
    await minedUntilApplied(node.provider, b, 1, 2, { timeoutMs: 30_000, everyMs: 200 });
    proxy.state.delayMs = 0;
    // give a stand-in that had started the time to land its duplicate
    await new Promise((r) => setTimeout(r, TAKEOVER));
    expect(proxy.state.held - held, "designated broadcasts held by the proxy").to.be.at.least(1);
    expect(await submissionsTo(node.provider, await b.gateway.getAddress(), from)).to.deep.equal({ applied: 1, reverted: 0 });
    expect(await takeovers(), "stand-ins").to.equal(0);
    expect(await appliedNonces(b, 1)).to.deep.equal([1, 2]);
  });

  it("a designated submitter that keeps collecting attestations but never submits is still replaced within twice the takeover time", async () => {
    proxy.state.refuse = true;
    // as a submitter retrying its batch would: ask both stand-ins for the head batch again and again
    let asking = true;
    const ask = (async () => {
      while (asking) {
        for (const i of standbys) await fetch(`http://127.0.0.1:${HTTP[i]}/attestations/1-2/3/1`).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 300));
      }
    })();
    try {
      const t0 = Date.now();
      await record(a, [purchaseBody(3)]);
      // 2 × takeover plus the time to observe, sign, submit and mine on a loaded machine
      await minedUntilApplied(node.provider, b, 1, 3, { timeoutMs: 2 * TAKEOVER + 10_000, everyMs: 200 });
      expect(Date.now() - t0, "replaced after the takeover time, not before").to.be.at.least(TAKEOVER);
    } finally {
      asking = false;
      await ask;
      proxy.state.refuse = false;
    }
    expect(proxy.state.refused, "designated broadcasts refused").to.be.at.least(1);
    expect(await takeovers(), "stand-ins").to.be.at.least(1);
    expect(await appliedNonces(b, 1)).to.deep.equal([1, 2, 3]);
  });
});
