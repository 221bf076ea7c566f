import type { DlqDetail, DlqItem, DlqParams } from "@pipeweave/domain/DeadLetter"
import { Conflict, NotFound } from "@pipeweave/domain/Errors"
import { StorageBackends } from "@pipeweave/storage/StorageBackends"
import { Clock, Effect, Option } from "effect"
import { newTaskRunId } from "../Ids.js"
import { DeadLetterStore, type DeadLetterRow } from "../store/DeadLetterStore.js"
import { PipelineRuns } from "../store/PipelineRuns.js"
import { Registry } from "../store/Registry.js"
import { TaskRunReads } from "../store/TaskRunReads.js"
import { TaskRuns } from "../store/TaskRuns.js"
import { Transactions } from "../store/Transactions.js"
import { inputSizeOf, inputViewOf } from "./DeadLetterInput.js"
import { PipelineRouting } from "./PipelineRouting.js"
import { Wakeups } from "./Wakeups.js"
import * as Spans from "@pipeweave/domain/Spans"

/**
 * The dead letter queue: runs that failed for good, with everything needed to understand and
 * retry them. A retry queues a new run of the same input with the task's current code version;
 * in a pipeline it resumes the run (DESIGN §3).
 */
export class DeadLetters extends Effect.Service<DeadLetters>()("@pipeweave/orchestrator/DeadLetters", {
  effect: Effect.gen(function*() {
    const store = yield* DeadLetterStore
    const backends = yield* StorageBackends
    const registry = yield* Registry
    const taskRuns = yield* TaskRuns
    const reads = yield* TaskRunReads
    const pipelineRuns = yield* PipelineRuns
    const routing = yield* PipelineRouting
    const tx = yield* Transactions
    const wakeups = yield* Wakeups

    const toItem = (row: DeadLetterRow) =>
      Effect.map(inputSizeOf(row, backends), (inputSize): DlqItem => ({
        id: row.id,
        taskRunId: row.taskRunId,
        taskId: row.taskId,
        pipelineRunId: row.pipelineRunId,
        pipelineId: row.pipelineId,
        codeVersion: row.codeVersion,
        codeHash: row.codeHash,
        error: row.error,
        errorCode: row.errorCode,
        attempts: row.attempts,
        failedAt: row.failedAt,
        inputPath: row.inputPath,
        inputSize,
        retriedRunId: row.retriedRunId,
        retriedAt: row.retriedAt
      }))

    const list = Spans.fn("DeadLetters.list")(function*(params: DlqParams) {
      const { rows, total } = yield* store.list(params)
      const items = yield* Effect.forEach(rows, toItem, { concurrency: 8 })
      return { items, total, limit: params.limit, offset: params.offset }
    })

    const show = Spans.fn("DeadLetters.show")(function*(id: string) {
      const row = yield* Effect.flatMap(store.find(id), Option.match({
        onNone: () => Effect.fail(NotFound.of("dead letter", id)),
        onSome: Effect.succeed
      }))
      const attempts = yield* reads.attempts(row.taskRunId)
      const item = yield* toItem(row)
      const input = yield* inputViewOf(row, item.inputSize, backends)
      return {
        ...item,
        ...input,
        errorDetails: attempts.find((a) => a.attempt === row.attempts)?.errorDetails ?? null,
        attemptErrors: attempts.filter((a) => a.error !== null).map((a) => ({
          attempt: a.attempt,
          error: a.error!,
          ...(a.errorCode === null ? {} : { errorCode: a.errorCode }),
          timestamp: a.endedAt ?? a.startedAt
        })),
        pipeline: row.pipelineRunId !== null && row.pipelineId !== null && row.failureMode !== null && row.pipelineStatus !== null
          ? { pipelineRunId: row.pipelineRunId, pipelineId: row.pipelineId, failureMode: row.failureMode, status: row.pipelineStatus }
          : null
      } satisfies DlqDetail
    })

    const retryLocked = (row: DeadLetterRow) =>
      Effect.gen(function*() {
        if (row.retriedRunId !== null) {
          return yield* new Conflict({ message: `dead letter ${row.id} was already retried as ${row.retriedRunId}` })
        }
        const task = (yield* registry.tasksById([row.taskId])).get(row.taskId)
        if (task === undefined || !task.active) {
          return yield* new Conflict({ message: `task '${row.taskId}' is no longer registered; register it before retrying` })
        }
        const newRunId = newTaskRunId()
        const pipeline = row.pipelineRunId === null ? Option.none() : yield* pipelineRuns.lock(row.pipelineRunId)
        yield* taskRuns.insert([{
          id: newRunId,
          taskId: row.taskId,
          pipelineRunId: row.pipelineRunId,
          status: "pending",
          priority: row.priority,
          retries: task.retries,
          storageBackend: row.storageBackend,
          inputPath: row.inputPath,
          inputInline: row.inputInline,
          metadata: row.metadata ?? undefined,
          traceparent: Option.isSome(pipeline) ? pipeline.value.traceparent : null
        }])
        yield* store.markRetried(row.id, newRunId)
        if (Option.isSome(pipeline)) yield* routing.resume(pipeline.value, row.taskId)
        return { newRunId, status: "queued" as const, codeVersion: task.codeVersion }
      })

    const retry = Spans.fn("DeadLetters.retry")(function*(id: string) {
      const retried = yield* tx.run(Effect.gen(function*() {
        const row = yield* store.lock(id)
        if (Option.isNone(row)) return yield* NotFound.of("dead letter", id)
        return yield* retryLocked(row.value)
      }))
      yield* wakeups.wake
      return retried
    })

    const retryAll = Spans.fn("DeadLetters.retryAll")(function*(
      filter: { readonly pipelineId?: string | undefined; readonly taskId?: string | undefined }
    ) {
      const ids = yield* store.unretried(filter)
      const results = yield* Effect.forEach(ids, (id) =>
        retry(id).pipe(
          Effect.map((r) => Option.some({ id, newRunId: r.newRunId })),
          Effect.catchTags({ Conflict: () => Effect.succeed(Option.none()), NotFound: () => Effect.succeed(Option.none()) })
        ))
      const retried = results.flatMap(Option.toArray)
      return { retried: retried.length, results: retried }
    })

    const purgeOlderThan = Spans.fn("DeadLetters.purgeOlderThan")(function*(ageMs: number) {
      const cutoff = new Date((yield* Clock.currentTimeMillis) - ageMs)
      return { purged: yield* store.purgeBefore(cutoff, false) }
    })

    return { list, show, retry, retryAll, purgeOlderThan } as const
  })
}) {}
