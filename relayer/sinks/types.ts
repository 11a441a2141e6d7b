// What every destination (sink) offers the delivery loop. The LayerZero dev executor
// (devnet/lz, another module) plugs in beside these for EVM↔EVM lanes; attestation sinks are
// the EVM gateway and the CosmWasm contract.
import { HexsError } from "../../sdk/errors";
import type { RelayerSet } from "../attest";

export type TxStatus = "pending" | "confirmed" | "failed";

export interface SubmitOptions {
  pipelined?: boolean;
}

/** A batch's transaction signed but not broadcast yet (`Sink.prepare`). */
export interface SignedSubmission {
  txHash: string;
  /** the signed transaction's bytes (persisted before the broadcast) */
  raw: string;
  nonce: number;
}

/** What the node said to one transaction of `Sink.broadcastSigned`. */
export type BroadcastOutcome =
  /** accepted, or known to the node, or its fate unknown (the persisted bytes are sent again by `status`) */
  | { ok: true }
  /** refused: the transaction is not in the node's pool and was not mined */
  | { ok: false; error: Error };

export interface Sink {
  readonly name: string;
  readonly hexsChainId: number;
  /** connect and check the contract; idempotent (the delivery loop calls it before each lane) */
  init(): Promise<void>;
  /** last lane nonce the destination applied from `src` ("already delivered?") */
  inbound(src: number): Promise<number>;
  relayerSet(): Promise<RelayerSet>;
  /** messages per batch toward this destination when it sets its own (otherwise delivery.maxBatch) */
  readonly maxBatch?: number;
  /**
   * how many leading `messages` (already at most the batch size) one submission carries (at least
   * one); absent: all of them
   */
  fit?(messages: readonly string[]): number;
  /**
   * submit one batch; returns the transaction hash once broadcast. `pipelined`: earlier batches
   * of the lane are still in flight, so the batch cannot be simulated against committed state
   * (gas comes from a per-message formula instead)
   */
  submit(messages: readonly string[], signatures: Map<string, string>, set: RelayerSet, opts?: SubmitOptions): Promise<string>;
  /**
   * Two-phase submission (sinks whose transactions carry explicit nonces): sign a batch's
   * transaction without sending it. The delivery loop signs every batch of a step, persists each
   * one's bytes, then hands them all to `broadcastSigned` back to back, so they reach the node
   * together (one block where the block gas allows) instead of one node round trip apart.
   */
  prepare?(
    messages: readonly string[],
    signatures: Map<string, string>,
    set: RelayerSet,
    opts?: SubmitOptions,
  ): Promise<SignedSubmission>;
  /** send signed transactions (consecutive nonces, in order) at once; one outcome per transaction */
  broadcastSigned?(txs: readonly SignedSubmission[]): Promise<BroadcastOutcome[]>;
  /**
   * where a submitted transaction stands; `failed` carries the reason; `txHash` names the
   * transaction now standing for it when the sink replaced it (fee bumping); `dropped`: failed
   * without being mined (gone from the pool, or never broadcast)
   */
  status(txHash: string): Promise<{ status: TxStatus; error?: string; txHash?: string; dropped?: boolean }>;
  /** how long each part of the last `submit` took, ms (logged with the batch: where a submission's time goes) */
  readonly lastSubmitMs?: Readonly<Record<string, number>>;
  close(): Promise<void>;
}

/** The destination refuses a batch that can never succeed as is (parked after `maxAttempts`). */
export class RejectedError extends HexsError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super("batch_rejected", message, { retryable: false, cause: options.cause });
  }
}

/**
 * The destination already applied (part of) the batch: its lane nonce is past the batch's first
 * message (another instance, operator or self-relayer won the race). Not a refusal: the next
 * step reads the destination's nonce and confirms what it applied.
 */
export class StaleBatchError extends HexsError {
  constructor(
    message: string,
    /** the nonce the destination expects next */
    readonly expected: number,
    options: { cause?: unknown } = {},
  ) {
    super("stale_batch", message, { retryable: true, cause: options.cause });
  }
}

/**
 * Sending a signed transaction failed in a way that leaves its fate unknown: the node's answer was
 * lost and the transaction could not be found either. It may still be mined, so the delivery loop
 * follows `txHash` as it follows a submission it knows of.
 */
export class UnknownBroadcastError extends HexsError {
  constructor(
    message: string,
    readonly txHash: string,
    options: { cause?: unknown } = {},
  ) {
    super("broadcast_unknown", message, { retryable: true, cause: options.cause });
  }
}
