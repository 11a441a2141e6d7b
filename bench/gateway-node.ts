// Isolated timing of attestation-gateway batches on a quiet `hardhat node` started exactly as
// the devnet starts its EVM chains (devnet/chains.ts startEvmNode: HEXS_NODE_CHAIN_ID, the
// project's hardhat config) and deployed as the devnet deploys them (deployEvm: the real deploy
// script, the CosmWasm lane accepted, relayer set = the devnet operators, 2-of-3). Each batch
// carries consecutive mirrored KeyMinted of one Cosmos model (new Cosmos owners) signed over the
// batch root, as the relayers send them. Per scenario and node setting it times, automine off:
//   eth_call of the first batch (the execution alone), eth_sendRawTransaction of every batch,
//   evm_mine, eth_getTransactionReceipt of every batch;
// and with interval mining (1 s blocks, like the devnet), starting right after a block:
//   eth_sendRawTransaction of every batch → every receipt seen (≈ the wait for the next tick + mining).
// A side connection polls eth_blockNumber every 5 ms meanwhile: its longest answer is how long the
// node answered nothing else (mining included).
//
//   npx ts-node --transpile-only bench/gateway-node.ts
//   (BENCH_SIZES=50,200,500,253+256+91 BENCH_REPEAT=3 BENCH_LOGGING=true,false BENCH_MODES=manual,interval
//    BENCH_PATTERNS=none,... BENCH_OUT=...)
//
// BENCH_PATTERNS=none,nonce-pending,... (issue 15 bisection): in interval mode, while the batches
// wait in the mempool and are mined, a side client repeats one request pattern every
// BENCH_PATTERN_MS (default 100) — what the devnet's processes send (PATTERNS below); each
// measurement then also gives the node's CPU time and minor page faults (/proc) from the first
// send to the last receipt. The node runs with the devnet's allocator settings (devnet/chains.ts
// evmNodeAllocatorEnv); MIMALLOC_PURGE_DELAY=10 MIMALLOC_ARENA_RESERVE=1GiB measures mimalloc's
// defaults instead.
//
// The node's console log (`hardhat node` prints every request and every mined transaction,
// decoding calls against the artifacts) is toggled with hardhat_setLoggingEnabled on the same
// node, so both settings run on the same chain; results go to bench/results/gateway-node.json.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Contract, Wallet, hexlify, keccak256, toUtf8Bytes } from "ethers";
import { AccountFamily, batchRootOfMessages, encodeMessage, Kind, type Message } from "../codec";
import { deployEvm, EVM_CHAINS, ROOT, evmNodeAllocatorEnv, portFree, startEvmNode } from "../devnet/chains";
import { Supervisor } from "../devnet/procs";
import { AttestationGateway__factory, HexsHub__factory } from "../sdk/typechain";

const COSMOS = 100;
// one scenario per entry: the batches sent before one block is mined ("253+256+91": the devnet's
// 600-message backlog as the relayer cuts it at its 10M-gas budget; one batch of 600 KeyMinted
// needs ≈ 16.9M gas, above the 2^24 transaction cap)
const SCENARIOS = (process.env.BENCH_SIZES ?? "50,200,500,253+256+91").split(",").map((s) => s.split("+").map(Number));
const LOGGING = (process.env.BENCH_LOGGING ?? "true,false").split(",").map((s) => s === "true");
const MIX = process.env.BENCH_MIX === "1";
const FRESH_MODEL = process.env.BENCH_FRESH_MODEL === "1";
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
const PATTERN_NAMES = (process.env.BENCH_PATTERNS ?? "none").split(",");
const PATTERN_MS = Number(process.env.BENCH_PATTERN_MS ?? 100);
const MODES = (process.env.BENCH_MODES ?? "manual,interval").split(",");
const OUT = path.resolve(ROOT, process.env.BENCH_OUT ?? "bench/results/gateway-node.json");
// EIP-7825 (Osaka, hardhat's default hardfork) caps a transaction at 2^24 gas
const GAS_LIMIT = 16_777_216n;

const keys = [0, 1, 2].map((i) => new Wallet(keccak256(toUtf8Bytes(`hexs devnet operator ${i + 1}`))));
const submitter = new Wallet(keccak256(toUtf8Bytes("hexs gateway-node bench submitter")));
const ms = (t0: number): number => Math.round((performance.now() - t0) * 10) / 10;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

