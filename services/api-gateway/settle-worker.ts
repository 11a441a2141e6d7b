// x402 settlement on its own thread (node:worker_threads).
//
// @x402/evm's facilitator settles a payment by verifying it again (viem's signature recovery,
// getCode, an eth_call), signing transferWithAuthorization and polling for its receipt: ~5 ms of
// CPU a call. On the gateway's request thread that competes with answering calls; here a worker
// owns its own facilitator (same key, same @x402 packages) and settles what the request thread
// hands it, one at a time. The request thread keeps the ledger (SQLite) and every decision: it
// only asks "settle this payload against these requirements" and records the answer.
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { createWalletClient, defineChain, http, publicActions, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { x402Facilitator } from "@x402/core/facilitator";
import type { PaymentPayload, PaymentRequirements, SettleResponse } from "@x402/core/types";
import { toFacilitatorEvmSigner } from "@x402/evm";
import { ExactEvmScheme } from "@x402/evm/exact/facilitator";
import { messageOf } from "../../sdk/errors";

export interface SettlerSetup {
  facilitatorKey: string;
  rpcUrl: string;
  chainId: number;
  chainName: string;
  pollingMs: number;
  codeCacheMs: number;
}

/** One @x402/evm exact facilitator for `network`, with the payer's code cached briefly. */
export function makeFacilitator(s: SettlerSetup): x402Facilitator {
  const account = privateKeyToAccount(s.facilitatorKey as Hex);
  const chain = defineChain({
    id: s.chainId,
    name: s.chainName,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [s.rpcUrl] } },
  });
  const client = createWalletClient({ account, chain, transport: http(s.rpcUrl), pollingInterval: s.pollingMs }).extend(
    publicActions,
  );
  const codes = new Map<string, { at: number; code: Promise<`0x${string}` | undefined> }>();
  const signer = toFacilitatorEvmSigner({
    address: account.address,
    readContract: (a) => client.readContract(a as Parameters<typeof client.readContract>[0]),
    verifyTypedData: (a) => client.verifyTypedData(a as Parameters<typeof client.verifyTypedData>[0]),
    writeContract: (a) => client.writeContract(a as Parameters<typeof client.writeContract>[0]),
    sendTransaction: (a) => client.sendTransaction(a),
    waitForTransactionReceipt: (a) => client.waitForTransactionReceipt(a),
    // read twice per verification (ERC-6492 and ERC-1271 checks): keep it briefly, drop failures
    getCode: ({ address }) => {
      const k = address.toLowerCase();
      const hit = codes.get(k);
      if (hit && Date.now() - hit.at < s.codeCacheMs) return hit.code;
      if (codes.size > 100_000) codes.clear();
      const code = client.getCode({ address });
      codes.set(k, { at: Date.now(), code });
      code.catch(() => codes.delete(k));
      return code;
    },
  });
  return new x402Facilitator().register(`eip155:${s.chainId}`, new ExactEvmScheme(signer));
}

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
  const facilitator = makeFacilitator((workerData as { hexsSettler: SettlerSetup }).hexsSettler);
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
