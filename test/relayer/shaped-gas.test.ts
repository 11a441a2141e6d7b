// The EVM sink's gas limit comes from the batch's shape (per-kind figures × count + fixed part,
// with margin) instead of eth_estimateGas, which executed every head batch several times on the
// node. A figure that is too low makes the batch revert as a whole on chain (nothing applied,
// nothing refused); the next head batch is then estimated by the node, once, and applied.
// Real hardhat node, real gateway and hub; estimation calls counted by a loopback JSON-RPC proxy.
import { expect } from "chai";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { Wallet, dataLength, hexlify, keccak256, type JsonRpcProvider } from "ethers";
import { AccountFamily, batchRootOfMessages, encodeBody, encodeEnvelope, Kind } from "../../codec";
import { parseConfig, type EvmChainConfig } from "../../relayer/config";
import { Relayer } from "../../relayer/relayer";
import { EvmGatewaySink, shapedGas } from "../../relayer/sinks/evm";
import { RejectedError } from "../../relayer/sinks/types";
import { OpStore } from "../../relayer/store";
import { evmModelBody } from "../../devnet/wasmd";
import {
  acceptFrom,
  appliedNonces,
  deployChain,
  deployLane,
  fund,
  type HexsChain,
  laneChains,
  minedUntilApplied,
  type Node,
  purchaseBody,
  record,
  startNode,
  submissionsTo,
  wireMirror,
} from "./helpers/evm";

const NODE_PORT = 18880;
const HTTP_PORTS = [18881, 18882, 18883];
const keys = [0, 1, 2].map((i) => new Wallet(keccak256(Buffer.from(`hexs-shaped-gas-test-${i}`))));
const submitter = new Wallet(keccak256(Buffer.from("hexs-shaped-gas-submitter")));

/**
 * A JSON-RPC pass-through counting requests by method (batched requests included), and by method
 * and block tag ("eth_estimateGas latest", "eth_getTransactionCount pending"; "(none)" when left out).
 */