/**
 * Polls eth_blockNumber every 5 ms on its own connection while `f` runs: the longest answer is how
 * long the node answered nothing else (it serves one request at a time, mining included).
 */
async function probed<T>(url: string, f: () => Promise<T>): Promise<{ value: T; stallMs: number }> {
  let stop = false;
  let stallMs = 0;
  const loop = (async () => {
    while (!stop) {
      const t = performance.now();
      await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] }),
      }).then((r) => r.text());
      stallMs = Math.max(stallMs, performance.now() - t);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  try {
    return { value: await f(), stallMs: Math.round(stallMs) };
  } finally {
    stop = true;
    await loop;
  }
}

async function freePort(from: number): Promise<number> {
  for (let p = from; p < from + 100; p++) if (await portFree(p)) return p;
  throw new Error(`no free port in ${from}..${from + 99}`);
}

interface Timing {
  /** the batches sent before one block ("253+256+91") */
  size: string;
  logging: boolean;
  mode: "manual" | "interval";
  callMs?: number;
  sendMs: number;
  mineMs?: number;
  receiptMs: number;
  /** send → receipt seen (interval mode, receipts polled every 20 ms) */
  totalMs: number;
  gasUsed: number;
  /** the longest eth_blockNumber answer while the batches were sent, mined and their receipts read */
  stallMs?: number;
  /** blocks the batches landed in (interval mode) */
  blocks?: number;
  /** the side client's request pattern while the block was pending (interval mode) */
  pattern?: string;
  /** requests of that pattern answered, and their longest answer (ms) */
  patternCalls?: number;
  patternMaxMs?: number;
  /** the node process's CPU time (user + system) from the first send to the last receipt */
  nodeCpuMs?: number;
  /** the node process's minor page faults meanwhile (a transparent huge page counts once) */
  nodeFaults?: number;
}

