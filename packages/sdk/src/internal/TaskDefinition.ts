import { codeHashOf } from "@pipeweave/domain/CodeHash"
import { TaskRegistration } from "@pipeweave/domain/Registration"
import type { RetryBackoff } from "@pipeweave/domain/TaskOptions"
import { Either, Schema } from "effect"
import { describeIssues } from "./formatIssues.js"
import type { CoreHandler } from "./TaskContext.js"

/** Options of `worker.register` (spec "Task Options"); omitted ones take the spec's defaults. */
export interface TaskOptions<I = any> {
  /** Task ids this task may select to run next; default none (an end task). */
  readonly allowedNext?: ReadonlyArray<string> | undefined
  /** Seconds before the attempt is interrupted and reported as `TIMEOUT`; default 300. */
  readonly timeout?: number | undefined
  /** Retries after the first attempt; default 3 (4 attempts). */
  readonly retries?: number | undefined
  /** Default `"exponential"`. */
  readonly retryBackoff?: RetryBackoff | undefined
  /** Base delay between attempts; default 1000. */
  readonly retryDelayMs?: number | undefined
  /** Cap of the delay; the orchestrator's `MAX_RETRY_DELAY_MS` (24 h) when omitted. */
  readonly maxRetryDelayMs?: number | undefined
  /** Heartbeat period while running; the orchestrator allows twice this. Default 60000. */
  readonly heartbeatIntervalMs?: number | undefined
  /** Max concurrent runs of this task type; 0 (default) = unlimited. */
  readonly concurrency?: number | undefined
  /** Default priority, lower runs first; default 100. */
  readonly priority?: number | undefined
  /**
   * Key under which a completed result is reused: `(input, codeVersion) => string`, synchronous,
   * 1–512 characters. Called after the input is loaded and before the handler of a dispatched
   * attempt; when the orchestrator has a result for the key, the handler does not run. A throw or
   * an unusable key fails the attempt with `INVALID_IDEMPOTENCY_KEY`, not retried. Not used by `runLocal`.
   */
  readonly idempotencyKey?: ((input: I, codeVersion: number) => string) | undefined
  /** Seconds an idempotent result is reused; the orchestrator's `IDEMPOTENCY_TTL_SECONDS` when omitted. */
  readonly idempotencyTTL?: number | undefined
  /** Human-readable description. */
  readonly description?: string | undefined
}

/** A registered task: its validated registration, code hash and core handler. */
export interface TaskDefinition {
  readonly id: string
  readonly registration: TaskRegistration
  readonly handler: CoreHandler
  readonly idempotencyKey: ((input: any, codeVersion: number) => string) | undefined
}

const decodeRegistration = Schema.decodeUnknownEither(TaskRegistration, { onExcessProperty: "error" })

/**
 * Validates the options (throwing an `Error` that names the bad option) and hashes the
 * handler's source: `codeHash = codeHashOf(source)`.
 */
export const makeTaskDefinition = (
  id: string,
  options: TaskOptions,
  handler: CoreHandler,
  source: string
): TaskDefinition => {
  const { idempotencyKey, ...serialisable } = options
  const defined = Object.fromEntries(Object.entries(serialisable).filter(([, v]) => v !== undefined))
  const decoded = decodeRegistration({
    id,
    codeHash: codeHashOf(source),
    hasIdempotencyKey: idempotencyKey !== undefined,
    ...defined
  })
  if (Either.isLeft(decoded)) throw new Error(`[PipeWeave] invalid task '${id}': ${describeIssues(decoded.left)}`)
  if (idempotencyKey !== undefined && typeof idempotencyKey !== "function") {
    throw new Error(`[PipeWeave] invalid task '${id}': idempotencyKey must be a function (input, codeVersion) => string`)
  }
  return { id, registration: decoded.right, handler, idempotencyKey }
}
