// A step's batches toward an EVM chain are signed and persisted first, then broadcast together
// (so one block can take them all instead of one node round trip apart). The failure paths of
// that order: a crash after the signed bytes were persisted and before they were broadcast (the
// same bytes are sent again: no second transaction for a batch), and a refused broadcast of one
// batch of the step (it and the later ones are sent again in lane order, nothing lost).
// Real hardhat node (automine), real gateway and hub.
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Wallet, hexlify, keccak256, type JsonRpcProvider } from "ethers";
import { batchRootOfMessages, encodeEnvelope, Kind } from "../../codec";
import { parseConfig, type EvmChainConfig } from "../../relayer/config";
import { Relayer } from "../../relayer/relayer";
import { EvmGatewaySink } from "../../relayer/sinks/evm";
import type { SignedSubmission } from "../../relayer/sinks/types";
import { OpStore } from "../../relayer/store";
import {
  acceptFrom,
  appliedNonces,
  deployChain,
  deployLane,
  fund,
  type HexsChain,
  laneChains,
  minedUntilApplied,
  mine,
  type Node,
  purchaseBody,
  record,
  startNode,
  submissionsTo,
} from "./helpers/evm";

const NODE_PORT = 18890;
const HTTP_PORTS = [18891, 18892, 18893];
const keys = [0, 1, 2].map((i) => new Wallet(keccak256(Buffer.from(`hexs-signed-batches-test-${i}`))));
const submitter = new Wallet(keccak256(Buffer.from("hexs-signed-batches-submitter")));

