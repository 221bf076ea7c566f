import { SqlClient } from "@effect/sql"
import { invalidSelection } from "@pipeweave/domain/pipeline/Routing"
import type { TaskRunStatus } from "@pipeweave/domain/TaskRun"
import { ErrorCodes } from "@pipeweave/domain/TaskErrors"
import { Clock, Effect, Option } from "effect"
import { OrchestratorConfig } from "../Config.js"
import { type LockedRun, PipelineEngine } from "../pipeline/PipelineEngine.js"
import { type AttemptFailure, type AttemptSuccess, TaskQueue } from "./TaskQueue.js"

/** Where an attempt's result left its run. */
export interface ResultApplied {
  readonly runId: string
  readonly status: TaskRunStatus
}

/**
 * The one way an attempt ends, whoever reports it (callback, monitor, dispatcher, idempotency
 * cache): the guarded transition of the task run, the idempotency key it holds, and — for a
 * pipeline task — the routing of the result, all in one transaction under the pipeline run's
 * lock (taken first, so locks are always acquired in the same order).
 */
export class RunResults extends Effect.Service<RunResults>()("@pipeweave/orchestrator/RunResults", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const queue = yield* TaskQueue
    const engine = yield* PipelineEngine
    const config = yield* OrchestratorConfig

    const inPipeline = <A, E, R>(runId: string, body: (pipeline: Option.Option<LockedRun>, taskId: string) => Effect.Effect<A, E, R>) =>
      Effect.gen(function*() {
        const owner = yield* queue.owner(runId)
        if (Option.isNone(owner) || owner.value.pipelineRunId === null) {
          return yield* body(Option.none(), Option.match(owner, { onNone: () => "", onSome: (o) => o.taskId }))
        }
        const { pipelineRunId, taskId } = owner.value
        return yield* Effect.flatMap(engine.lock(pipelineRunId), (pipeline) => body(pipeline, taskId))
      }).pipe(sql.withTransaction, Effect.catchTag("SqlError", Effect.die))

    const failLocked = (
      runId: string,
      attempt: number,
      failure: AttemptFailure,
      pipeline: Option.Option<LockedRun>,
      onlyIn?: ReadonlyArray<TaskRunStatus>
    ) =>
      Effect.gen(function*() {
        const { outcome, run } = yield* queue.fail(runId, attempt, failure, config.maxRetryDelayMs, onlyIn)
        yield* sql`DELETE FROM idempotency_keys WHERE run_id = ${runId} AND status = 'running'`.pipe(Effect.orDie)
        if (outcome === "dead-lettered" && Option.isSome(pipeline)) yield* engine.routeFailure(pipeline.value, run.taskId)
        return { runId, status: run.status } satisfies ResultApplied
      })

    const completeLocked = (
      runId: string,
      attempt: number,
      result: AttemptSuccess,
      pipeline: Option.Option<LockedRun>,
      taskId: string
    ) =>
      Effect.gen(function*() {
        if (Option.isSome(pipeline) && result.selectedNext !== null) {
          const invalid = invalidSelection(pipeline.value.structure, taskId, result.selectedNext)
          if (invalid.length > 0) {
            const allowed = pipeline.value.structure.tasks[taskId]?.allowedNext ?? []
            return yield* failLocked(runId, attempt, {
              error: `runNext names ${invalid.map((t) => `'${t}'`).join(", ")}, outside allowedNext [${allowed.join(", ")}]`,
              errorCode: ErrorCodes.invalidNext,
              retryable: false,
              retryAfterMs: null,
              logsPath: result.logsPath
            }, pipeline)
          }
        }
        const run = yield* queue.complete(runId, attempt, result)
        const at = yield* Clock.currentTimeMillis
        yield* sql`
          UPDATE idempotency_keys k SET status = 'completed', completed_at = ${new Date(at)},
            expires_at = ${new Date(at)}::timestamptz
              + COALESCE(t.idempotency_ttl_seconds, ${config.idempotencyTtlSeconds}) * interval '1 second'
          FROM tasks t WHERE k.run_id = ${runId} AND k.status = 'running' AND t.task_id = k.task_id`.pipe(Effect.orDie)
        if (Option.isSome(pipeline)) yield* engine.routeCompletion(pipeline.value, taskId, result.selectedNext)
        return { runId, status: run.status } satisfies ResultApplied
      })

    const fail = (runId: string, attempt: number, failure: AttemptFailure, onlyIn?: ReadonlyArray<TaskRunStatus>) =>
      inPipeline(runId, (pipeline) => failLocked(runId, attempt, failure, pipeline, onlyIn))

    const complete = (runId: string, attempt: number, result: AttemptSuccess) =>
      inPipeline(runId, (pipeline, taskId) => completeLocked(runId, attempt, result, pipeline, taskId))

    return { fail, complete, inPipeline, completeLocked, explainMiss: queue.explainMiss } as const
  })
}) {}
