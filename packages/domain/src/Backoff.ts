import type { RetryBackoff } from "./TaskOptions.js"

/** The retry policy of one task type, with the orchestrator's default cap applied. */
export interface RetryPolicy {
  readonly retries: number
  readonly retryBackoff: RetryBackoff
  readonly retryDelayMs: number
  readonly maxRetryDelayMs: number
}

/** `retries: 3` allows 4 attempts. */
export const maxAttempts = (policy: Pick<RetryPolicy, "retries">): number => policy.retries + 1

/**
 * Delay before attempt `n` (n >= 2): `min(retryDelayMs * 2^(n-2), maxRetryDelayMs)` for
 * exponential backoff, `min(retryDelayMs, maxRetryDelayMs)` for fixed.
 */
export const retryDelayMs = (policy: RetryPolicy, nextAttempt: number): number => {
  if (nextAttempt < 2) return 0
  if (policy.retryBackoff === "fixed") return Math.min(policy.retryDelayMs, policy.maxRetryDelayMs)
  const exponent = nextAttempt - 2
  const raw = exponent >= 60 ? Number.POSITIVE_INFINITY : policy.retryDelayMs * 2 ** exponent
  return Math.min(raw, policy.maxRetryDelayMs)
}
