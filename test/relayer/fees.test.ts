// Fee bumping on a real `hardhat node` with automine off: the relayer's first submitBatch is
// priced below the base fee the node is then forced to (hardhat_setNextBlockBaseFeePerGas), so it
// cannot be mined; after `fees.bumpAfterMs` the relayer replaces it at the same nonce with both fee
// fields raised by ≥ 12.5 %, the replacement is mined, the original never is, and the batch is
// applied exactly once. A second run shows the cap: at `maxFeePerGasGwei` no replacement is sent.
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Wallet, keccak256, type TransactionResponse } from "ethers";
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

const PORT = 18860;
const key = new Wallet(keccak256(Buffer.from("hexs-relayer-fees-0")));
const GWEI = 1_000_000_000n;

describe("relayer fee bumping (EVM gateway sink, automine off)", function () {
  this.timeout(180_000);
  let node: Node;
  let dir: string;
  let relayer: Relayer | undefined;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-relayer-fees-"));
    node = await startNode(PORT);
  });

  afterEach(async () => {
    await relayer?.stop().catch(() => undefined);
    relayer = undefined;
    await node.provider.send("evm_setAutomine", [true]);
  });

  after(async () => {
    await node?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh 1-of-1 lane a → b with `count` entries recorded and confirmed; automine then off. */
  async function lane(count: number): Promise<{ a: HexsChain; b: HexsChain }> {
    const { a, b } = await deployLane(node.provider, [key.address], 1);
    await record(
      a,
      Array.from({ length: count }, (_, i) => purchaseBody(i + 1)),
    );
    await mine(node.provider, 2);
    await node.provider.send("evm_setAutomine", [false]);
    return { a, b };
  }

  function start(
    a: HexsChain,
    b: HexsChain,
    fees: { bumpAfterMs: number; bumpPercent: number; maxFeePerGasGwei: number },
    db: string,
  ): Promise<void> {
    process.env.HEXS_TEST_FEES_KEY = key.privateKey;
    relayer = new Relayer(
      parseConfig({
        instance: "fees",
        operator: { key: { env: "HEXS_TEST_FEES_KEY" } },
        devnet: true, // one key attests and submits (a test setup)
        chains: laneChains(a, b, { rpcA: node.url, pollMsB: 100, fees }),
        store: { sqlite: path.join(dir, db) },
        http: { port: 0 },
        delivery: { maxBatch: 30, attestTimeoutMs: 500, backoffBaseMs: 100, backoffMaxMs: 1000, idleMs: 50 },
      }),
    );
    return relayer.start();
  }

  /** the relayer key's transactions in the node's mempool (hardhat's eth_pendingTransactions) */
  async function pendingOfKey(): Promise<TransactionResponse[]> {
    const txs = (await node.provider.send("eth_pendingTransactions", [])) as { hash: string }[];
    const full = await Promise.all(txs.map((t) => node.provider.getTransaction(t.hash)));
    return full.filter((t): t is TransactionResponse => !!t && t.from === key.address);
  }

  /** the relayer key's transaction at `nonce` mined since `fromBlock`, if any */
  async function minedAtNonce(fromBlock: number, nonce: number): Promise<TransactionResponse | undefined> {
    const head = await node.provider.getBlockNumber();
    for (let h = fromBlock; h <= head; h++) {
      const blk = await node.provider.getBlock(h, true);
      const t = blk?.prefetchedTransactions.find((x) => x.from === key.address && x.nonce === nonce);
      if (t) return t;
    }
    return undefined;
  }

  /** mine one block whose base fee is `baseFee` (so a transaction priced below it stays out) */
  async function mineAt(baseFee: bigint): Promise<void> {
    await node.provider.send("hardhat_setNextBlockBaseFeePerGas", [`0x${baseFee.toString(16)}`]);
    await mine(node.provider, 1);
  }

  it("replaces a stuck submission at the same nonce with ≥ 12.5 % higher fees; applied exactly once", async () => {
    const { a, b } = await lane(5);
    await start(a, b, { bumpAfterMs: 1500, bumpPercent: 12.5, maxFeePerGasGwei: 1000 }, "bump.db");
    const [first] = await until("the first submission in the mempool", 30_000, async () => {
      const p = await pendingOfKey();
      return p.length ? p : undefined;
    });
    // The base fee jumps far above what the first transaction offers: it cannot be mined.
    const high = first.maxFeePerGas! * 4n + 50n * GWEI;
    await mineAt(high);
    expect(await node.provider.getTransactionReceipt(first.hash), "first tx mined despite its low fee").to.equal(null);
    // Keep the base fee high while the relayer notices the stuck transaction and replaces it.
    const fromBlock = await node.provider.getBlockNumber();
    const replacement = await until("a replacement at the same nonce", 30_000, async () => {
      // in the mempool, or already mined by one of the blocks below
      const r =
        (await pendingOfKey()).find((t) => t.hash !== first.hash && t.nonce === first.nonce) ??
        (await minedAtNonce(fromBlock, first.nonce));
      if (!r) await mineAt(high);
      return r;
    });
    expect(replacement.maxFeePerGas! * 10_000n >= first.maxFeePerGas! * 11_250n, "maxFeePerGas +12.5 %").to.equal(true);
    expect(
      replacement.maxPriorityFeePerGas! * 10_000n >= first.maxPriorityFeePerGas! * 11_250n,
      "maxPriorityFeePerGas +12.5 %",
    ).to.equal(true);
    expect(replacement.maxFeePerGas! <= 1000n * GWEI, "capped by maxFeePerGasGwei").to.equal(true);
    expect(replacement.data).to.equal(first.data);
    await until("the batch applied", 30_000, async () => {
      await mineAt(high);
      return Number((await b.hub.lane(1)).inbound) === 5;
    });
    const mined = await node.provider.getTransactionReceipt(replacement.hash);
    expect(mined?.status).to.equal(1);
    expect(await node.provider.getTransactionReceipt(first.hash)).to.equal(null);
    expect(await appliedNonces(b, 1)).to.deep.equal([1, 2, 3, 4, 5]);
    const bumps = (await relayer!.metrics.feeBumps.get()).values.reduce((s, v) => s + v.value, 0);
    expect(bumps).to.be.at.least(1);
    // the relayer's own bookkeeping follows the replacement and confirms the operations
    await until(
      "operations confirmed",
      10_000,
      async () => (await relayer!.metrics.deliveries.get()).values.reduce((s, v) => s + v.value, 0) === 5,
    );
    console.log(
      `      first ${first.hash.slice(0, 10)} at ${Number(first.maxFeePerGas! / 10n ** 6n) / 1000} gwei stuck; replacement ${replacement.hash.slice(0, 10)} at ${Number(replacement.maxFeePerGas! / 10n ** 6n) / 1000} gwei mined (${bumps} bump(s))`,
    );
  });

  it("at the configured fee cap it does not send an underpriced replacement", async () => {
    const { a, b } = await lane(2);
    // cap = what the node suggests now: the first submission already sits at the cap
    const fd = await node.provider.getFeeData();
    const capGwei = Number(fd.maxFeePerGas! / 10n ** 6n) / 1000 + 0.001;
    await start(a, b, { bumpAfterMs: 500, bumpPercent: 20, maxFeePerGasGwei: capGwei }, "cap.db");
    const [first] = await until("the first submission in the mempool", 30_000, async () => {
      const p = await pendingOfKey();
      return p.length ? p : undefined;
    });
    const high = first.maxFeePerGas! * 4n + 50n * GWEI;
    for (let i = 0; i < 10; i++) {
      await mineAt(high);
      await new Promise((r) => setTimeout(r, 300));
    }
    const p = await pendingOfKey();
    expect(p.map((t) => t.hash)).to.deep.equal([first.hash]);
    expect((await relayer!.metrics.feeBumps.get()).values.reduce((s, v) => s + v.value, 0)).to.equal(0);
    // once the base fee falls back, the original (never replaced) is mined and applies the batch
    await until("the batch applied", 30_000, async () => {
      await mine(node.provider, 1);
      return Number((await b.hub.lane(1)).inbound) === 2;
    });
    expect((await node.provider.getTransactionReceipt(first.hash))?.status).to.equal(1);
    expect(await appliedNonces(b, 1)).to.deep.equal([1, 2]);
  });
});
