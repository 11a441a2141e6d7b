// What every destination (sink) offers the delivery loop. The LayerZero dev executor
// (relayer/lz, another module) plugs in beside these for EVM↔EVM lanes; attestation sinks are
// the EVM gateway and the CosmWasm contract.
import type { RelayerSet } from "../attest";

export type TxStatus = "pending" | "confirmed" | "failed";

export interface Sink {
  readonly name: string;
  readonly hexsChainId: number;
  /** connect and check the contract; idempotent (the delivery loop calls it before each lane) */
  init(): Promise<void>;
  /** last lane nonce the destination applied from `src` ("already delivered?") */
  inbound(src: number): Promise<number>;
  relayerSet(): Promise<RelayerSet>;
  /** submit one batch; returns the transaction hash once broadcast */
  submit(messages: readonly string[], signatures: Map<string, string>, set: RelayerSet): Promise<string>;
  /** where a submitted transaction stands; `failed` carries the reason */
  status(txHash: string): Promise<{ status: TxStatus; error?: string }>;
  close(): Promise<void>;
}

/** Errors the destination returns for a batch that can never succeed as is. */
export class RejectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RejectedError";
  }
}
