// The relayer against a real `hardhat node`: chain 1's hub journal delivered to chain 2's
// attestation gateway (2-of-3) by in-process relayers — lane order, a forged peer ignored,
// reorgs, an unreachable RPC at start — and, in crash.test.ts, by relayer processes killed -9.
import { expect } from "chai";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { Wallet, keccak256 } from "ethers";
import { batchRootOfMessages, encodeEnvelope, Kind } from "../../codec";
import { parseConfig, type RelayerConfig } from "../../relayer/config";
import { Relayer } from "../../relayer/relayer";
import { EvmSource } from "../../relayer/sources/evm";
import { OpStore } from "../../relayer/store";
import {
  acceptFrom,
  appliedNonces,
  deployChain,
  fund,
  type HexsChain,
  laneChains,
  mine,
  type Node,
  purchaseBody,
  record,
  startNode,
} from "./helpers/evm";
import { until } from "../until";

const PORT = 18830;
const keys = [0, 1, 2].map((i) => new Wallet(keccak256(Buffer.from(`hexs-relayer-test-${i}`))));
const outsider = new Wallet(keccak256(Buffer.from("hexs-relayer-outsider")));
/** each operator's transaction key, apart from its attestation key (issue 11 item 16) */
const submitters = [0, 1, 2].map((i) => new Wallet(keccak256(Buffer.from(`hexs-relayer-submitter-${i}`))));

export function relayerConfig(o: {
  i: number;
  url: string;
  a: HexsChain;
  b: HexsChain;
  dir: string;
  peers: { name: string; url: string }[];
  confirmations?: number;
  rpcA?: string;
  /** a lone relayer (no peers yet) */
  devnet?: boolean;
}): RelayerConfig {
  process.env[`HEXS_TEST_RELAYER_KEY_${o.i}`] = keys[o.i].privateKey;
  process.env[`HEXS_TEST_SUBMITTER_KEY_${o.i}`] = submitters[o.i].privateKey;
  return parseConfig({
    instance: `r${o.i}`,
    devnet: o.devnet ?? false,
    operator: { key: { env: `HEXS_TEST_RELAYER_KEY_${o.i}` }, submitterKey: { env: `HEXS_TEST_SUBMITTER_KEY_${o.i}` } },
    chains: laneChains(o.a, o.b, { rpcA: o.rpcA ?? o.url, rpcB: o.url, confirmations: o.confirmations ?? 2, pollMsB: 100 }),
    peers: o.peers,
    store: { sqlite: path.join(o.dir, `r${o.i}.db`) },
    http: { port: 0 },
    delivery: { maxBatch: 30, attestTimeoutMs: 1000, backoffBaseMs: 100, backoffMaxMs: 1000, idleMs: 50 },
  });
}

