import type { IdempotencyDecision } from "@pipeweave/domain/Idempotency"
import { TaskError } from "@pipeweave/domain/TaskErrors"
import { Duration, Effect } from "effect"
import { Skipped } from "./AttemptErrors.js"
import { callbackSchedule } from "./deliverCallback.js"
import type { OrchestratorError } from "./OrchestratorClient.js"
import type { TaskDefinition } from "./TaskDefinition.js"
import type { TaskLog } from "./TaskLog.js"

const maxKeyLength = 512
const minWaitMs = 100

const reason = (cause: unknown): string => cause instanceof Error ? cause.message : String(cause)

const describeValue = (value: unknown): string =>
  value === "" ? "an empty string"
  : value === null ? "null"
  : value instanceof Promise ? "a Promise (the function must be synchronous)"
  : typeof value === "object" ? "an object"
  : typeof value

const computeKey = (
  task: TaskDefinition,
  keyOf: (input: unknown, codeVersion: number) => unknown,
  input: unknown,
  codeVersion: number
): Effect.Effect<string, TaskError> => {
  const invalid = (why: string) =>
    new TaskError({ message: `task '${task.id}': idempotencyKey ${why}`, code: "INVALID_IDEMPOTENCY_KEY", retryable: false })
  return Effect.try({ try: () => keyOf(input, codeVersion), catch: (cause) => invalid(`threw: ${reason(cause)}`) }).pipe(
    Effect.flatMap((key) =>
      typeof key !== "string" || key.length === 0
        ? Effect.fail(invalid(`must return a non-empty string, got ${describeValue(key)}`))
        : key.length > maxKeyLength
        ? Effect.fail(invalid(`returned ${key.length} characters; at most ${maxKeyLength} are allowed`))
        : Effect.succeed(key)
    )
  )
}

/** What the gate of a dispatched attempt needs. */
export interface GateOptions {
  readonly task: TaskDefinition
  readonly codeVersion: number
  readonly ask: (key: string) => Effect.Effect<IdempotencyDecision, OrchestratorError>
  readonly log: TaskLog
  readonly report: (level: "info" | "warn", message: string) => Effect.Effect<void>
}

const askUntilAnswered = (options: GateOptions, key: string): Effect.Effect<IdempotencyDecision, Skipped | TaskError> =>
  options.ask(key).pipe(
    Effect.tapError((e) => e.retryable ? options.report("warn", `idempotency check failed (${e.message}); retrying`) : Effect.void),
    Effect.retry({ schedule: callbackSchedule, while: (e) => e.retryable }),
    Effect.catchAll((e): Effect.Effect<never, Skipped | TaskError> =>
      e.status === 404 || e.status === 409
        ? Effect.fail(new Skipped({ reason: "stale", message: `the orchestrator no longer expects this attempt (${e.message})` }))
        : Effect.fail(
          new TaskError({
            message: `task '${options.task.id}': idempotency check failed: ${e.message}`,
            code: "IDEMPOTENCY_CHECK_FAILED",
            retryable: true
          })
        )
    )
  )

/**
 * Runs before the handler of a dispatched attempt whose task has an `idempotencyKey`: computes the
 * key and asks `POST /api/idempotency` until the answer is `Execute` (succeeds) or `Cached` (logs
 * the source run and fails with `Skipped`). `Wait` sleeps `retryAfterMs` (at least 100 ms) and
 * asks again; network errors and 5xx/408/429 answers are retried on `callbackSchedule`; a 404 or
 * 409 fails with a `stale` `Skipped`, another refusal or giving up with a retryable
 * `IDEMPOTENCY_CHECK_FAILED`. A key function that throws or returns no string, an empty one or
 * one over 512 characters fails with a non-retryable `INVALID_IDEMPOTENCY_KEY` naming the task.
 * A task without `idempotencyKey` passes at once.
 */
export const idempotencyGate = (options: GateOptions) => (input: unknown): Effect.Effect<void, TaskError | Skipped> => {
  const keyOf = options.task.idempotencyKey
  if (keyOf === undefined) return Effect.void
  return Effect.gen(function*() {
    const key = yield* computeKey(options.task, keyOf, input, options.codeVersion)
    let waited = false
    while (true) {
      const decision = yield* askUntilAnswered(options, key)
      if (decision._tag === "Execute") return
      if (decision._tag === "Cached") {
        const message = `cached result of ${decision.fromRunId} (key ${key})`
        yield* options.log.write("info", message, { idempotencyKey: key, cachedFrom: decision.fromRunId })
        return yield* new Skipped({ reason: "cached", message })
      }
      if (!waited) {
        yield* options.log.write("info", `waiting for another run holding key ${key} to finish`, { idempotencyKey: key })
        waited = true
      }
      yield* Effect.sleep(Duration.millis(Math.max(minWaitMs, decision.retryAfterMs)))
    }
  })
}
