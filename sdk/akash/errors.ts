// Errors of the lease pipeline, in the one Hexs error type (../errors): each says what was wrong
// and what to do; errors that are not `retryable` end a lease attempt (close + report failure),
// the others are retried with backoff. `code` is stable for programs.
import { HexsError, messageOf } from "../errors";

export type AkashErrorCode =
  | "config_invalid" // the akash section, the mnemonic or a purchase chain is misconfigured
  | "read_only" // a query-only client was asked to sign
  | "sdl_unavailable" // the model's SDL cannot be had (locator, decrypt, file)
  | "sdl_unsupported" // valid SDL the pinned chain-sdk cannot hash, or more than one placement
  | "sdl_invalid" // SDL fails validation
  | "sdl_changed" // the SDL changed since the deployment was created
  | "tx_rejected" // the chain refused a transaction (CheckTx or DeliverTx)
  | "tx_failed" // a recorded transaction failed in its block
  | "tx_not_in_block" // broadcast, but not seen in a block in time
  | "akash_unavailable" // the node could not be reached or answered with an error
  | "deployment_closed" // the reserved deployment exists but is not active
  | "no_bids" // no acceptable bid before the deadline
  | "provider_unknown" // no host URI on chain
  | "provider_unreachable"
  | "provider_rejected" // the provider answered the manifest with an error status
  | "lease_inactive" // the lease is gone after the manifest was sent
  | "services_not_ready"
  | "lease_timeout" // runToCompletion ran out of time
  | "handover_timeout" // a lease's handovers did not finish in the time given (runLease)
  | "handover_unconfirmed" // Akash or the key's chain does not show a done handover (yet): its report waits
  | "reporter_unauthorized" // the reporting account lacks LEASE_REPORTER_ROLE
  | "report_reverted"
  | "cosigners_refused"; // too few co-signers accepted a lease report

export class AkashError extends HexsError {
  declare readonly code: AkashErrorCode;
  constructor(code: AkashErrorCode, message: string, options: { retryable: boolean; cause?: unknown }) {
    super(code, message, options);
  }
}

/** The SDL is valid Akash SDL but uses a feature the pinned chain-sdk cannot hash correctly. */
export class UnsupportedSdlError extends AkashError {
  constructor(message: string) {
    super("sdl_unsupported", message, { retryable: false });
  }
}

/** The SDL fails validation (schema or semantic), with every problem listed. */
export class InvalidSdlError extends AkashError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super("sdl_invalid", `invalid SDL: ${problems.join("; ")}`, { retryable: false });
    this.problems = problems;
  }
}

/** A transaction was rejected by the chain: in CheckTx (broadcast) or DeliverTx (block). */
export class ChainTxError extends AkashError {
  /** the ABCI result code (with `codespace`) */
  readonly txCode: number;
  readonly codespace: string;
  readonly rawLog: string;
  readonly txHash: string | undefined;
  constructor(what: string, txCode: number, codespace: string, rawLog: string, txHash?: string) {
    super("tx_rejected", `${what} rejected by the Akash chain (code ${txCode}${codespace ? ` ${codespace}` : ""}): ${rawLog}`, {
      retryable: isTransientTxCode(codespace, txCode),
    });
    this.txCode = txCode;
    this.codespace = codespace;
    this.rawLog = rawLog;
    this.txHash = txHash;
  }
}

/** Cosmos SDK codes that are about timing, not about the request: wrong sequence (32), mempool full (20), tx in cache (19). */
export function isTransientTxCode(codespace: string, code: number): boolean {
  return (codespace === "sdk" || codespace === "") && (code === 32 || code === 20 || code === 19);
}

/** The provider answered the manifest PUT with an error status. */
export class ProviderRejectedError extends AkashError {
  readonly status: number;
  constructor(provider: string, status: number, body: string) {
    // 4xx (except 408/429) is the provider's verdict on this manifest or token; 5xx may pass.
    super("provider_rejected", `provider ${provider} rejected the manifest: HTTP ${status} ${body.slice(0, 300)}`, {
      retryable: !(status >= 400 && status < 500 && status !== 408 && status !== 429),
    });
    this.status = status;
  }
}

/** No acceptable bid arrived before the deadline. */
export class NoBidsError extends AkashError {
  constructor(owner: string, dseq: string, seen: number, why: string) {
    super(
      "no_bids",
      `no acceptable bid for deployment ${owner}/${dseq} before the deadline (${seen} bid(s) seen${why ? `: ${why}` : ""}). Raise the price cap, widen the provider allowlist, or relax the required attributes.`,
      { retryable: false },
    );
  }
}

/** Retrying cannot help: the chain, the provider or the configuration refused this for good. */
export function isPermanent(e: unknown): boolean {
  return e instanceof AkashError && !e.retryable;
}

export const errorMessage = messageOf;
