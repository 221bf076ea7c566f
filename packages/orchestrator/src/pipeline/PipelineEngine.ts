import { SqlClient } from "@effect/sql"
import { NotFound, ValidationError } from "@pipeweave/domain/Errors"
import type { TriggerRequest } from "@pipeweave/domain/Pipeline"
import { describeProblem, PipelineStructure, structureVersion } from "@pipeweave/domain/pipeline/PipelineStructure"
import {
  completeTask,
  failTask,
  FailureMode,
  initialState,
  retryTask,
  RoutingState,
  type Transition
} from "@pipeweave/domain/pipeline/Routing"
import * as StorageKeys from "@pipeweave/domain/StorageKeys"
import { StorageBackends } from "@pipeweave/storage/StorageBackends"
import { Clock, Effect, Either, Option, Schema } from "effect"
import { newPipelineRunId, newTaskRunId } from "../Ids.js"
import { TaskQueue } from "../queue/TaskQueue.js"
import { Registry } from "../registry/Registry.js"
import { PipelineCatalog } from "./PipelineCatalog.js"

const LockedRow = Schema.Struct({
  id: Schema.String,
  status: Schema.String,
  failureMode: FailureMode,
  structure: PipelineStructure,
  routing: RoutingState,
  priority: Schema.NullOr(Schema.Number),
  inputPath: Schema.String,
  storageBackend: Schema.String,
  metadata: Schema.Unknown
})

/** A pipeline run locked for the rest of the transaction. */
export type LockedRun = typeof LockedRow.Type

/**
 * Starts pipeline runs and moves them along: each task's completion or final failure is routed
 * by the pure rules of `domain/pipeline/Routing` against the run's own structure snapshot, under a
 * row lock on the run, in the transaction that records the task's result.
 */