/** CPU time (user + system, ms) a process has used so far, from /proc (Linux; clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
}

/** Minor page faults a process has taken so far, from /proc (fresh memory it touched). */
function minorFaults(pid: number): number {
  return Number(fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ")[7]);
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hexs-gateway-node-"));
  const sup = new Supervisor(path.join(dir, "logs"));
  const stop = () => void sup.stopAll().finally(() => process.exit(130));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  const out: Timing[] = [];
  try {
    // Both devnet chains (the deploy wires LayerZero lanes between them), deployed by the real
    // deploy script into a temporary records folder; only chain A is measured.
    const ports = [await freePort(18960)];
    ports.push(await freePort(ports[0] + 1));
    const nodes = await Promise.all(
      EVM_CHAINS.map(async (c, i) => ({ ...c, port: ports[i], ...(await startEvmNode(sup, { ...c, port: ports[i] })) })),
    );
    const [chain] = await deployEvm(
      nodes,
      keys.map((k) => k.address),
      2,
      dir,
      () => undefined,
      { env: { HEXS_DEPLOYMENTS_DIR: path.join(dir, "deployments") } },
    );
    const { url, provider } = chain;
    await provider.send("evm_setAutomine", [true]);
    await (await (await chain.signer(0)).sendTransaction({ to: submitter.address, value: 10n ** 20n })).wait();
    const gateway = new Contract(chain.addresses.AttestationGateway, AttestationGateway__factory.abi, provider);
    const gatewayAddr = await gateway.getAddress();
    const signers = [...keys.slice(0, 2)].sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1));

    let nonce = 0n;
    let serial = 0;
    let modelSerial = 1;
    let model = (BigInt(COSMOS) << 32n) | 1n;
    const owner = (i: number) => ({ family: AccountFamily.Cosmos, address: "0x" + (i + 1).toString(16).padStart(40, "0") });
    const msg = (kind: Kind, body: Message["body"]): string =>
      hexlify(encodeMessage({ version: 1, kind, srcChain: COSMOS, dstChain: 1, nonce: ++nonce, body } as Message));
    const keyMinted = (): string =>
      msg(Kind.KeyMinted, {
        modelId: model,
        keyId: (BigInt(COSMOS) << 32n) | BigInt(++serial),
        owner: owner(serial),
        expiresAt: 0n,
        locked: false,
      });
    // BENCH_MIX=1: what a wasmd purchase sends each peer lane, KeyMinted then PurchaseSettled
    let settled = false;
    const next = (): string => {
      if (!MIX || !settled) return ((settled = true), keyMinted());
      settled = false;
      return msg(Kind.PurchaseSettled, {
        purchaseId: (BigInt(COSMOS) << 32n) | BigInt(serial),
        modelId: model,
        keyId: (BigInt(COSMOS) << 32n) | BigInt(serial),
        buyer: owner(serial),
        currency: "0x",
        amount: 1000n,
        deploymentRequested: false,
        deploymentParams: "0x",
      });
    };
    const tx = async (messages: string[], ahead = 0) => {
      const { root } = batchRootOfMessages(messages);
      const data = gateway.interface.encodeFunctionData("submitBatch", [
        messages,
        signers.map((w) => w.signingKey.sign(root).serialized),
      ]);
      const fee = BigInt(await provider.send("eth_gasPrice", []));
      const txNonce = (await provider.getTransactionCount(submitter.address, "latest")) + ahead;
      const raw = await submitter.signTransaction({
        to: gatewayAddr,
        data,
        gasLimit: GAS_LIMIT,
        maxFeePerGas: fee * 3n,
        maxPriorityFeePerGas: 1n,
        nonce: txNonce,
        chainId: 31401n,
        type: 2,
      });
      return { data, raw };
    };
    // A model first (mirrored once; the KeyMinted after it are the hot path measured). With
    // BENCH_FRESH_MODEL=1 every measured scenario mints the first keys of a model registered just before.
    const registerModel = async (): Promise<void> => {
      const reg = await tx([
        msg(Kind.ModelRegistered, {
          modelId: model,
          parentId: 0n,
          creator: owner(0),
          contentCommitment: keccak256(toUtf8Bytes(`cosmos model ${modelSerial}`)),
          parentCommitment: "0x" + "00".repeat(32),
          soulbound: false,
          forkable: true,
          keyDuration: 0n,
          upstreamBps: 0,
          daoBps: 0,
          forkRoyaltyBps: 1000,
          resaleRoyaltyBps: 0,
          sdlLocator: "lighthouse://x",
          metadataUri: "",
        }),
        keyMinted(),
      ]);
      const h = await provider.send("eth_sendRawTransaction", [reg.raw]);
      await provider.send("evm_mine", []);
      if ((await receipt(h, 20)).status !== "0x1") throw new Error("registering the Cosmos model failed");
    };
    const freshModel = async (): Promise<void> => {
      if (!FRESH_MODEL) return;
      model = (BigInt(COSMOS) << 32n) | BigInt(++modelSerial);
      await registerModel();
    };

    const receipt = async (hash: string, everyMs: number) => {
      for (;;) {
        const r = await provider.send("eth_getTransactionReceipt", [hash]);
        if (r) return r as { status: string; gasUsed: string };
        await new Promise((res) => setTimeout(res, everyMs));
      }
    };

    const label = (batches: number[]): string => batches.join("+");
    const nodePid = sup.status().find((c) => c.name === `node-${chain.network}`)!.pid;
    const rpc = (method: string, params: unknown[]) => provider.send(method, params);
    const hubAddr = chain.addresses.HexsHub;
    const laneCall = HexsHub__factory.createInterface().encodeFunctionData("lane", [COSMOS]); // what the deliverer reads
    // What the devnet's processes send a node (the relayers, the LayerZero executor, the benchmark's
    // pollers), one pattern at a time; ethers v6 sends eth_estimateGas without a block tag, which
    // hardhat reads as "pending".
    const PATTERNS: Record<string, () => Promise<unknown>> = {
      none: async () => undefined,
      blockNumber: () => rpc("eth_blockNumber", []),
      receipt: () => rpc("eth_getTransactionReceipt", [keccak256("0x01")]),
      "call-latest": () => rpc("eth_call", [{ to: hubAddr, data: laneCall }, "latest"]).catch(() => undefined),
      "call-pending": () => rpc("eth_call", [{ to: hubAddr, data: laneCall }, "pending"]).catch(() => undefined),
      "nonce-latest": () => rpc("eth_getTransactionCount", [submitter.address, "latest"]),
      "nonce-pending": () => rpc("eth_getTransactionCount", [submitter.address, "pending"]),
      "estimate-notag": () => rpc("eth_estimateGas", [{ from: submitter.address, to: submitter.address, value: "0x0" }]),
      "fee-data": () =>
        Promise.all([
          rpc("eth_getBlockByNumber", ["latest", false]),
          rpc("eth_gasPrice", []),
          rpc("eth_maxPriorityFeePerGas", []),
        ]),
      "fee-history": () => rpc("eth_feeHistory", ["0x4", "latest", [50]]),
      "block-pending": () => rpc("eth_getBlockByNumber", ["pending", false]),
      "logs-latest": () => rpc("eth_getLogs", [{ address: hubAddr, fromBlock: "latest", toBlock: "latest" }]),
    };
    for (const p of PATTERN_NAMES)
      if (!PATTERNS[p]) throw new Error(`unknown pattern ${p} (known: ${Object.keys(PATTERNS).join(", ")})`);
    await registerModel();

    async function manual(batches: number[], logging: boolean): Promise<{ value: Timing; stallMs: number }> {
      await freshModel();
      const txs: { data: string; raw: string }[] = [];
      for (const n of batches) txs.push(await tx(Array.from({ length: n }, next), txs.length));
      // the execution alone: the first batch through eth_call (what a simulated head batch costs)
      let t = performance.now();
      await provider.send("eth_call", [
        { from: submitter.address, to: gatewayAddr, data: txs[0].data, gas: "0x" + GAS_LIMIT.toString(16) },
        "latest",
      ]);
      const callMs = ms(t);
      return probed(url, async () => {
        t = performance.now();
        const hashes: string[] = [];
        for (const x of txs) hashes.push(await provider.send("eth_sendRawTransaction", [x.raw]));
        const sendMs = ms(t);
        t = performance.now();
        await provider.send("evm_mine", []);
        const mineMs = ms(t);
        t = performance.now();
        let gasUsed = 0;
        for (const h of hashes) {
          const r = await receipt(h, 20);
          if (r.status !== "0x1") throw new Error(`a batch of ${label(batches)} reverted`);
          gasUsed += Number(r.gasUsed);
        }
        const receiptMs = ms(t);
        const x: Timing = {
          size: label(batches),
          logging,
          mode: "manual",
          callMs,
          sendMs,
          mineMs,
          receiptMs,
          totalMs: Math.round((sendMs + mineMs + receiptMs) * 10) / 10,
          gasUsed,
        };
        return x;
      });
    }

    async function interval(batches: number[], logging: boolean, pattern = "none"): Promise<Timing> {
      await freshModel();
      const txs: { data: string; raw: string }[] = [];
      for (const n of batches) txs.push(await tx(Array.from({ length: n }, next), txs.length));
      // start right after a block, as a relayer's broadcasts after its confirmations would
      const b0 = await provider.getBlockNumber();
      while ((await provider.getBlockNumber()) === b0) await new Promise((res) => setTimeout(res, 10));
      let stop = false;
      let patternCalls = 0;
      let patternMaxMs = 0;
      const side = (async () => {
        if (pattern === "none") return;
        while (!stop) {
          const t = performance.now();
          await PATTERNS[pattern]();
          patternCalls++;
          patternMaxMs = Math.max(patternMaxMs, ms(t));
          await new Promise((res) => setTimeout(res, PATTERN_MS));
        }
      })();
      const cpu0 = cpuMs(nodePid);
      const faults0 = minorFaults(nodePid);
      const t0 = performance.now();
      const hashes: string[] = [];
      for (const x of txs) hashes.push(await provider.send("eth_sendRawTransaction", [x.raw]));
      const sendMs = ms(t0);
      const t = performance.now();
      let gasUsed = 0;
      const blocks = new Set<string>();
      for (const h of hashes) {
        const r = (await receipt(h, 20)) as { status: string; gasUsed: string; blockNumber: string };
        if (r.status !== "0x1") throw new Error(`a batch of ${label(batches)} reverted`);
        gasUsed += Number(r.gasUsed);
        blocks.add(r.blockNumber);
      }
      const receiptMs = ms(t);
      const totalMs = ms(t0);
      const nodeCpuMs = cpuMs(nodePid) - cpu0;
      const nodeFaults = minorFaults(nodePid) - faults0;
      stop = true;
      await side;
      return {
        size: label(batches),
        logging,
        mode: "interval",
        sendMs,
        receiptMs,
        totalMs,
        gasUsed,
        blocks: blocks.size,
        pattern,
        patternCalls,
        patternMaxMs,
        nodeCpuMs,
        nodeFaults,
      };
    }

    const say = (x: Timing) =>
      console.log(
        `${x.mode.padEnd(8)} logging=${String(x.logging).padEnd(5)} ${x.size.padStart(10)} msgs: ` +
          (x.callMs !== undefined ? `eth_call(first) ${x.callMs} ms, ` : "") +
          `send ${x.sendMs} ms, ` +
          (x.mineMs !== undefined ? `evm_mine ${x.mineMs} ms, ` : "") +
          `receipts ${x.receiptMs} ms, total ${x.totalMs} ms, gas ${x.gasUsed}` +
          (x.blocks !== undefined ? `, ${x.blocks} block(s)` : "") +
          (x.pattern !== undefined
            ? `, pattern ${x.pattern} (${x.patternCalls} calls, longest ${x.patternMaxMs} ms), node CPU ${x.nodeCpuMs} ms, ${x.nodeFaults} page faults`
            : "") +
          `, longest eth_blockNumber ${x.stallMs} ms`,
      );
    for (const logging of LOGGING) {
      await provider.send("hardhat_setLoggingEnabled", [logging]);
      await provider.send("evm_setAutomine", [false]);
      for (const batches of MODES.includes("manual") ? SCENARIOS : [])
        for (let i = 0; i < REPEAT; i++) {
          const { value: x, stallMs } = await manual(batches, logging);
          x.stallMs = stallMs;
          say(x);
          out.push(x);
        }
      await provider.send("evm_setIntervalMining", [1000]);
      for (const batches of MODES.includes("interval") ? SCENARIOS : [])
        for (const pattern of PATTERN_NAMES)
          for (let i = 0; i < REPEAT; i++) {
            const { value: x, stallMs } = await probed(url, () => interval(batches, logging, pattern));
            x.stallMs = stallMs;
            say(x);
            out.push(x);
          }
      await provider.send("evm_setIntervalMining", [0]);
    }
    const summary: Record<string, Record<string, number>> = {};
    for (const x of out) {
      const k = `${x.mode}.${x.logging ? "logging" : "quiet"}.${x.size}${x.pattern && x.pattern !== "none" ? `.${x.pattern}` : ""}`;
      const same = out.filter(
        (y) =>
          y.mode === x.mode && y.logging === x.logging && y.size === x.size && (y.pattern ?? "none") === (x.pattern ?? "none"),
      );
      summary[k] = {
        ...(x.callMs !== undefined ? { callMs: median(same.map((y) => y.callMs!)) } : {}),
        sendMs: median(same.map((y) => y.sendMs)),
        ...(x.mineMs !== undefined ? { mineMs: median(same.map((y) => y.mineMs!)) } : {}),
        receiptMs: median(same.map((y) => y.receiptMs)),
        totalMs: median(same.map((y) => y.totalMs)),
        stallMs: median(same.map((y) => y.stallMs!)),
        ...(x.nodeCpuMs !== undefined ? { nodeCpuMs: median(same.map((y) => y.nodeCpuMs!)) } : {}),
        ...(x.nodeFaults !== undefined ? { nodeFaults: median(same.map((y) => y.nodeFaults!)) } : {}),
        gasUsed: x.gasUsed,
      };
    }
    console.table(summary);
    fs.mkdirSync(path.dirname(OUT), { recursive: true });
    fs.writeFileSync(
      OUT,
      JSON.stringify(
        {
          when: new Date().toISOString(),
          load: os.loadavg().map((l) => Math.round(l * 100) / 100),
          nodeAllocator: evmNodeAllocatorEnv(), // devnet/chains.ts
          summary,
          runs: out,
        },
        null,
        2,
      ) + "\n",
    );
    console.log(`written ${path.relative(ROOT, OUT)}`);
  } finally {
    await sup.stopAll();
    console.log(`node log: ${path.join(dir, "logs")}`);
  }
}

main().catch((e) => {
  console.error(String((e as Error).message ?? e).slice(0, 2000));
  process.exit(1);
});
