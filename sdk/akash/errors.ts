// Errors of the lease pipeline. Each says what was wrong and what to do; `permanent` errors
// end a lease attempt (close + report failure), the others are retried with backoff.

export class AkashError extends Error {
  /** true: retrying cannot help (the chain or provider rejected this request for good). */
  readonly permanent: boolean;
  constructor(message: string, permanent: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.permanent = permanent;
  }
}

/** The SDL is valid Akash SDL but uses a feature the pinned chain-sdk cannot hash correctly. */
export class UnsupportedSdlError extends AkashError {
  constructor(message: string) {
    super(message, true);
  }
}

/** The SDL fails validation (schema or semantic), with every problem listed. */
export class InvalidSdlError extends AkashError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid SDL: ${problems.join("; ")}`, true);
    this.problems = problems;
  }
}

/** A transaction was rejected by the chain: in CheckTx (broadcast) or DeliverTx (block). */
export class ChainTxError extends AkashError {
  readonly code: number;
  readonly codespace: string;
  readonly rawLog: string;
  readonly txHash: string | undefined;
  constructor(what: string, code: number, codespace: string, rawLog: string, txHash?: string) {
    super(
      `${what} rejected by the Akash chain (code ${code}${codespace ? ` ${codespace}` : ""}): ${rawLog}`,
      !isTransientTxCode(codespace, code),
    );
    this.code = code;
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
    super(
      `provider ${provider} rejected the manifest: HTTP ${status} ${body.slice(0, 300)}`,
      status >= 400 && status < 500 && status !== 408 && status !== 429,
    );
    this.status = status;
  }
}

/** No acceptable bid arrived before the deadline. */
export class NoBidsError extends AkashError {
  constructor(owner: string, dseq: string, seen: number, why: string) {
    super(
      `no acceptable bid for deployment ${owner}/${dseq} before the deadline (${seen} bid(s) seen${why ? `: ${why}` : ""}). Raise the price cap, widen the provider allowlist, or relax the required attributes.`,
      true,
    );
  }
}

export function isPermanent(e: unknown): boolean {
  return e instanceof AkashError && e.permanent;
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