async function countingProxy(
  upstream: string,
): Promise<{ url: string; calls: Map<string, number>; tagged: Map<string, number>; close(): Promise<void> }> {
  const calls = new Map<string, number>();
  const tagged = new Map<string, number>();
  const tagAt: Record<string, number> = { eth_estimateGas: 1, eth_getTransactionCount: 1, eth_call: 1 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const body = Buffer.concat(chunks).toString("utf8");
      try {
        const parsed = JSON.parse(body) as { method?: string; params?: unknown[] } | { method?: string; params?: unknown[] }[];
        for (const r of Array.isArray(parsed) ? parsed : [parsed]) {
          calls.set(String(r.method), (calls.get(String(r.method)) ?? 0) + 1);
          const at = tagAt[String(r.method)];
          if (at === undefined) continue;
          const k = `${r.method} ${(r.params ?? []).length > at ? String(r.params![at]) : "(none)"}`;
          tagged.set(k, (tagged.get(k) ?? 0) + 1);
        }
      } catch {
        // not JSON: forwarded as is, the node answers
      }
      try {
        const up = await fetch(upstream, { method: "POST", headers: { "content-type": "application/json" }, body });
        res.writeHead(up.status, { "content-type": "application/json" }).end(await up.text());
      } catch (e) {
        res.writeHead(502).end(String(e));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    calls,
    tagged,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

describe("relayer EVM sink: gas limit from the batch's shape", function () {
  this.timeout(180_000);
  let node: Node;
  let a: HexsChain, b: HexsChain;
  let dir: string;
  let proxy: Awaited<ReturnType<typeof countingProxy>>;
  let store: OpStore;
  let sink: EvmGatewaySink;
  let nonce = 0; // lane 1 → 2 nonces used by the direct sink tests
  const relayers: Relayer[] = [];
  const set = () => ({ threshold: 2, members: keys.map((k) => k.address) });
  const estimates = () => proxy.calls.get("eth_estimateGas") ?? 0;

  /** lane 1 → 2 messages from the next nonce on, signed 2-of-3 */
  function batch(entries: { kind: Kind; body: string }[]): { messages: string[]; signatures: Map<string, string> } {
    const messages = entries.map((e) =>
      hexlify(encodeEnvelope({ kind: e.kind, srcChain: 1, dstChain: 2, nonce: BigInt(++nonce) }, e.body)),
    );
    const { root } = batchRootOfMessages(messages);
    return { messages, signatures: new Map(keys.slice(0, 2).map((k) => [k.address, k.signingKey.sign(root).serialized])) };
  }

  let serial = 0;
  const purchases = (n: number) =>
    Array.from({ length: n }, () => ({ kind: Kind.PurchaseSettled, body: purchaseBody(++serial) }));

  async function receiptOf(provider: JsonRpcProvider, hash: string) {
    const r = await provider.waitForTransaction(hash, 1, 30_000);
    if (!r) throw new Error(`no receipt for ${hash}`);
    return r;
  }

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-relayer-shaped-gas-"));
    node = await startNode(NODE_PORT);
    ({ a, b } = await deployLane(
      node.provider,
      keys.map((k) => k.address),
      2,
    ));
    await fund(node.provider, [submitter.address]);
    proxy = await countingProxy(node.url);
    process.env.HEXS_TEST_SHAPED_SUBMITTER = submitter.privateKey;
    store = await OpStore.open({ sqlite: path.join(dir, "direct.db") });
    const cfg = parseConfig({
      instance: "direct",
      devnet: true,
      operator: { key: { env: "HEXS_TEST_SHAPED_SUBMITTER" } },
      chains: laneChains(a, b, { rpcA: node.url, rpcB: proxy.url }),
      peers: [],
      store: { sqlite: path.join(dir, "unused.db") },
      http: { port: 0 },
    });
    sink = new EvmGatewaySink(cfg.chains.find((c) => c.hexsChainId === 2) as EvmChainConfig, submitter.signingKey, store);
    await sink.init();
  });

  after(async () => {
    for (const r of relayers) await r.stop().catch(() => undefined);
    await sink?.close();
    await store?.close();
    await proxy?.close();
    await node?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("batch gas limit from shape (no estimateGas call): 64 purchases and a mirrored model with keys are applied within their limits", async () => {
    // a kind the hub applies without mirror state, at the largest batch the relayer sends
    const p = batch(purchases(64));
    const before = estimates();
    const h1 = await sink.submit(p.messages, p.signatures, set());
    const r1 = await receiptOf(node.provider, h1);
    expect(r1.status).to.equal(1);
    const shaped1 = shapedGas(p.messages, 2)!;
    expect((await node.provider.getTransaction(h1))!.gasLimit).to.equal(shaped1);
    // enough, and not wildly more than used (block space is reserved by the limit)
    expect(r1.gasUsed < shaped1).to.equal(true);
    expect(Number(shaped1) / Number(r1.gasUsed)).to.be.below(3);
    // heavy kinds: a model registered from chain 1 and new keys of it minted to new holders
    await wireMirror(node.provider, b);
    const model = (1n << 32n) | 7n;
    const m = batch([
      {
        kind: Kind.ModelRegistered,
        body: hexlify(encodeBody(Kind.ModelRegistered, evmModelBody(model, "ipfs://shaped-sdl"))),
      },
      ...Array.from({ length: 20 }, (_, i) => ({
        kind: Kind.KeyMinted,
        body: hexlify(
          encodeBody(Kind.KeyMinted, {
            modelId: model,
            keyId: (1n << 32n) | BigInt(100 + i),
            owner: { family: AccountFamily.Evm, address: Wallet.createRandom().address.toLowerCase() },
            expiresAt: 0n,
            locked: false,
          }),
        ),
      })),
    ]);
    const h2 = await sink.submit(m.messages, m.signatures, set());
    const r2 = await receiptOf(node.provider, h2);
    expect(r2.status).to.equal(1);
    const shaped2 = shapedGas(m.messages, 2)!;
    expect((await node.provider.getTransaction(h2))!.gasLimit).to.equal(shaped2);
    expect(r2.gasUsed < shaped2).to.equal(true);
    // every message applied, none refused (an isolated out-of-gas would show as a refusal)
    const rejected = await b.hub.queryFilter(b.hub.filters.MessageRejected(1));
    expect(rejected).to.have.length(0);
    expect(Number((await b.hub.lane(1)).inbound)).to.equal(nonce);
    expect(estimates() - before, "eth_estimateGas calls").to.equal(0);
    console.log(
      `      shaped / used: 64 PurchaseSettled ${shaped1} / ${r1.gasUsed}; ModelRegistered + 20 KeyMinted ${shaped2} / ${r2.gasUsed}`,
    );
  });

  it("a batch that would run out of gas is handled: it reverts as a whole (nothing applied or refused), the next head batch is estimated once, then shapes again", async () => {
    const inbound = Number((await b.hub.lane(1)).inbound);
    const p = batch(purchases(30));
    sink.shape = () => 150_000n; // a figure that became too low (e.g. after an upgrade)
    const h1 = await sink.submit(p.messages, p.signatures, set());
    expect((await receiptOf(node.provider, h1)).status).to.equal(0);
    const st = await sink.status(h1);
    expect(st.status).to.equal("failed");
    expect(Number((await b.hub.lane(1)).inbound)).to.equal(inbound);
    expect(await b.hub.queryFilter(b.hub.filters.MessageRejected(1))).to.have.length(0);
    // the same batch again, as the lane's head: the node estimates it (the shape still says 150k)
    const before = estimates();
    const h2 = await sink.submit(p.messages, p.signatures, set());
    expect((await receiptOf(node.provider, h2)).status).to.equal(1);
    expect(estimates() - before).to.equal(1);
    expect(sink.gasLimits.at(-1)).to.include({ messages: 30, estimated: true });
    expect(Number((await b.hub.lane(1)).inbound)).to.equal(inbound + 30);
    // one estimate only: the batch after it is shaped again
    sink.shape = shapedGas;
    const q = batch(purchases(5));
    const h3 = await sink.submit(q.messages, q.signatures, set());
    expect((await receiptOf(node.provider, h3)).status).to.equal(1);
    expect(estimates() - before).to.equal(1);
    expect(sink.gasLimits.at(-1)).to.include({ messages: 5, estimated: false });
  });

  it("a head batch is sent without simulation; one the destination refuses reverts on chain (nothing applied or refused), then the next head batch is simulated and refused with its reason", async () => {
    const inbound = Number((await b.hub.lane(1)).inbound);
    const calls = () => proxy.calls.get("eth_call") ?? 0;
    // a well-shaped batch at the lane's head: no eth_call, no estimate, applied
    let before = calls();
    const ok = batch(purchases(10));
    const h0 = await sink.submit(ok.messages, ok.signatures, set());
    expect((await receiptOf(node.provider, h0)).status).to.equal(1);
    expect(calls() - before, "eth_call before a trusted head batch").to.equal(0);
    expect(sink.gasLimits.at(-1)).to.include({ messages: 10, estimated: false, simulated: false });
    expect((await sink.status(h0)).status).to.not.equal("failed");
    // the next batch signed by keys outside the relayer set: sent unsimulated, the gateway refuses it on chain
    const p = batch(purchases(8));
    const { root } = batchRootOfMessages(p.messages);
    const outsiders = [0, 1].map((i) => new Wallet(keccak256(Buffer.from(`hexs-shaped-gas-outsider-${i}`))));
    const forged = new Map(outsiders.map((k) => [k.address, k.signingKey.sign(root).serialized]));
    before = calls();
    const h1 = await sink.submit(p.messages, forged, set());
    expect(calls() - before).to.equal(0);
    expect((await receiptOf(node.provider, h1)).status).to.equal(0);
    const st = await sink.status(h1);
    expect(st.status).to.equal("failed");
    expect(Number((await b.hub.lane(1)).inbound)).to.equal(inbound + 10);
    expect(await b.hub.queryFilter(b.hub.filters.MessageRejected(1))).to.have.length(0);
    // after the revert the same batch is simulated first: refused with the gateway's reason, nothing sent
    before = calls();
    const sentBefore = sink.gasLimits.length;
    let refused: unknown;
    await sink.submit(p.messages, forged, set()).catch((e) => (refused = e));
    expect(refused).to.be.instanceOf(RejectedError);
    expect((refused as Error).message).to.match(/NotRelayer|SignersNotAscending|BelowThreshold/);
    expect(calls() - before).to.equal(1);
    expect(sink.gasLimits.length).to.equal(sentBefore);
    // correctly signed, it is simulated and estimated once, applied, and the head after it is trusted again
    const h2 = await sink.submit(p.messages, p.signatures, set());
    expect((await receiptOf(node.provider, h2)).status).to.equal(1);
    expect(sink.gasLimits.at(-1)).to.include({ messages: 8, estimated: true, simulated: true });
    const q = batch(purchases(3));
    before = calls();
    const h3 = await sink.submit(q.messages, q.signatures, set());
    expect((await receiptOf(node.provider, h3)).status).to.equal(1);
    expect(calls() - before).to.equal(0);
    expect(sink.gasLimits.at(-1)).to.include({ messages: 3, estimated: false, simulated: false });
    expect(Number((await b.hub.lane(1)).inbound)).to.equal(inbound + 21);
  });

  it("chains[].simulateHeads: every head batch is simulated before it is sent (the gas limit still from its shape)", async () => {
    const cfg = { ...(sink as unknown as { cfg: EvmChainConfig }).cfg, simulateHeads: true };
    const always = new EvmGatewaySink(cfg, submitter.signingKey, store);
    await always.init();
    try {
      const calls = () => proxy.calls.get("eth_call") ?? 0;
      const before = calls();
      const p = batch(purchases(4));
      const h = await always.submit(p.messages, p.signatures, set());
      expect((await receiptOf(node.provider, h)).status).to.equal(1);
      expect(calls() - before).to.equal(1);
      expect(always.gasLimits.at(-1)).to.include({ messages: 4, estimated: false, simulated: true });
    } finally {
      await always.close();
    }
  });

  it("a pipelined batch reuses the fee suggestion of the batch before it (no fee read from the node between a step's broadcasts)", async () => {
    const feeReads = () => (proxy.calls.get("eth_gasPrice") ?? 0) + (proxy.calls.get("eth_maxPriorityFeePerGas") ?? 0);
    const p = batch(purchases(2));
    const q = batch(purchases(2));
    const h1 = await sink.submit(p.messages, p.signatures, set());
    await new Promise((r) => setTimeout(r, 1_100)); // past the one-second cache a head batch uses
    const before = feeReads();
    const h2 = await sink.submit(q.messages, q.signatures, set(), { pipelined: true });
    expect(feeReads() - before).to.equal(0);
    expect((await receiptOf(node.provider, h1)).status).to.equal(1);
    expect((await receiptOf(node.provider, h2)).status).to.equal(1);
    // a head batch after the cache's second asks the node again
    const r = batch(purchases(1));
    await sink.submit(r.messages, r.signatures, set());
    expect(feeReads() - before).to.be.above(0);
  });

  it("no pending-state reads: a head batch after the process's own broadcast takes its nonce without the node's pending count, an estimate names the latest block, and a dropped transaction's nonce is used again", async () => {
    const tag = (k: string) => proxy.tagged.get(k) ?? 0;
    const pendingReads = () =>
      tag("eth_getTransactionCount pending") +
      tag("eth_estimateGas (none)") +
      tag("eth_estimateGas pending") +
      tag("eth_call pending");
    const before = pendingReads();
    // a head batch (not pipelined) after earlier submissions of this sink: no "pending" count asked
    const p = batch(purchases(3));
    const h1 = await sink.submit(p.messages, p.signatures, set());
    expect((await receiptOf(node.provider, h1)).status).to.equal(1);
    expect(pendingReads() - before, "pending-state reads for a head batch").to.equal(0);
    // an estimate (after a revert) is made at "latest"
    const inbound = Number((await b.hub.lane(1)).inbound);
    const q = batch(purchases(20));
    sink.shape = () => 150_000n;
    const h2 = await sink.submit(q.messages, q.signatures, set());
    expect((await receiptOf(node.provider, h2)).status).to.equal(0);
    expect((await sink.status(h2)).status).to.equal("failed");
    const latest = tag("eth_estimateGas latest");
    const h3 = await sink.submit(q.messages, q.signatures, set());
    sink.shape = shapedGas;
    expect((await receiptOf(node.provider, h3)).status).to.equal(1);
    expect(tag("eth_estimateGas latest") - latest).to.equal(1);
    expect(pendingReads() - before, "pending-state reads after the estimate").to.equal(0);
    expect(Number((await b.hub.lane(1)).inbound)).to.equal(inbound + 20);
    // a transaction dropped from the node's pool: its nonce is free again and the next batch takes it
    await node.provider.send("evm_setAutomine", [false]);
    try {
      const r = batch(purchases(2));
      const h4 = await sink.submit(r.messages, r.signatures, set());
      const dropped = (await node.provider.getTransaction(h4))!.nonce;
      expect(await node.provider.send("hardhat_dropTransaction", [h4])).to.equal(true);
      const st = await sink.status(h4);
      expect(st).to.include({ status: "failed", dropped: true });
      const h5 = await sink.submit(r.messages, r.signatures, set());
      expect((await node.provider.getTransaction(h5))!.nonce).to.equal(dropped);
      await node.provider.send("evm_mine", []);
      expect((await receiptOf(node.provider, h5)).status).to.equal(1);
    } finally {
      await node.provider.send("evm_setAutomine", [true]);
    }
    expect(Number((await b.hub.lane(1)).inbound)).to.equal(inbound + 22);
  });

  it("batches toward an EVM chain follow its own maxBatch and are cut at its batchGas (fit: the longest run whose shaped gas stays within it)", async () => {
    const budget = 1_500_000;
    const cfg = { ...(sink as unknown as { cfg: EvmChainConfig }).cfg, maxBatch: 200, batchGas: budget };
    const small = new EvmGatewaySink(cfg, submitter.signingKey, store);
    expect(small.maxBatch).to.equal(200);
    const msgs = Array.from({ length: 200 }, (_, i) =>
      hexlify(
        encodeEnvelope({ kind: Kind.PurchaseSettled, srcChain: 9, dstChain: 2, nonce: BigInt(i + 1) }, purchaseBody(i + 1)),
      ),
    );
    const n = small.fit(msgs);
    // the longest run within the budget (shaped for up to 3 signatures), far above delivery's 64
    expect(n).to.be.above(1).and.below(200);
    expect(shapedGas(msgs.slice(0, n), 3)! <= BigInt(budget)).to.equal(true);
    expect(shapedGas(msgs.slice(0, n + 1), 3)! > BigInt(budget)).to.equal(true);
    // the default budget (10M gas, a third of a 30M block) takes all 200 purchases
    expect(sink.fit(msgs)).to.equal(200);
    // a kind without a figure ends the batch before it, or goes alone
    const unknown = msgs[0].replace(/^0x(..)../, "0x$1ff"); // kind byte 0xff
    expect(small.fit([...msgs.slice(0, 3), unknown, ...msgs.slice(3)])).to.equal(3);
    expect(small.fit([unknown, ...msgs])).to.equal(1);
  });

  // A limit the node accepts (above the transaction's intrinsic gas, bounded from its calldata: 16
  // per byte, with the ABI's offsets and padding) but far below what applying the batch needs, so
  // it is mined and reverts. A fixed figure is refused at broadcast for a large batch instead.
  const tooLowGas = (msgs: readonly string[], sigs: number): bigint =>
    21_000n + 16n * BigInt(msgs.reduce((n, m) => n + dataLength(m) + 64, 0) + sigs * 96 + 256) + 10_000n;

  it("after one of its batches reverted on chain, the head batch is estimated again and applied (relayers, each message once, lane order)", async () => {
    // two relayers (2-of-3) deliver lane 1 → 2 from chain 1's journal; their first batch gets a
    // gas limit that is too low, so it reverts on chain
    const start = Number((await b.hub.lane(1)).inbound);
    const from = (await node.provider.getBlockNumber()) + 1;
    // the direct tests above used lane 1 → 2 nonces chain 1's journal never issued: a fresh
    // source chain (3 → 2) instead
    const c = await deployChain(
      node.provider,
      3,
      keys.map((k) => k.address),
      2,
    );
    await acceptFrom(b, 3);
    // lane 3 → 2: the designated submitter is the set member (sorted by address) at (3 + 2) mod 3;
    // it runs, with one peer (2-of-3)
    const sorted = keys.map((k) => k.address.toLowerCase()).sort();
    const designated = keys.findIndex((k) => k.address.toLowerCase() === sorted[(3 + 2) % 3]);
    const runners = [designated, (designated + 1) % 3];
    for (const i of runners) {
      process.env[`HEXS_TEST_SHAPED_KEY_${i}`] = keys[i].privateKey;
      const chains = laneChains(c, b, { rpcA: node.url, confirmations: 2 }) as { hexsChainId: number; deliverTo?: number[] }[];
      chains[0].hexsChainId = 3;
      const r = new Relayer(
        parseConfig({
          instance: `s${i}`,
          devnet: true, // each key attests and submits (a test setup)
          operator: { key: { env: `HEXS_TEST_SHAPED_KEY_${i}` } },
          chains,
          peers: runners.filter((j) => j !== i).map((j) => ({ name: `s${j}`, url: `http://127.0.0.1:${HTTP_PORTS[j]}` })),
          store: { sqlite: path.join(dir, `s${i}.db`) },
          http: { port: HTTP_PORTS[i] },
          delivery: { maxBatch: 20, backoffBaseMs: 100, backoffMaxMs: 1000, idleMs: 50 },
        }),
      );
      relayers.push(r);
      await r.start();
      const s = r.sinkOf(2) as EvmGatewaySink;
      let first = true;
      s.shape = (msgs, sigs) => (first ? ((first = false), tooLowGas(msgs, sigs)) : shapedGas(msgs, sigs));
    }
    await record(
      c,
      Array.from({ length: 50 }, (_, i) => purchaseBody(i + 1, 3)),
    );
    await minedUntilApplied(node.provider, b, 3, 50, { timeoutMs: 60_000, everyMs: 200 });
    expect(await appliedNonces(b, 3)).to.deep.equal(Array.from({ length: 50 }, (_, i) => i + 1));
    const sent = await submissionsTo(node.provider, await b.gateway.getAddress(), from);
    expect(sent.reverted, "reverted submissions").to.be.at.least(1);
    // the head batch after the revert was estimated by the node and applied
    const limits = relayers.flatMap((r) => (r.sinkOf(2) as EvmGatewaySink).gasLimits);
    expect(limits.some((l) => l.estimated)).to.equal(true);
    expect(await b.hub.queryFilter(b.hub.filters.MessageRejected(3))).to.have.length(0);
    expect(Number((await b.hub.lane(1)).inbound)).to.equal(start);
  });

  it("relayers batch toward an EVM chain by its chains[].maxBatch and batchGas, not delivery.maxBatch (each message once, lane order)", async () => {
    for (const r of relayers.splice(0)) await r.stop();
    const from = (await node.provider.getBlockNumber()) + 1;
    const c = await deployChain(
      node.provider,
      4,
      keys.map((k) => k.address),
      2,
    );
    await acceptFrom(b, 4);
    const COUNT = 120;
    const BUDGET = 1_500_000; // ≈ 55 purchases
    // the backlog is recorded before the relayers start, so every batch is as large as allowed
    await record(
      c,
      Array.from({ length: COUNT }, (_, i) => purchaseBody(i + 1, 4)),
    );
    const sorted = keys.map((k) => k.address.toLowerCase()).sort();
    const designated = keys.findIndex((k) => k.address.toLowerCase() === sorted[(4 + 2) % 3]);
    const runners = [designated, (designated + 1) % 3];
    for (const i of runners) {
      process.env[`HEXS_TEST_SHAPED_KEY_${i}`] = keys[i].privateKey;
      const chains = laneChains(c, b, { rpcA: node.url, confirmations: 2 }) as Record<string, unknown>[];
      chains[0].hexsChainId = 4;
      Object.assign(chains[1], { maxBatch: 100, batchGas: BUDGET });
      const r = new Relayer(
        parseConfig({
          instance: `m${i}`,
          devnet: true,
          operator: { key: { env: `HEXS_TEST_SHAPED_KEY_${i}` } },
          chains,
          peers: runners.filter((j) => j !== i).map((j) => ({ name: `m${j}`, url: `http://127.0.0.1:${HTTP_PORTS[j]}` })),
          store: { sqlite: path.join(dir, `m${i}.db`) },
          http: { port: HTTP_PORTS[i] },
          delivery: { maxBatch: 10, backoffBaseMs: 100, backoffMaxMs: 1000, idleMs: 50 },
        }),
      );
      relayers.push(r);
      await r.start();
    }
    await minedUntilApplied(node.provider, b, 4, COUNT, { timeoutMs: 60_000, everyMs: 200 });
    expect(await appliedNonces(b, 4)).to.deep.equal(Array.from({ length: COUNT }, (_, i) => i + 1));
    expect(await b.hub.queryFilter(b.hub.filters.MessageRejected(4))).to.have.length(0);
    const sizes = (await b.hub.queryFilter(b.hub.filters.BatchApplied(4), from)).map((l) => {
      const { firstNonce, lastNonce } = (l as unknown as { args: { firstNonce: bigint; lastNonce: bigint } }).args;
      return Number(lastNonce - firstNonce) + 1;
    });
    // far fewer, larger batches than delivery.maxBatch (10) would give, each within the gas budget
    expect(Math.max(...sizes))
      .to.be.above(40)
      .and.at.most(100);
    expect(sizes.length).to.be.at.most(6);
    const limits = relayers.flatMap((r) => (r.sinkOf(2) as EvmGatewaySink).gasLimits);
    expect(limits.length).to.be.above(0);
    for (const l of limits) expect(l.gasLimit <= BigInt(BUDGET), `gas limit ${l.gasLimit} of ${l.messages}`).to.equal(true);
    const sent = await submissionsTo(node.provider, await b.gateway.getAddress(), from);
    expect(sent.applied).to.equal(sizes.length);
    console.log(`      batch sizes toward chain 2: ${sizes.join(", ")}`);
  });
  it("relayers: a head batch the destination refuses (lane paused) reverts once unsimulated, is then refused with its reason and parked; after the pause is lifted and the ops retried, each message is applied once, in lane order", async () => {
    for (const r of relayers.splice(0)) await r.stop();
    const from = (await node.provider.getBlockNumber()) + 1;
    const c = await deployChain(
      node.provider,
      5,
      keys.map((k) => k.address),
      2,
    );
    await acceptFrom(b, 5);
    await (await b.hub.pauseLane(5, true)).wait();
    const COUNT = 12;
    // recorded before the relayers start: the lane's head batch holds all of them
    await record(
      c,
      Array.from({ length: COUNT }, (_, i) => purchaseBody(i + 1, 5)),
    );
    const sorted = keys.map((k) => k.address.toLowerCase()).sort();
    const designated = keys.findIndex((k) => k.address.toLowerCase() === sorted[(5 + 2) % 3]);
    const runners = [designated, (designated + 1) % 3];
    for (const i of runners) {
      process.env[`HEXS_TEST_SHAPED_KEY_${i}`] = keys[i].privateKey;
      const chains = laneChains(c, b, { rpcA: node.url, confirmations: 2 }) as Record<string, unknown>[];
      chains[0].hexsChainId = 5;
      const r = new Relayer(
        parseConfig({
          instance: `p${i}`,
          devnet: true,
          operator: { key: { env: `HEXS_TEST_SHAPED_KEY_${i}` } },
          chains,
          peers: runners.filter((j) => j !== i).map((j) => ({ name: `p${j}`, url: `http://127.0.0.1:${HTTP_PORTS[j]}` })),
          store: { sqlite: path.join(dir, `p${i}.db`) },
          http: { port: HTTP_PORTS[i] },
          delivery: { maxBatch: 20, backoffBaseMs: 100, backoffMaxMs: 300, maxAttempts: 3, idleMs: 50 },
        }),
      );
      relayers.push(r);
      await r.start();
    }
    const storeOf = (r: Relayer) => (r as unknown as { store: OpStore }).store;
    // the designated submitter's store parks the lane's operations with the hub's reason
    const parked = async () => (await storeOf(relayers[0]).list({ state: "parked" })).filter((o) => o.src === 5);
    const deadline = Date.now() + 60_000;
    while ((await parked()).length < COUNT && Date.now() < deadline) {
      await node.provider.send("evm_mine", []);
      await new Promise((r) => setTimeout(r, 200));
    }
    const ops = await parked();
    expect(ops.map((o) => o.nonce)).to.deep.equal(Array.from({ length: COUNT }, (_, i) => i + 1));
    expect(ops[0].lastError).to.match(/LaneIsPaused\(5\)/);
    // the first head batch went out without simulation and reverted; the refusals after it were simulated, not mined
    const sink = relayers[0].sinkOf(2) as EvmGatewaySink;
    expect(sink.gasLimits.filter((l) => !l.simulated)).to.have.length.at.least(1);
    const sent = await submissionsTo(node.provider, await b.gateway.getAddress(), from);
    expect(sent.applied).to.equal(0);
    expect(sent.reverted).to.be.at.least(1).and.at.most(2); // the designated submitter's, perhaps a stand-in's
    expect(Number((await b.hub.lane(5)).inbound)).to.equal(0);
    expect(await b.hub.queryFilter(b.hub.filters.MessageRejected(5))).to.have.length(0);
    // the admin lifts the pause; the operator retries the parked operations
    await (await b.hub.pauseLane(5, false)).wait();
    for (const r of relayers) {
      const first = (await storeOf(r).list({ state: "parked" })).find((o) => o.src === 5 && o.nonce === 1);
      if (first) await storeOf(r).retry(first.id);
    }
    await minedUntilApplied(node.provider, b, 5, COUNT, { timeoutMs: 60_000, everyMs: 200 });
    expect(await appliedNonces(b, 5)).to.deep.equal(Array.from({ length: COUNT }, (_, i) => i + 1));
    expect(await b.hub.queryFilter(b.hub.filters.MessageRejected(5))).to.have.length(0);
  });
});
