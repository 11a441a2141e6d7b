// EVM destination: the attestation gateway's `submitBatch(messages, signatures)`. Transaction
// nonces come from the store (handed out under a lock, so instances sharing one key never reuse
// one); "nonce too low" resets the local counter to the chain's. Receipts are checked with the
// configured confirmation depth; `hub.lane(src).inbound` answers "already delivered?".
import { Contract, getAddress, JsonRpcProvider, Wallet, type SigningKey } from "ethers";
import type { RelayerSet } from "../attest";
import type { EvmChainConfig } from "../config";
import { connectEvm } from "../sources/evm-provider";
import type { OpStore } from "../store";
import { HUB_ABI } from "../sources/evm";
import { RejectedError, type Sink, type TxStatus } from "./types";

export const GATEWAY_ABI = [
  "function submitBatch(bytes[] messages, bytes[] signatures)",
  "function relayers() view returns (address[] set, uint8 threshold, uint32 epoch)",
  "error WrongDestination(uint32 expected, uint32 actual)",
  "error NotRelayer(address signer)",
  "error SignersNotAscending(address signer)",
  "error BelowThreshold(uint256 valid, uint8 threshold)",
  "error UnexpectedNonce(uint32 srcChain, uint64 expected, uint64 actual)",
  "error RateLimited(uint32 chain)",
  "error LaneIsPaused(uint32 chain)",
  "error HubIsPaused()",
];

export class EvmGatewaySink implements Sink {
  readonly name: string;
  readonly hexsChainId: number;
  private conn?: { provider: JsonRpcProvider; wallet: Wallet; hub: Contract; gateway: Contract };

  constructor(
    private readonly cfg: EvmChainConfig,
    private readonly key: SigningKey,
    private readonly store: OpStore,
  ) {
    if (!cfg.gateway) throw new Error(`chains[${cfg.name}].gateway is required to deliver to this chain`);
    this.name = cfg.name;
    this.hexsChainId = cfg.hexsChainId;
  }

  private get provider(): JsonRpcProvider {
    return this.c.provider;
  }
  private get wallet(): Wallet {
    return this.c.wallet;
  }
  private get hub(): Contract {
    return this.c.hub;
  }
  private get gateway(): Contract {
    return this.c.gateway;
  }
  private get c() {
    if (!this.conn) throw new Error(`sink ${this.name} used before init()`);
    return this.conn;
  }

  async init(): Promise<void> {
    if (!this.conn) {
      const provider = await connectEvm(this.cfg.rpc);
      const wallet = new Wallet(this.key, provider);
      this.conn = { provider, wallet, hub: new Contract(this.cfg.hub, HUB_ABI, provider), gateway: new Contract(this.cfg.gateway!, GATEWAY_ABI, wallet) };
    }
    if (this.checked) return;
    if ((await this.provider.getCode(this.cfg.gateway!)) === "0x") throw new Error(`chains[${this.name}].gateway: no contract at ${this.cfg.gateway} on ${this.cfg.rpc}`);
    this.checked = true;
  }
  private checked = false;

  async inbound(src: number): Promise<number> {
    const lane = await this.hub.lane(src);
    return Number(lane.inbound);
  }

  async relayerSet(): Promise<RelayerSet> {
    const [set, threshold] = (await this.gateway.relayers()) as [string[], bigint];
    return { threshold: Number(threshold), members: set.map((a) => getAddress(a)) };
  }

  async submit(messages: readonly string[], signatures: Map<string, string>, set: RelayerSet): Promise<string> {
    const sigs = [...signatures].sort((a, b) => (BigInt(a[0]) < BigInt(b[0]) ? -1 : 1)).slice(0, set.threshold).map(([, s]) => s);
    // Simulate first: a batch the destination refuses is reported with its reason, not mined.
    try {
      await this.gateway.submitBatch.staticCall(messages, sigs);
    } catch (e) {
      // Only a revert is the destination's answer; a transport failure (dropped connection,
      // 5xx, a truncated body) says nothing about the batch and is retried like any RPC error.
      if ((e as { code?: string }).code === "CALL_EXCEPTION") throw new RejectedError(`${this.name} refuses the batch: ${reason(e, this.gateway)}`);
      throw new Error(`${this.name}: could not simulate submitBatch: ${shortError(e)}`);
    }
    const pending = await this.provider.getTransactionCount(this.wallet.address, "pending");
    const nonce = await this.store.allocateTxNonce(this.name, this.wallet.address, pending);
    try {
      const tx = await this.gateway.submitBatch(messages, sigs, { nonce });
      return tx.hash as string;
    } catch (e) {
      // Not broadcast (or refused): the nonce was not used, or the chain is ahead of us. Either
      // way the next allocation must follow the chain's pending count again.
      await this.store.resetTxNonce(this.name, this.wallet.address);
      throw new Error(`${this.name}: submitBatch from ${this.wallet.address} failed: ${shortError(e)}`);
    }
  }

  async status(txHash: string): Promise<{ status: TxStatus; error?: string }> {
    const r = await this.provider.getTransactionReceipt(txHash);
    if (!r) {
      const tx = await this.provider.getTransaction(txHash);
      return tx ? { status: "pending" } : { status: "failed", error: `transaction ${txHash} is not known to ${this.name} (dropped)` };
    }
    if (r.status !== 1) return { status: "failed", error: `transaction ${txHash} reverted in block ${r.blockNumber}` };
    return (await r.confirmations()) >= Math.max(1, this.cfg.confirmations) ? { status: "confirmed" } : { status: "pending" };
  }

  async close(): Promise<void> {
    this.conn?.provider.destroy();
  }
}

function reason(e: unknown, c: Contract): string {
  const data = (e as { data?: string }).data;
  if (typeof data === "string" && data.length >= 10) {
    const parsed = c.interface.parseError(data);
    if (parsed) return `${parsed.name}(${parsed.args.map(String).join(", ")})`;
    return `revert data ${data.slice(0, 74)}`;
  }
  return (e as Error).message ?? String(e);
}

/** The node's own message when ethers wraps it ("could not coalesce error ..."). */
function shortError(e: unknown): string {
  const inner = (e as { error?: { message?: string }; info?: { error?: { message?: string } } });
  return inner.info?.error?.message ?? inner.error?.message ?? (e as Error).message ?? String(e);
}