export class PipelineEngine extends Effect.Service<PipelineEngine>()("@pipeweave/orchestrator/PipelineEngine", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const catalog = yield* PipelineCatalog
    const registry = yield* Registry
    const queue = yield* TaskQueue
    const backends = yield* StorageBackends
    const now = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms))

    const trigger = (pipelineId: string, request: TriggerRequest) =>
      Effect.gen(function*() {
        const pipeline = yield* Effect.flatMap(catalog.find(pipelineId), Option.match({
          onNone: () => Effect.fail(NotFound.of("pipeline", pipelineId)),
          onSome: Effect.succeed
        }))
        if (Either.isLeft(pipeline.structure)) {
          return yield* new ValidationError({
            field: "pipeline",
            message: `pipeline '${pipelineId}' cannot run: ${pipeline.structure.left.map(describeProblem).join("; ")}`
          })
        }
        const structure = pipeline.structure.right
        const tasks = yield* registry.tasksById(Object.keys(structure.tasks))
        const runId = newPipelineRunId()
        const inputPath = StorageKeys.pipelineInput(runId)
        const backend = backends.default
        const pipelineVersion = structureVersion(structure)
        yield* backend.put(inputPath, JSON.stringify(request.input ?? null), "application/json").pipe(Effect.orDie)
        const entry = new Set(structure.entry)
        yield* Effect.gen(function*() {
          const at = yield* now
          yield* sql`INSERT INTO pipeline_runs ${
            sql.insert({
              id: runId,
              pipeline_id: pipelineId,
              status: "running",
              failure_mode: request.failureMode,
              priority: request.priority ?? null,
              pipeline_version: pipelineVersion,
              structure: JSON.stringify(structure),
              routing: JSON.stringify(initialState(structure)),
              input_path: inputPath,
              storage_backend: backend.config.id,
              metadata: request.metadata === undefined ? null : JSON.stringify(request.metadata),
              created_at: at
            })
          }`
          yield* queue.insertRuns(Object.keys(structure.tasks).map((taskId) => ({
            id: newTaskRunId(),
            taskId,
            pipelineRunId: runId,
            status: entry.has(taskId) ? "pending" as const : "waiting" as const,
            priority: request.priority ?? tasks.get(taskId)!.priority,
            retries: tasks.get(taskId)!.retries,
            storageBackend: backend.config.id,
            inputPath,
            metadata: request.metadata
          })))
        }).pipe(sql.withTransaction, Effect.orDie)
        return { pipelineRunId: runId, status: "running" as const, pipelineVersion, inputPath }
      }).pipe(Effect.withSpan("PipelineEngine.trigger"))

    const lock = (pipelineRunId: string) =>
      Effect.gen(function*() {
        const rows = yield* Schema.decodeUnknown(Schema.Array(LockedRow))(
          yield* sql`SELECT id, status, failure_mode, structure, routing, priority, input_path, storage_backend, metadata
                     FROM pipeline_runs WHERE id = ${pipelineRunId} FOR UPDATE`
        )
        return Option.fromNullable(rows[0])
      }).pipe(Effect.orDie)

    const apply = (run: LockedRun, transition: Transition) =>
      Effect.gen(function*() {
        const at = yield* now
        const id = run.id
        if (transition.start.length > 0) {
          yield* sql`UPDATE task_runs SET status = 'pending', available_at = ${at}
                     WHERE pipeline_run_id = ${id} AND task_id = ANY(${transition.start}::text[]) AND status = 'waiting'`
        }
        if (transition.skip.length > 0) {
          yield* sql`UPDATE task_runs SET status = 'skipped', completed_at = ${at}
                     WHERE pipeline_run_id = ${id} AND task_id = ANY(${transition.skip}::text[]) AND status = 'waiting'`
        }
        if (transition.cancel.length > 0) {
          yield* sql`UPDATE task_runs SET status = 'cancelled', completed_at = ${at}, heartbeat_deadline = NULL,
                       timeout_at = NULL, error = 'cancelled: another task of the pipeline failed (fail-fast)',
                       error_code = 'PIPELINE_FAILED'
                     WHERE pipeline_run_id = ${id} AND task_id = ANY(${transition.cancel}::text[])
                       AND status IN ('waiting', 'pending', 'dispatching', 'running')`
        }
        yield* sql`UPDATE pipeline_runs SET routing = ${JSON.stringify(transition.state)},
                     status = ${transition.outcome ?? "running"},
                     completed_at = ${transition.outcome === null ? null : at}
                   WHERE id = ${id}`
      }).pipe(Effect.orDie)

    const routeCompletion = (run: LockedRun, taskId: string, selected: ReadonlyArray<string> | null) =>
      run.routing.tasks[taskId] === "started"
        ? apply(run, completeTask(run.structure, run.routing, taskId, selected, run.failureMode))
        : Effect.void

    const routeFailure = (run: LockedRun, taskId: string) =>
      run.routing.tasks[taskId] === "started"
        ? apply(run, failTask(run.structure, run.routing, taskId, run.failureMode))
        : Effect.void

    const resume = (run: LockedRun, retriedTaskId: string) =>
      Effect.gen(function*() {
        const resumption = retryTask(run.structure, run.routing, retriedTaskId)
        const again = [
          ...resumption.start.filter((id) => id !== retriedTaskId).map((taskId) => ({ taskId, status: "pending" as const })),
          ...resumption.reopen.map((taskId) => ({ taskId, status: "waiting" as const }))
        ]
        const tasks = yield* registry.tasksById(again.map((t) => t.taskId))
        yield* queue.insertRuns(again.flatMap(({ status, taskId }) => {
          const task = tasks.get(taskId)
          return task === undefined ? [] : [{
            id: newTaskRunId(),
            taskId,
            pipelineRunId: run.id,
            status,
            priority: run.priority ?? task.priority,
            retries: task.retries,
            storageBackend: run.storageBackend,
            inputPath: run.inputPath,
            metadata: run.metadata ?? undefined
          }]
        }))
        yield* sql`UPDATE pipeline_runs SET routing = ${JSON.stringify(resumption.state)}, status = 'running',
                     completed_at = NULL WHERE id = ${run.id}`.pipe(Effect.orDie)
      })

    return { trigger, lock, routeCompletion, routeFailure, resume } as const
  })
}) {}
