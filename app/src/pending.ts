// Submitted transactions survive a reload: each flow (buy, transfer, move) is written to
// localStorage once its transaction is out, and the app picks the stored ones up again on load,
// following them to confirmed and then mirrored (a buy) or arrived (a move) from the chains' RPC;
// a cross-chain order (bought here, listed on another chain) to escrowed, then filled or refunded.
import { JsonRpcProvider } from "ethers";
import * as hexs from "../../sdk";
import type { EvmChain } from "../../sdk/chains";
import { watchMirrors, type BuyStep } from "./wallet";

export type PendingKind = "buy" | "transfer" | "move" | "order";

export interface Pending {
  kind: PendingKind;
  /** Hexs chain id the transaction was sent on. */
  chain: number;
  txHash: string;
  modelId: string;
  keyId?: string;
  /** move: destination Hexs chain; order: the listing's chain; transfer: the recipient. */
  toChain?: number;
  to?: string;
  /** Who receives (buy) or holds (move) the key. */
  owner?: string;
  startedAt: number;
}

export const PENDING_KEY = "hexs.pending.v1";

export function loadPending(): Pending[] {
  try {
    const v = JSON.parse(localStorage.getItem(PENDING_KEY) ?? "[]") as unknown;
    return Array.isArray(v) ? (v as Pending[]).filter((p) => p && typeof p.txHash === "string") : [];
  } catch {
    return [];
  }
}

export function savePending(p: Pending): void {
  const all = loadPending().filter((x) => x.txHash !== p.txHash);
  localStorage.setItem(PENDING_KEY, JSON.stringify([...all, p]));
}

export function clearPending(txHash: string): void {
  localStorage.setItem(PENDING_KEY, JSON.stringify(loadPending().filter((x) => x.txHash !== txHash)));
}

const providers = new Map<number, JsonRpcProvider>();
/** A read-only provider for a chain of the registry (one per chain). */
export function readProvider(chain: EvmChain): JsonRpcProvider {
  let p = providers.get(chain.hexsChainId);
  if (!p) {
    p = new JsonRpcProvider(chain.rpcUrl, chain.evmChainId, { staticNetwork: true });
    p.pollingInterval = 500;
    providers.set(chain.hexsChainId, p);
  }
  return p;
}

export type FlowStep =
  | BuyStep
  | { step: "left"; txHash: string }
  | { step: "arrived"; chain: string; seconds: number }
  /** A cross-chain order is placed: its payment is escrowed on the paying chain. */
  | { step: "escrowed"; orderId: bigint; txHash: string }
  /** The listing chain filled it: the key arrived on the paying chain, the seller was paid there. */
  | { step: "filled"; chain: string; seconds: number }
  /** The listing chain refused it (listing gone, price changed): the payment is credited back. */
  | { step: "refunded"; chain: string; seconds: number };

/**
 * Follow a cross-chain order placed on `chain` until the listing chain's answer is applied there:
 * filled (the key arrived, the seller was paid) or refunded (the payment credited back to the buyer).
 */
export async function watchOrder(
  chain: EvmChain,
  orderId: bigint,
  fromBlock: number,
  on: (s: FlowStep) => void,
  signal?: AbortSignal,
): Promise<void> {
  const t0 = Date.now();
  const c = hexs.connectContracts(chain, readProvider(chain));
  while (!signal?.aborted) {
    const o = await hexs.remoteOrderOf(c, orderId).catch(() => undefined);
    const end = o?.state === "settled" ? await hexs.remoteOrderOutcome(c, orderId, fromBlock).catch(() => undefined) : undefined;
    if (end) {
      on({ step: end.outcome, chain: chain.name, seconds: (Date.now() - t0) / 1000 });
      return;
    }
    await new Promise((ok) => setTimeout(ok, 1000));
  }
}

/** Wait until a moved key is held on `dest` (minted there when the hub's message is delivered). */
export async function watchArrival(
  dest: EvmChain,
  modelId: bigint,
  keyId: bigint,
  on: (s: FlowStep) => void,
  signal?: AbortSignal,
): Promise<void> {
  const t0 = Date.now();
  const c = hexs.connectContracts(dest, readProvider(dest));
  while (!signal?.aborted) {
    const held = await hexs
      .keysOf(c, modelId)
      .then((k) => k.ownerOf(keyId))
      .catch(() => undefined);
    if (held) {
      on({ step: "arrived", chain: dest.name, seconds: (Date.now() - t0) / 1000 });
      return;
    }
    await new Promise((ok) => setTimeout(ok, 1000));
  }
}

/**
 * Follow a stored flow from its transaction to its end: confirmed, then mirrored to the other
 * chains (buy) or arrived on the destination (move). Clears it from storage once done.
 */
export async function resume(chains: EvmChain[], p: Pending, on: (s: FlowStep) => void, signal?: AbortSignal): Promise<void> {
  const chain = chains.find((c) => c.hexsChainId === p.chain);
  if (!chain) throw new Error(`chain ${p.chain} is not in this deployment's chain registry`);
  on({ step: "submitted", txHash: p.txHash });
  const provider = readProvider(chain);
  const receipt = await provider.waitForTransaction(p.txHash);
  if (signal?.aborted) return;
  if (!receipt || receipt.status !== 1) {
    clearPending(p.txHash);
    throw new Error(`the transaction ${p.txHash.slice(0, 10)}… failed on chain: nothing changed`);
  }
  const c = hexs.connectContracts(chain, provider);
  const modelId = BigInt(p.modelId);
  if (p.kind === "buy") {
    const ev = hexs.findEvent(receipt, c.market.interface, "Purchased");
    if (!ev) throw new Error(`the transaction ${p.txHash.slice(0, 10)}… bought no key`);
    const keyId = ev.args.keyId as bigint;
    const recipient = ev.args.recipient as string;
    on({ step: "confirmed", txHash: p.txHash, keyId, buyer: ev.args.buyer as string });
    await watchMirrors(
      chains.filter((x) => x !== chain),
      { keyId, modelId, recipient, txHash: p.txHash },
      on,
      signal,
    );
  } else if (p.kind === "order") {
    const ev = hexs.findEvent(receipt, c.resale!.interface, "RemoteOrderPlaced");
    if (!ev) throw new Error(`the transaction ${p.txHash.slice(0, 10)}… placed no order`);
    const orderId = ev.args.orderId as bigint;
    on({ step: "escrowed", orderId, txHash: p.txHash });
    await watchOrder(chain, orderId, receipt.blockNumber, on, signal);
  } else if (p.kind === "move") {
    on({ step: "left", txHash: p.txHash });
    const dest = chains.find((x) => x.hexsChainId === p.toChain);
    if (dest) await watchArrival(dest, modelId, BigInt(p.keyId!), on, signal);
  } else {
    on({ step: "confirmed", txHash: p.txHash, keyId: BigInt(p.keyId ?? 0), buyer: p.to ?? "" });
  }
  if (!signal?.aborted) clearPending(p.txHash);
}
