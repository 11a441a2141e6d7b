// x402 settlement on its own thread (node:worker_threads).
//
// @x402/evm's facilitator settles a payment by verifying it again (viem's signature recovery,
// getCode, an eth_call), signing transferWithAuthorization and polling for its receipt: ~5 ms of
// CPU a call. On the gateway's request thread that competes with answering calls; here a worker
// owns its own facilitator (built by the same factory, facilitator-client.ts) and settles what the request thread
// hands it, one at a time. The request thread keeps the ledger (SQLite) and every decision: it
// only asks "settle this payload against these requirements" and records the answer. Sweeps of
// settled revenue into vaults are sent here too, in the same serial queue: two threads sending
// from the facilitator account at once could pick the same nonce. With a settlement batcher
// (X402SettlementBatcher) the worker also signs and sends batches of authorizations: it signs
// first and hands the hash back, so the request thread records it before the batch is broadcast.
// The worker thread runs at a lower CPU priority (nice `settleNice`, default 10; Linux: nice is per
// thread): settlement trails the answers anyway, and on a machine whose cores are all busy a paid
// call's answer should not wait behind the settlement of an earlier one. What a payer may owe
// unsettled is bounded on the request thread (balance net of unsettled calls,
// fastMaxUnsettledCalls), not by how fast this thread settles.
import { readlinkSync } from "node:fs";
import { getPriority, setPriority } from "node:os";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import type { PaymentPayload, PaymentRequirements, SettleResponse } from "@x402/core/types";
import { messageOf } from "../../sdk/errors";
import {
  makeFacilitatorClient,
  sendBatch,
  sendSweep,
  signBatch,
  type BatchItem,
  type BatchReceipt,
  type FacilitatorSetup,
} from "./facilitator-client";

export type SettlerSetup = FacilitatorSetup & {
  /** the worker thread's nice value (0–19, higher yields more); default 10, 0 leaves it as is */
  niceness?: number;
};

/** What the worker thread runs as: its kernel thread id and nice value (undefined where unknown). */
export interface SettlerThread {
  tid?: number;
  nice?: number;
}

type Job =
  | { kind: "settle"; payload: string; requirements: string }
  | { kind: "thread" }
  | { kind: "sweep"; apiPayments: `0x${string}`; model: string; asset: `0x${string}` }
  | { kind: "signBatch"; batcher: `0x${string}`; token: `0x${string}`; items: BatchItem[] }
  | { kind: "sendBatch"; raw: `0x${string}` };
type Request = Job & { id: number };
type Reply = {
  id: number;
  result?: SettleResponse;
  hash?: `0x${string}`;
  raw?: `0x${string}`;
  receipt?: BatchReceipt;
  thread?: SettlerThread;
  error?: string;
};
type Pending = { resolve: (r: Reply) => void; reject: (e: Error) => void };

