import type { IdempotencyDecision } from "@pipeweave/domain/Idempotency"
import * as StorageKeys from "@pipeweave/domain/StorageKeys"
import { Clock, Effect, Option } from "effect"
import { IdempotencyKeys } from "../store/IdempotencyKeys.js"
import { TaskRunReads } from "../store/TaskRunReads.js"
import { TaskRuns } from "../store/TaskRuns.js"
import { RunResults } from "./RunResults.js"
import { Wakeups } from "./Wakeups.js"
import * as Spans from "@pipeweave/domain/Spans"

const WAIT_MS = 1000

/**
 * Idempotency keys (spec "Idempotency"): the first attempt to claim a task's key executes; while
 * it runs, others wait; once it completed, any run with the key within its TTL is completed with
 * the cached output — and routed, so downstream tasks still run — without calling the handler.
 * A key whose run failed is released and can be claimed again.
 */
export class Idempotency extends Effect.Service<Idempotency>()("@pipeweave/orchestrator/Idempotency", {
  effect: Effect.gen(function*() {
    const keys = yield* IdempotencyKeys
    const taskRuns = yield* TaskRuns
    const reads = yield* TaskRunReads
    const results = yield* RunResults
    const wakeups = yield* Wakeups

    const decide = (runId: string, attempt: number, key: string, pipeline: Parameters<typeof results.completeLocked>[3]) =>
      Effect.gen(function*() {
        const current = yield* taskRuns.lockInFlight(runId, attempt)
        if (Option.isNone(current)) return yield* results.explainMiss(runId, attempt)
        const { pipelineRunId, taskId } = current.value
        const holder = yield* keys.claim(taskId, key, runId)
        const execute: IdempotencyDecision = { _tag: "Execute" }
        if (holder.runId === runId) return execute
        if (holder.status === "running") {
          if (holder.ownerStatus === "dispatching" || holder.ownerStatus === "running" || holder.ownerStatus === "pending") {
            return { _tag: "Wait", retryAfterMs: WAIT_MS } as IdempotencyDecision
          }
          yield* keys.takeOver(taskId, key, runId)
          return execute
        }
        const now = yield* Clock.currentTimeMillis
        const source = holder.expiresAt === null || holder.expiresAt.getTime() <= now
          ? Option.none()
          : yield* reads.find(holder.runId)
        if (Option.isNone(source) || source.value.outputPath === null) {
          yield* keys.takeOver(taskId, key, runId)
          return execute
        }
        yield* results.completeLocked(runId, attempt, {
          outputPath: source.value.outputPath,
          outputSize: source.value.outputSize ?? 0,
          outputInline: source.value.outputInline,
          assets: source.value.assets,
          logsPath: StorageKeys.logs(StorageKeys.runScope(runId, pipelineRunId), runId),
          selectedNext: source.value.selectedNext
        }, pipeline)
        return { _tag: "Cached", fromRunId: source.value.id } as IdempotencyDecision
      })

    const claim = Spans.fn("Idempotency.claim")(function*(runId: string, attempt: number, key: string) {
      const decision = yield* results.underLock(runId, (pipeline) => decide(runId, attempt, key, pipeline))
      if (decision._tag === "Cached") yield* wakeups.wake
      return decision
    })

    return { claim } as const
  })
}) {}