describe("relayer on a real EVM node (gateway lane 1 → 2, 2-of-3)", function () {
  this.timeout(180_000);
  let node: Node;
  let a: HexsChain, b: HexsChain;
  let dir: string;
  const running: Relayer[] = [];
  let forger: http.Server;
  let forgerUrl: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-relayer-evm-"));
    node = await startNode(PORT);
    const relayers = keys.map((k) => k.address);
    a = await deployChain(node.provider, 1, relayers, 2);
    b = await deployChain(node.provider, 2, relayers, 2);
    await acceptFrom(b, 1);
    await fund(
      node.provider,
      submitters.map((w) => w.address),
    );
    // A peer that answers every attestation request with a signature by a key outside the set.
    forger = http.createServer((req, res) => {
      const m = /^\/attestations\/(\d+)-(\d+)\/(\d+)\/(\d+)$/.exec(req.url ?? "");
      if (!m) return void res.writeHead(404).end();
      const root = keccak256(Buffer.from(req.url!));
      res.writeHead(200, { "content-type": "application/json" }).end(
        JSON.stringify({
          lane: `${m[1]}-${m[2]}`,
          firstNonce: Number(m[3]),
          count: Number(m[4]),
          root,
          signer: keys[2].address,
          signature: outsider.signingKey.sign(root).serialized,
        }),
      );
    });
    await new Promise<void>((r) => forger.listen(0, "127.0.0.1", r));
    forgerUrl = `http://127.0.0.1:${(forger.address() as { port: number }).port}`;
  });

  after(async () => {
    for (const r of running) await r.stop();
    if (forger) {
      forger.closeAllConnections();
      await new Promise((r) => forger.close(r));
    }
    await node?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("delivers every entry exactly once in lane order; a forged peer attestation is ignored and counted", async () => {
    // r0 alone with the forger cannot reach 2-of-3: nothing may be delivered.
    const r0 = new Relayer(relayerConfig({ i: 0, url: node.url, a, b, dir, peers: [{ name: "forger", url: forgerUrl }] }));
    running.push(r0);
    await r0.start();
    await record(
      a,
      Array.from({ length: 12 }, (_, i) => purchaseBody(i + 1)),
    );
    await mine(node.provider, 3);
    await until("r0 ready", 20_000, async () => r0.ready());
    await until(
      "a forged attestation to be seen",
      20_000,
      async () => ((await r0.metrics.forged.get()).values[0]?.value ?? 0) > 0,
    );
    expect(Number((await b.hub.lane(1)).inbound)).to.equal(0);
    // Now a real second operator: r0 and r1 reach the threshold; the forger stays ignored.
    const r1 = new Relayer(
      relayerConfig({ i: 1, url: node.url, a, b, dir, peers: [{ name: "r0", url: `http://127.0.0.1:${r0.port}` }] }),
    );
    running.push(r1);
    await r1.start();
    (r0.cfg.peers as { name: string; url: string }[]).push({ name: "r1", url: `http://127.0.0.1:${r1.port}` });
    await until("12 entries delivered", 60_000, async () => Number((await b.hub.lane(1)).inbound) === 12);
    await record(
      a,
      Array.from({ length: 40 }, (_, i) => purchaseBody(i + 13)),
    );
    await mine(node.provider, 3);
    await until("52 entries delivered", 60_000, async () => Number((await b.hub.lane(1)).inbound) === 52);
    expect(await appliedNonces(b, 1)).to.deep.equal(Array.from({ length: 52 }, (_, i) => i + 1));
    const res = await fetch(`http://127.0.0.1:${r0.port}/metrics`);
    const text = await res.text();
    expect(text).to.match(/hexs_relayer_deliveries_total\{src="1",dst="2"\} \d+/);
    expect(text).to.match(/hexs_relayer_forged_attestations_total\{peer="forger"\} [1-9]/);
    expect(text).to.contain("hexs_relayer_end_to_end_seconds_bucket");
    // where a lane step's time goes: every stage that delivered was timed
    for (const stage of ["confirm", "in-flight", "designate", "sign", "submit"])
      expect(text).to.match(new RegExp(`hexs_relayer_stage_seconds_count\\{stage="${stage}",dst="2"\\} [1-9]`));
    const ready = await fetch(`http://127.0.0.1:${r1.port}/readyz`);
    expect(ready.status).to.equal(200);
    // The attestation endpoint serves exactly what r1 observed, signed by r1.
    const att = (await (await fetch(`http://127.0.0.1:${r1.port}/attestations/1-2/1/2`)).json()) as {
      root: string;
      signer: string;
    };
    expect(att.signer).to.equal(keys[1].address);
    // the attestation keys signed roots only: every batch was submitted (and paid) by a submitter key
    const accepted = await b.gateway.queryFilter(b.gateway.filters.BatchAccepted(1));
    expect(accepted.length).to.be.greaterThan(0);
    const submitterAddresses = submitters.map((w) => w.address);
    for (const e of accepted)
      expect(submitterAddresses).to.include((e as unknown as { args: { submitter: string } }).args.submitter);
    for (const k of keys) expect(await node.provider.getTransactionCount(k.address)).to.equal(0);
    expect((await fetch(`http://127.0.0.1:${r1.port}/attestations/1-2/500/2`)).status).to.equal(404);
    for (const r of running.splice(0)) await r.stop();
  });

  it("reorg below the confirmation depth: nothing from the orphaned branch is observed or delivered", async () => {
    const d = fs.mkdtempSync(path.join(dir, "reorg-"));
    const start = Number((await b.hub.lane(1)).inbound); // entries already on lane 1 → 2
    const r = [0, 1].map(
      (i) => new Relayer(relayerConfig({ i, url: node.url, a, b, dir: d, confirmations: 4, peers: [], devnet: true })),
    );
    (r[0].cfg.peers as unknown[]).push({ name: "r1", url: "http://127.0.0.1:1" });
    for (const x of r) {
      running.push(x);
      await x.start();
    }
    (r[0].cfg.peers as { name: string; url: string }[]).splice(0, 1, { name: "r1", url: `http://127.0.0.1:${r[1].port}` });
    (r[1].cfg.peers as { name: string; url: string }[]).push({ name: "r0", url: `http://127.0.0.1:${r[0].port}` });
    await until("caught up", 30_000, async () => r.every((x) => x.ready()));
    const snap = await node.provider.send("evm_snapshot", []);
    await record(a, [purchaseBody(900, 9), purchaseBody(901, 9)]); // orphaned branch (2 blocks < 4 confirmations)
    await new Promise((res) => setTimeout(res, 1000));
    await node.provider.send("evm_revert", [snap]);
    await record(a, [purchaseBody(700, 7)]);
    await mine(node.provider, 5);
    await until("the new branch delivered", 60_000, async () => Number((await b.hub.lane(1)).inbound) === start + 1);
    await new Promise((res) => setTimeout(res, 1000));
    expect(Number((await b.hub.lane(1)).inbound)).to.equal(start + 1);
    const logs = await b.gateway.queryFilter(b.gateway.filters.BatchAccepted(1));
    const expected = encodeEnvelope(
      { kind: Kind.PurchaseSettled, srcChain: 1, dstChain: 2, nonce: BigInt(start + 1) },
      purchaseBody(700, 7),
    );
    const last = logs[logs.length - 1] as unknown as { args: { root: string } };
    expect(last.args.root).to.equal(batchRootOfMessages([expected]).root);
    for (const x of running.splice(0)) await x.stop();
  });

  it("reorg of blocks already observed (depth 0): hash check rewinds the cursor and drops their operations", async () => {
    const store = await OpStore.open({ sqlite: path.join(dir, "src.db") });
    const cfg = relayerConfig({ i: 0, url: node.url, a, b, dir, confirmations: 0, peers: [], devnet: true }).chains[0];
    if (cfg.type !== "evm") throw new Error("unreachable");
    const src = new EvmSource(cfg, store);
    await src.init();
    while ((await src.poll()).behind);
    const base = Number((await a.lens.journal(a.hub.target))[0]);
    const snap = await node.provider.send("evm_snapshot", []);
    await record(a, [purchaseBody(800, 8), purchaseBody(801, 8)]);
    while ((await src.poll()).behind);
    expect((await store.pendingOps({ src: 1, dst: 2 }, 100)).filter((o) => o.nonce > base)).to.have.length(2);
    await node.provider.send("evm_revert", [snap]);
    await record(a, [purchaseBody(600, 6)]);
    await mine(node.provider, 2);
    const r = await src.poll();
    expect(r.reorg?.dropped).to.equal(2);
    while ((await src.poll()).behind);
    const ops = (await store.pendingOps({ src: 1, dst: 2 }, 1000)).filter((o) => o.nonce > base);
    expect(ops.map((o) => o.nonce)).to.deep.equal([base + 1]);
    expect(ops[0].message).to.contain(purchaseBody(600, 6).slice(2));
    await src.close();
    await store.close();
  });

  it("unreachable RPC at start: retries with backoff, /readyz false, then an actionable error once an endpoint answers", async () => {
    const lazyPort = PORT + 1;
    const d = fs.mkdtempSync(path.join(dir, "lazy-"));
    const r = new Relayer(
      relayerConfig({ i: 2, url: node.url, a, b, dir: d, peers: [], devnet: true, rpcA: `http://127.0.0.1:${lazyPort}` }),
    );
    running.push(r);
    await r.start();
    await new Promise((res) => setTimeout(res, 2500));
    const rz = await fetch(`http://127.0.0.1:${r.port}/readyz`);
    expect(rz.status).to.equal(503);
    const body = (await rz.json()) as { components: Record<string, { ok: boolean; error?: string }> };
    expect(body.components["source:a"].ok).to.equal(false);
    expect(body.components["source:a"].error).to.match(/ECONNREFUSED|connect/i);
    const failures = (await r.metrics.failures.get()).values.find((v) => v.labels.stage === "source")?.value ?? 0;
    expect(failures).to.be.within(2, 12); // backoff, not a busy loop
    expect((await fetch(`http://127.0.0.1:${r.port}/healthz`)).status).to.equal(200);
    const late = await startNode(lazyPort);
    try {
      // the new node has no hub at that address: the source keeps failing with an actionable error
      await until("an actionable init error", 30_000, async () =>
        /no contract at/.test(
          (
            (await (await fetch(`http://127.0.0.1:${r.port}/readyz`)).json()) as {
              components: Record<string, { error?: string }>;
            }
          ).components["source:a"].error ?? "",
        ),
      );
    } finally {
      await r.stop();
      running.splice(running.indexOf(r), 1);
      await late.stop();
    }
  });
});
