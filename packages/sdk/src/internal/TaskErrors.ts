/** Options of a Promise-handler `TaskError`. */
export interface TaskErrorOptions {
  /** Error code recorded with the attempt (`ctx.previousAttempts[i].errorCode`). */
  readonly code?: string | undefined
  /** `false` sends the run to the dead letter queue without further attempts; default `true`. */
  readonly retryable?: boolean | undefined
  /** Any JSON-serialisable data kept with the failure. */
  readonly details?: unknown
}

/**
 * A structured handler failure: `throw new TaskError("bad input", { code: "BAD_INPUT", retryable: false })`.
 * Reported with `errorCode = code` and the given `retryable` (default `true`).
 */
export class TaskError extends Error {
  override readonly name = "TaskError"
  readonly code: string | undefined
  readonly retryable: boolean
  readonly details: unknown

  constructor(message: string, options: TaskErrorOptions = {}) {
    super(message)
    this.code = options.code
    this.retryable = options.retryable ?? true
    this.details = options.details
  }
}

/**
 * The handler hit a rate limit: `throw new RateLimited({ retryAfterMs: 30_000 })`. The next attempt
 * waits `retryAfterMs` instead of the backoff delay; reported as `RATE_LIMITED`.
 */
export class RateLimited extends Error {
  override readonly name = "RateLimited"
  readonly retryAfterMs: number

  constructor(options: { readonly retryAfterMs: number; readonly message?: string | undefined }) {
    super(options.message ?? "rate limited")
    this.retryAfterMs = options.retryAfterMs
  }
}

/** The handler gave up on time: `throw new Timeout()`; reported as `TIMEOUT`, retryable. */
export class Timeout extends Error {
  override readonly name = "Timeout"

  constructor(message?: string) {
    super(message ?? "task timed out")
  }
}
