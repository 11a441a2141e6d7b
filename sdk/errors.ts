// The one error type of Hexs. Every service's and the SDK's errors extend it, so a caller can
// decide what to do from two fields without knowing which module threw:
//   code       stable, for programs (e.g. "nonce_replayed", "lane_paused")
//   retryable  whether the same request may succeed later unchanged
// The message is for people: what was wrong, with the value, and what to do.

export class HexsError extends Error {
  readonly code: string;
  readonly retryable: boolean;

  constructor(code: string, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/** The message of anything thrown, including plain objects some libraries throw. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (err && typeof err === "object") {
    const m = (err as Record<string, unknown>).message;
    if (typeof m === "string") return m;
    try {
      return JSON.stringify(err);
    } catch {
      return String(err);
    }
  }
  return String(err);
}

/**
 * The revert data an EVM call error carries, if any: ethers wraps it at different depths
 * (`data`, `data.data`, `error`, `info`, `cause`, Hardhat's `parent`) depending on the provider and the call.
 */
export function revertDataOf(err: unknown): string | undefined {
  const isRevertData = (v: unknown): v is string => typeof v === "string" && v.startsWith("0x") && v.length >= 10;
  const seen = new Set<unknown>();
  let cur: unknown = err;
  while (cur && typeof cur === "object" && !seen.has(cur)) {
    seen.add(cur);
    const rec = cur as Record<string, unknown>;
    if (isRevertData(rec.data)) return rec.data;
    if (rec.data && typeof rec.data === "object") {
      const inner = (rec.data as Record<string, unknown>).data;
      if (isRevertData(inner)) return inner;
    }
    cur = rec.error ?? rec.info ?? rec.cause ?? rec.parent;
  }
  return undefined;
}
