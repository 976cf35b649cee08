/**
 * Retries with exponential backoff and full jitter (AWS Architecture Blog, "Exponential
 * Backoff And Jitter", 2015): attempt n waits a uniform random time in [0, min(cap, base·2ⁿ)].
 * A small loop rather than a dependency: only `HubError`s of kind `transient` are retried,
 * and waits end early when the run is aborted.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isHubError } from '../../core/errors/index.js';

export interface RetryPolicy {
  /** Retries after the first failure; 0 disables retrying. */
  readonly retries: number;
  /** Backoff base (the cap of the first wait), in ms. */
  readonly minDelayMs: number;
  /** Cap of any single wait, in ms. */
  readonly maxDelayMs: number;
}

/** The wait before retry number `attempt` (0-based), full jitter. */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

/** True for errors worth retrying: a `HubError` of kind `transient`. */
export function isTransient(err: unknown): boolean {
  return isHubError(err) && err.kind === 'transient';
}

/**
 * Runs `op`, retrying transient failures per `policy`. `onRetry` sees each retried error.
 * Rethrows the last error, or a non-transient one at once. An abort during a wait rethrows
 * the error that caused the wait.
 */
export async function withRetry<T>(
  op: () => Promise<T>,
  policy: RetryPolicy,
  options: { signal?: AbortSignal; onRetry?: (err: unknown, attempt: number, delayMs: number) => void } = {},
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      if (!isTransient(err) || attempt >= policy.retries) throw err;
      const delay = backoffDelay(attempt, policy);
      options.onRetry?.(err, attempt, delay);
      await pause(delay, options.signal, err);
    }
  }
}

/** Waits `ms`; if `signal` aborts first, throws `reason`. */
export async function pause(ms: number, signal: AbortSignal | undefined, reason: unknown): Promise<void> {
  if (signal?.aborted) throw reason;
  try {
    await sleep(ms, undefined, signal ? { signal } : {});
  } catch {
    throw reason;
  }
}
