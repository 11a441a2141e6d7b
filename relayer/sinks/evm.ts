// EVM destination: the attestation gateway's `submitBatch(messages, signatures)`. Transaction
// nonces come from the store (handed out under a lock, so instances sharing one key never reuse
// one); "nonce too low" resets the local counter to the chain's. Receipts are checked with the
// configured confirmation depth; `hub.lane(src).inbound` answers "already delivered?".
import { Contract, getAddress, JsonRpcProvider, Wallet, type SigningKey } from "ethers";
import type { RelayerSet } from "../attest";
import type { EvmChainConfig } from "../config";
import { logger } from "../log";
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
  private readonly wallet: Wallet;
  private readonly hub: Contract;
  private readonly gateway: Contract;
  private readonly log;

  constructor(
    private readonly cfg: EvmChainConfig,
    key: SigningKey,
    private readonly store: OpStore,
    readonly provider: JsonRpcProvider = new JsonRpcProvider(cfg.rpc, undefined, { staticNetwork: true }),
  ) {
    if (!cfg.gateway) throw new Error(`chains[${cfg.name}].gateway is required to deliver to this chain`);
    this.name = cfg.name;
    this.hexsChainId = cfg.hexsChainId;
    this.wallet = new Wallet(key, provider);
    this.hub = new Contract(cfg.hub, HUB_ABI, provider);
    this.gateway = new Contract(cfg.gateway, GATEWAY_ABI, this.wallet);
    this.log = logger(`sink:${cfg.name}`);
  }

  async init(): Promise<void> {
    if ((await this.provider.getCode(this.cfg.gateway!)) === "0x") throw new Error(`chains[${this.name}].gateway: no contract at ${this.cfg.gateway} on ${this.cfg.rpc}`);
  }

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
      throw new RejectedError(`${this.name} refuses the batch: ${reason(e, this.gateway)}`);
    }
    const pending = await this.provider.getTransactionCount(this.wallet.address, "pending");
    const nonce = await this.store.allocateTxNonce(this.name, this.wallet.address, pending);
    try {
      const tx = await this.gateway.submitBatch(messages, sigs, { nonce });
      return tx.hash as string;
    } catch (e) {
      if (/nonce (too low|has already been used)|NONCE_EXPIRED|replacement/i.test(String((e as Error).message))) await this.store.resetTxNonce(this.name, this.wallet.address);
      throw e;
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
    this.provider.destroy();
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
