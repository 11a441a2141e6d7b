// The one retry helper: exponential backoff with full jitter, used both in-process
// (`retry`) and for persisted jobs (`nextAttemptDelayMs` feeds `next_attempt_at`).
export interface BackoffPolicy {
  /** delay before the second attempt */
  baseMs: number;
  /** cap on any single delay */
  maxMs: number;
  /** attempts in total (first try included) before giving up */
  maxAttempts: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 500, maxMs: 60_000, maxAttempts: 8 };

/** Delay before attempt number `attempt + 1` (attempt counts from 1). Full jitter in [d/2, d]. */
export function nextAttemptDelayMs(
  attempt: number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + (random() * exp) / 2);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Run `fn` until it succeeds, `isRetryable` says no, or the attempts run out; the last error is
 * rethrown. `onRetry` sees each failure that will be retried.
 */
export async function retry<T>(
  fn: (attempt: number) => Promise<T>,
  opts: {
    policy?: Partial<BackoffPolicy>;
    isRetryable?: (e: unknown) => boolean;
    onRetry?: (e: unknown, attempt: number, delayMs: number) => void;
  } = {},
): Promise<T> {
  const policy = { ...DEFAULT_BACKOFF, ...opts.policy };
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (attempt >= policy.maxAttempts || (opts.isRetryable && !opts.isRetryable(e))) throw e;
      const delay = nextAttemptDelayMs(attempt, policy);
      opts.onRetry?.(e, attempt, delay);
      await sleep(delay);
    }
  }
}