/** The request thread's handle: settle() and sweep() post to the worker and resolve with its answer. */
export class SettlementWorker {
  private worker?: Worker;
  private next = 0;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly setup: SettlerSetup) {}

  private spawn(): Worker {
    // under ts-node (the CLI, hardhat tests) the worker registers it too; a compiled build loads the .js.
    // Paths are resolved here: an eval'd worker resolves bare names from the cwd, which may be anywhere
    const code = __filename.endsWith(".ts")
      ? `require(${JSON.stringify(require.resolve("ts-node"))}).register({ transpileOnly: true, projectSearchDir: ${JSON.stringify(__dirname)} }); require(${JSON.stringify(__filename)});`
      : `require(${JSON.stringify(__filename)});`;
    const w = new Worker(code, { eval: true, workerData: { hexsSettler: this.setup } });
    w.unref(); // the gateway's server keeps the process alive; close() terminates it
    w.on("message", (m: Reply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error !== undefined) p.reject(new Error(m.error));
      else p.resolve(m);
    });
    const fail = (e: Error): void => {
      if (this.worker !== w) return;
      this.worker = undefined; // the next settlement starts a fresh worker
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    w.on("error", fail);
    w.on("exit", (code) => fail(new Error(`settlement worker exited (${code})`)));
    return w;
  }

  private call(m: Job): Promise<Reply> {
    this.worker ??= this.spawn();
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker!.postMessage({ ...m, id } satisfies Request);
    });
  }

  async settle(payload: string, requirements: string): Promise<SettleResponse> {
    const r = await this.call({ kind: "settle", payload, requirements });
    if (!r.result) throw new Error("settlement worker gave no answer");
    return r.result;
  }

  /** HexsApiPayments.sweep(model, asset), queued behind the settlements already handed over. */
  async sweep(apiPayments: `0x${string}`, model: string, asset: `0x${string}`): Promise<`0x${string}`> {
    const r = await this.call({ kind: "sweep", apiPayments, model, asset });
    if (!r.hash) throw new Error("settlement worker gave no answer");
    return r.hash;
  }

  /** X402SettlementBatcher.settle(token, items) signed by the facilitator account, not sent. */
  async signBatch(
    batcher: `0x${string}`,
    token: `0x${string}`,
    items: BatchItem[],
  ): Promise<{ hash: `0x${string}`; raw: `0x${string}` }> {
    const r = await this.call({ kind: "signBatch", batcher, token, items });
    if (!r.hash || !r.raw) throw new Error("settlement worker gave no answer");
    return { hash: r.hash, raw: r.raw };
  }

  /** Broadcasts a batch signed by signBatch; its receipt once mined. */
  async sendBatch(raw: `0x${string}`): Promise<BatchReceipt> {
    const r = await this.call({ kind: "sendBatch", raw });
    if (!r.receipt) throw new Error("settlement worker gave no answer");
    return r.receipt;
  }

  /** The worker thread's id and nice value (starts the worker if it is not running). */
  async thread(): Promise<SettlerThread> {
    return (await this.call({ kind: "thread" })).thread ?? {};
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    await w?.terminate();
  }
}

// the worker side: settle each request in turn and answer it
if (!isMainThread && parentPort && (workerData as { hexsSettler?: SettlerSetup } | null)?.hexsSettler) {
  const port = parentPort;
  const setup = (workerData as { hexsSettler: SettlerSetup }).hexsSettler;
  const thread: SettlerThread = {};
  try {
    // /proc/thread-self names this thread (Linux); setpriority on a thread id lowers only this thread
    thread.tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
    // only ever lowered: a process started at a higher nice keeps it
    const nice = Math.min(19, setup.niceness ?? 10);
    if (nice > getPriority(thread.tid)) setPriority(thread.tid, nice);
    thread.nice = getPriority(thread.tid);
  } catch {
    // no /proc or not permitted: settle at the process's priority
  }
  const { facilitator, client } = makeFacilitatorClient(setup);
  let queue = Promise.resolve();
  port.on("message", (m: Request) => {
    if (m.kind === "thread") {
      port.postMessage({ id: m.id, thread } satisfies Reply);
      return;
    }
    queue = queue.then(async () => {
      try {
        if (m.kind === "sweep") {
          port.postMessage({ id: m.id, hash: await sendSweep(client, m.apiPayments, m.model, m.asset) } satisfies Reply);
          return;
        }
        if (m.kind === "signBatch") {
          port.postMessage({ id: m.id, ...(await signBatch(client, m.batcher, m.token, m.items)) } satisfies Reply);
          return;
        }
        if (m.kind === "sendBatch") {
          port.postMessage({ id: m.id, receipt: await sendBatch(client, m.raw) } satisfies Reply);
          return;
        }
        const result = await facilitator.settle(
          JSON.parse(m.payload) as PaymentPayload,
          JSON.parse(m.requirements) as PaymentRequirements,
        );
        port.postMessage({ id: m.id, result } satisfies Reply);
      } catch (e) {
        port.postMessage({ id: m.id, error: messageOf(e) } satisfies Reply);
      }
    });
  });
}