describe("relayer EVM sink: a step's batches signed and persisted before any is broadcast", function () {
  this.timeout(240_000);
  let node: Node;
  let a: HexsChain, b: HexsChain;
  let dir: string;
  const relayers: Relayer[] = [];
  const set = () => ({ threshold: 2, members: keys.map((k) => k.address) });

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-relayer-signed-batches-"));
    node = await startNode(NODE_PORT);
    ({ a, b } = await deployLane(
      node.provider,
      keys.map((k) => k.address),
      2,
    ));
    await fund(node.provider, [submitter.address]);
  });

  afterEach(async () => {
    for (const r of relayers.splice(0)) await r.stop().catch(() => undefined);
  });

  after(async () => {
    await node?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh source chain `src` → chain 2 (its own lane), accepted by chain 2's hub. */
  async function source(src: number): Promise<HexsChain> {
    const c = await deployChain(
      node.provider,
      src,
      keys.map((k) => k.address),
      2,
    );
    await acceptFrom(b, src);
    return c;
  }

  /** The lane's designated submitter (index into keys) and one peer: 2-of-3. */
  async function startRelayers(c: HexsChain, src: number, tag: string, dbTag = tag): Promise<{ designated: Relayer }> {
    const sorted = keys.map((k) => k.address.toLowerCase()).sort();
    const d = keys.findIndex((k) => k.address.toLowerCase() === sorted[(src + 2) % 3]);
    const runners = [d, (d + 1) % 3];
    let designated: Relayer | undefined;
    for (const i of runners) {
      process.env[`HEXS_TEST_SIGNED_KEY_${i}`] = keys[i].privateKey;
      const chains = laneChains(c, b, { rpcA: node.url, confirmations: 1 }) as { hexsChainId: number }[];
      chains[0].hexsChainId = src;
      const r = new Relayer(
        parseConfig({
          instance: `${tag}${i}`,
          devnet: true,
          operator: { key: { env: `HEXS_TEST_SIGNED_KEY_${i}` } },
          chains,
          peers: runners.filter((j) => j !== i).map((j) => ({ name: `${tag}${j}`, url: `http://127.0.0.1:${HTTP_PORTS[j]}` })),
          store: { sqlite: path.join(dir, `${dbTag}${i}.db`) },
          http: { port: HTTP_PORTS[i] },
          delivery: { maxBatch: 10, pipeline: 4, backoffBaseMs: 100, backoffMaxMs: 1000, idleMs: 50 },
        }),
      );
      relayers.push(r);
      if (i === d) designated = r;
      await r.start();
    }
    return { designated: designated! };
  }

  /** Record every call of the sink's two phases: "p" per prepared batch, "b<n>" per broadcast of n. */
  function trace(s: EvmGatewaySink): string[] {
    const calls: string[] = [];
    const prepare = s.prepare.bind(s);
    const broadcast = s.broadcastSigned.bind(s);
    s.prepare = async (...args) => {
      const r = await prepare(...args);
      calls.push("p");
      return r;
    };
    s.broadcastSigned = async (txs) => {
      calls.push(`b${txs.length}`);
      return broadcast(txs);
    };
    return calls;
  }

  it("relayers sign and persist every batch of a step, then broadcast them together (each message once, lane order, no revert)", async () => {
    const c = await source(3);
    const from = (await node.provider.getBlockNumber()) + 1;
    await record(
      c,
      Array.from({ length: 40 }, (_, i) => purchaseBody(i + 1, 3)),
    );
    const { designated } = await startRelayers(c, 3, "g");
    const calls = trace(designated.sinkOf(2) as EvmGatewaySink);
    await minedUntilApplied(node.provider, b, 3, 40, { timeoutMs: 90_000, everyMs: 200 });
    expect(await appliedNonces(b, 3)).to.deep.equal(Array.from({ length: 40 }, (_, i) => i + 1));
    // each broadcast sends the batches signed since the previous one, and a step of the
    // 40-message backlog (batches of 10, pipeline 4) signed several before sending any
    let signedSince = 0;
    for (const call of calls)
      if (call === "p") signedSince++;
      else {
        expect(Number(call.slice(1))).to.equal(signedSince);
        signedSince = 0;
      }
    expect(Math.max(...calls.filter((x) => x !== "p").map((x) => Number(x.slice(1))))).to.be.at.least(2);
    const sent = await submissionsTo(node.provider, await b.gateway.getAddress(), from);
    expect(sent).to.deep.equal({ applied: 4, reverted: 0 });
  });

  it("a refused broadcast of the second batch of a step loses nothing: it and the later ones are sent again in lane order (each message once)", async () => {
    const c = await source(4);
    await record(
      c,
      Array.from({ length: 40 }, (_, i) => purchaseBody(i + 1, 4)),
    );
    const { designated } = await startRelayers(c, 4, "r");
    const s = designated.sinkOf(2) as EvmGatewaySink;
    const calls = trace(s);
    // the node refuses the step's second transaction once (answered with an error, never sent),
    // and accepts the third and fourth, which wait in its pool behind the unused nonce
    const init = s.init.bind(s);
    let patched = false;
    let seen = 0;
    s.init = async () => {
      await init();
      if (patched) return;
      patched = true;
      const provider = (s as unknown as { conn: { provider: JsonRpcProvider } }).conn.provider;
      const send = provider.broadcastTransaction.bind(provider);
      provider.broadcastTransaction = async (raw: string) => {
        if (++seen === 2) throw new Error("test: node refuses this transaction");
        return send(raw);
      };
    };
    await minedUntilApplied(node.provider, b, 4, 40, { timeoutMs: 90_000, everyMs: 200 });
    expect(seen, "broadcasts").to.be.greaterThan(4);
    expect(calls.some((x) => x !== "p" && Number(x.slice(1)) >= 2)).to.equal(true);
    // every nonce applied once, in lane order (a transaction mined out of order is refused by the
    // hub's lane nonce as a whole, which does not consume a nonce)
    expect(await appliedNonces(b, 4)).to.deep.equal(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(await b.hub.queryFilter(b.hub.filters.MessageRejected(4))).to.have.length(0);
  });

  it("a crash after the signed batches were persisted and before their broadcast: the restarted sink sends the same bytes (one transaction per batch); a persisted transaction whose nonce was used since is reported dropped, not sent", async () => {
    await source(5);
    let nonce = 0;
    const batch = (n: number) => {
      const messages = Array.from({ length: n }, () =>
        hexlify(
          encodeEnvelope(
            { kind: Kind.PurchaseSettled, srcChain: 5, dstChain: 2, nonce: BigInt(++nonce) },
            purchaseBody(nonce, 5),
          ),
        ),
      );
      const { root } = batchRootOfMessages(messages);
      return { messages, signatures: new Map(keys.slice(0, 2).map((k) => [k.address, k.signingKey.sign(root).serialized])) };
    };
    process.env.HEXS_TEST_SIGNED_SUBMITTER = submitter.privateKey;
    const cfg = parseConfig({
      instance: "crash",
      devnet: true,
      operator: { key: { env: "HEXS_TEST_SIGNED_SUBMITTER" } },
      chains: laneChains(a, b, { rpcA: node.url }),
      peers: [],
      store: { sqlite: path.join(dir, "unused.db") },
      http: { port: 0 },
    });
    const chainCfg = cfg.chains.find((x) => x.hexsChainId === 2) as EvmChainConfig;
    const file = path.join(dir, "crash.db");
    const before = await node.provider.getTransactionCount(submitter.address, "latest");

    // process 1: signs a head batch and a pipelined one and persists both, then "crashes"
    let store = await OpStore.open({ sqlite: file });
    const first = new EvmGatewaySink(chainCfg, submitter.signingKey, store);
    await first.init();
    const signed: SignedSubmission[] = [];
    for (const [i, n] of [7, 5].entries()) {
      const x = batch(n);
      const t = await first.prepare(x.messages, x.signatures, set(), { pipelined: i > 0 });
      await store.submitSigned([], { chain: "b", txHash: t.txHash, raw: t.raw });
      signed.push(t);
    }
    await first.close();
    await store.close();
    expect(await node.provider.getTransaction(signed[0].txHash), "not broadcast before the crash").to.equal(null);

    // process 2: the same store; the in-flight check of the oldest batch re-sends the persisted bytes
    store = await OpStore.open({ sqlite: file });
    const second = new EvmGatewaySink(chainCfg, submitter.signingKey, store);
    await second.init();
    expect((await second.status(signed[0].txHash)).status).to.equal("pending");
    expect((await second.status(signed[1].txHash)).status).to.equal("pending");
    await mine(node.provider, 2);
    expect((await second.status(signed[0].txHash)).status).to.equal("confirmed");
    expect((await second.status(signed[1].txHash)).status).to.equal("confirmed");
    expect(Number((await b.hub.lane(5)).inbound)).to.equal(12);
    // exactly the two signed transactions went out, with their own hashes
    expect(await node.provider.getTransactionCount(submitter.address, "latest")).to.equal(before + 2);
    expect((await node.provider.getTransactionReceipt(signed[1].txHash))?.status).to.equal(1);
    expect(await store.signedTx(signed[0].txHash), "forgotten once mined").to.equal(undefined);

    // a persisted transaction whose nonce another transaction took meanwhile is not sent again
    const x = batch(3);
    const t = await second.prepare(x.messages, x.signatures, set(), {});
    await store.submitSigned([], { chain: "b", txHash: t.txHash, raw: t.raw });
    await (await submitter.connect(node.provider).sendTransaction({ to: submitter.address, value: 1n, nonce: t.nonce })).wait();
    const st = await second.status(t.txHash);
    expect(st.status).to.equal("failed");
    expect(st.dropped).to.equal(true);
    expect(await node.provider.getTransaction(t.txHash)).to.equal(null);
    expect(Number((await b.hub.lane(5)).inbound)).to.equal(12);
    await second.close();
    await store.close();
  });
});
