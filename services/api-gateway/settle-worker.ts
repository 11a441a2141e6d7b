// x402 settlement on its own thread (node:worker_threads).
//
// @x402/evm's facilitator settles a payment by verifying it again (viem's signature recovery,
// getCode, an eth_call), signing transferWithAuthorization and polling for its receipt: ~5 ms of
// CPU a call. On the gateway's request thread that competes with answering calls; here a worker
// owns its own facilitator (built by the same factory, facilitator-client.ts) and settles what the request thread
// hands it, one at a time. The request thread keeps the ledger (SQLite) and every decision: it
// only asks "settle this payload against these requirements" and records the answer.
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import type { PaymentPayload, PaymentRequirements, SettleResponse } from "@x402/core/types";
import { messageOf } from "../../sdk/errors";
import { makeFacilitatorClient, type FacilitatorSetup } from "./facilitator-client";

export type SettlerSetup = FacilitatorSetup;

type Request = { id: number; payload: string; requirements: string };
type Reply = { id: number; result?: SettleResponse; error?: string };

/** The request thread's handle: settle() posts to the worker and resolves with its answer. */
export class SettlementWorker {
  private worker?: Worker;
  private next = 0;
  private readonly pending = new Map<number, { resolve: (r: SettleResponse) => void; reject: (e: Error) => void }>();

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
      if (m.result) p.resolve(m.result);
      else p.reject(new Error(m.error ?? "settlement worker gave no answer"));
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

  settle(payload: string, requirements: string): Promise<SettleResponse> {
    this.worker ??= this.spawn();
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker!.postMessage({ id, payload, requirements } satisfies Request);
    });
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
  const { facilitator } = makeFacilitatorClient((workerData as { hexsSettler: SettlerSetup }).hexsSettler);
  let queue = Promise.resolve();
  port.on("message", (m: Request) => {
    queue = queue.then(async () => {
      try {
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
