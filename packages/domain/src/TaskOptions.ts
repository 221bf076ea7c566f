import { Schema } from "effect"
import { TaskId } from "./Ids.js"
import { Text } from "./Text.js"

const int = (field: string, min: number, max: number) =>
  Schema.Int.pipe(
    Schema.greaterThanOrEqualTo(min, { message: () => `${field} must be an integer >= ${min}` }),
    Schema.lessThanOrEqualTo(max, { message: () => `${field} must be an integer <= ${max}` })
  )

/** How the delay between attempts grows. */
export const RetryBackoff = Schema.Literal("fixed", "exponential")
export type RetryBackoff = typeof RetryBackoff.Type

/** Defaults of the spec's Task Options table. */
export const TaskOptionDefaults = {
  allowedNext: [] as ReadonlyArray<string>,
  timeout: 300,
  retries: 3,
  retryBackoff: "exponential" as RetryBackoff,
  retryDelayMs: 1000,
  maxRetryDelayMs: 86_400_000,
  heartbeatIntervalMs: 60_000,
  concurrency: 0,
  priority: 100,
  idempotencyTTL: 86_400
} as const

const DAY_MS = 86_400_000

/**
 * The serialisable task options of the spec's table. `maxRetryDelayMs` and `idempotencyTTL`
 * stay optional: when a task leaves them out the orchestrator applies `MAX_RETRY_DELAY_MS` and
 * `IDEMPOTENCY_TTL_SECONDS`.
 */
export const TaskOptions = Schema.Struct({
  allowedNext: Schema.optionalWith(Schema.Array(TaskId), { default: () => [] }),
  timeout: Schema.optionalWith(int("timeout", 1, 7 * 86_400), { default: () => TaskOptionDefaults.timeout }),
  retries: Schema.optionalWith(int("retries", 0, 1000), { default: () => TaskOptionDefaults.retries }),
  retryBackoff: Schema.optionalWith(RetryBackoff, { default: () => TaskOptionDefaults.retryBackoff }),
  retryDelayMs: Schema.optionalWith(int("retryDelayMs", 0, 30 * DAY_MS), {
    default: () => TaskOptionDefaults.retryDelayMs
  }),
  maxRetryDelayMs: Schema.optional(int("maxRetryDelayMs", 0, 30 * DAY_MS)),
  heartbeatIntervalMs: Schema.optionalWith(int("heartbeatIntervalMs", 10, DAY_MS), {
    default: () => TaskOptionDefaults.heartbeatIntervalMs
  }),
  concurrency: Schema.optionalWith(int("concurrency", 0, 1_000_000), { default: () => TaskOptionDefaults.concurrency }),
  priority: Schema.optionalWith(int("priority", -1_000_000, 1_000_000), { default: () => TaskOptionDefaults.priority }),
  idempotencyTTL: Schema.optional(int("idempotencyTTL", 0, 365 * 86_400)),
  description: Schema.optional(Text.pipe(Schema.maxLength(2000)))
})
export type TaskOptions = typeof TaskOptions.Type
export type TaskOptionsInput = typeof TaskOptions.Encoded

/** Heartbeat deadline the orchestrator enforces: twice the task's interval. */
export const heartbeatTimeoutMs = (heartbeatIntervalMs: number): number => 2 * heartbeatIntervalMs
