import { ErrorCodes } from "@pipeweave/domain/TaskErrors"
import { Clock, Effect } from "effect"
import { OrchestratorConfig } from "../Config.js"
import { DeadLetterStore } from "../store/DeadLetterStore.js"
import { PipelineRuns } from "../store/PipelineRuns.js"
import { Registry } from "../store/Registry.js"
import { RunCounts } from "../store/RunCounts.js"
import { TaskRuns } from "../store/TaskRuns.js"
import { RunResults } from "./RunResults.js"
import * as Spans from "@pipeweave/domain/Spans"

const DAY_MS = 86_400_000
const SWEEP_BATCH = 500
const PURGE_BATCH = 1000

/**
 * The time rules that no request triggers: an attempt with no heartbeat for 2 ×
 * `heartbeatIntervalMs` fails with `HEARTBEAT_TIMEOUT`, one running past its `timeout` fails with
 * `TIMEOUT` (both retried like any failure); dead letters older than `DLQ_RETENTION_DAYS` and
 * finished runs older than `RUN_RETENTION_DAYS` are removed in small batches; instances unreachable
 * and silent for `INSTANCE_PRUNE_AFTER_SECONDS` leave the registry. Deadlines are stored
 * with each run and compared with the Clock, so a sweep at instant t fails exactly the attempts
 * whose deadline is at or before t.
 */
export class DeadlineSweep extends Effect.Service<DeadlineSweep>()("@pipeweave/orchestrator/DeadlineSweep", {
  effect: Effect.gen(function*() {
    const config = yield* OrchestratorConfig
    const taskRuns = yield* TaskRuns
    const pipelineRuns = yield* PipelineRuns
    const deadLetters = yield* DeadLetterStore
    const counts = yield* RunCounts
    const results = yield* RunResults
    const registry = yield* Registry

    const sweep = Effect.gen(function*() {
      const expired = yield* taskRuns.expired(SWEEP_BATCH)
      for (const run of expired) {
        const failure = run.timedOut
          ? { error: `timed out after ${run.timeoutSeconds} s`, errorCode: ErrorCodes.timeout }
          : {
            error: `no heartbeat for ${2 * (run.heartbeatIntervalMs ?? 0)} ms (2 × heartbeatIntervalMs)`,
            errorCode: ErrorCodes.heartbeatTimeout
          }
        yield* results.fail(run.id, run.attempt, { ...failure, retryable: true, retryAfterMs: null, logsPath: null }).pipe(
          Effect.catchTags({ Conflict: () => Effect.void, NotFound: () => Effect.void })
        )
      }
      yield* counts.compact
      return expired.length
    }).pipe(Spans.withSpan("DeadlineSweep.sweep"))

    const purgeDeadLetters = Effect.gen(function*() {
      const cutoff = new Date((yield* Clock.currentTimeMillis) - config.dlqRetentionDays * DAY_MS)
      return yield* deadLetters.purgeBefore(cutoff, true)
    }).pipe(Spans.withSpan("DeadlineSweep.purgeDeadLetters"))

    /** Removes one batch of runs past `RUN_RETENTION_DAYS`; returns how many task runs went. */
    const purgeFinishedRuns = Effect.gen(function*() {
      const cutoff = new Date((yield* Clock.currentTimeMillis) - config.runRetentionDays * DAY_MS)
      const removed = yield* taskRuns.purgeFinished(cutoff, PURGE_BATCH)
      yield* pipelineRuns.purgeFinished(cutoff, PURGE_BATCH)
      return removed
    }).pipe(Spans.withSpan("DeadlineSweep.purgeFinishedRuns"))

    /** Removes instances unreachable and silent for `INSTANCE_PRUNE_AFTER_SECONDS`; returns how many. */
    const pruneInstances = Effect.gen(function*() {
      const cutoff = new Date((yield* Clock.currentTimeMillis) - config.instancePruneAfterSeconds * 1000)
      return yield* registry.pruneInstances(cutoff)
    }).pipe(Spans.withSpan("DeadlineSweep.pruneInstances"))

    return {
      sweep,
      purgeDeadLetters,
      pruneInstances,
      purgeFinishedRuns,
      nextDeadline: taskRuns.nextDeadline,
      extendDeadlines: taskRuns.extendDeadlines
    } as const
  })
}) {}
