import { SqlClient, SqlSchema, type Statement } from "@effect/sql"
import { PipelineStructure } from "@pipeweave/domain/pipeline/PipelineStructure"
import { FailureMode, RoutingState } from "@pipeweave/domain/pipeline/Routing"
import { Clock, Effect, Option, Schema } from "effect"
import * as Spans from "@pipeweave/domain/Spans"

const LockedRow = Schema.Struct({
  id: Schema.String,
  status: Schema.String,
  failureMode: FailureMode,
  structure: PipelineStructure,
  routing: RoutingState,
  priority: Schema.NullOr(Schema.Number),
  inputPath: Schema.String,
  inputInline: Schema.NullOr(Schema.String),
  storageBackend: Schema.String,
  metadata: Schema.Unknown,
  traceparent: Schema.NullOr(Schema.String)
})
const LockedOfRow = Schema.Struct({ ...LockedRow.fields, lockedTaskId: Schema.String })

/** A pipeline run locked for the rest of the transaction. */
export type LockedRun = typeof LockedRow.Type

/** A pipeline run to insert. */
export interface NewPipelineRun {
  readonly id: string
  readonly pipelineId: string
  readonly failureMode: FailureMode
  readonly priority: number | null
  readonly pipelineVersion: string
  readonly structure: PipelineStructure
  readonly routing: RoutingState
  readonly inputPath: string
  readonly inputInline: string | null
  readonly storageBackend: string
  readonly metadata: unknown
}

/**
 * Inserts pipeline run `run`, created at `at` in the trace `traceparent`; returns its `id`,
 * `structure` and `input_inline` (a claim in the same statement reads them from here: its snapshot
 * does not show the row yet).
 */
export const insertPipelineRunStatement = (
  sql: SqlClient.SqlClient,
  run: NewPipelineRun,
  at: Date,
  traceparent: string | null
) =>
  sql`INSERT INTO pipeline_runs ${
    sql.insert({
      id: run.id,
      pipeline_id: run.pipelineId,
      status: "running",
      failure_mode: run.failureMode,
      priority: run.priority,
      pipeline_version: run.pipelineVersion,
      structure: JSON.stringify(run.structure),
      routing: JSON.stringify(run.routing),
      input_path: run.inputPath,
      input_inline: run.inputInline,
      storage_backend: run.storageBackend,
      metadata: run.metadata === undefined ? null : JSON.stringify(run.metadata),
      created_at: at,
      traceparent
    })
  } RETURNING id, structure, input_inline`

/**
 * Stores pipeline run `id`'s routing state after a transition at `at`; `outcome` ends the run.
 * `guard` restricts it further (a statement that also completes a task run passes "only if it did").
 */
export const saveRoutingStatement = (
  sql: SqlClient.SqlClient,
  id: string,
  routing: RoutingState,
  outcome: string | null,
  at: Date,
  guard: Statement.Fragment = sql.literal("TRUE")
) =>
  sql`UPDATE pipeline_runs SET routing = ${JSON.stringify(routing)}, status = ${outcome ?? "running"},
        completed_at = ${outcome === null ? null : at}
      WHERE id = ${id} AND ${guard}`

/**
 * The only writer of `pipeline_runs`: lock, and the routing state after each transition. Two of its
 * statements run inside `TaskRuns`' own: the insert (`insertPipelineRunStatement`), in the one that
 * inserts a triggered run's task runs, and the routing state, in the one that completes a task it
 * routes.
 */
export class PipelineRuns extends Effect.Service<PipelineRuns>()("@pipeweave/orchestrator/PipelineRuns", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const now = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms))

    const lockRunOf = SqlSchema.findOne({
      Request: Schema.String,
      Result: LockedOfRow,
      execute: (taskRunId) =>
        sql`SELECT p.id, p.status, p.failure_mode, p.structure, p.routing, p.priority, p.input_path, p.input_inline,
              p.storage_backend, p.metadata, p.traceparent, r.task_id AS locked_task_id
            FROM task_runs r JOIN pipeline_runs p ON p.id = r.pipeline_run_id WHERE r.id = ${taskRunId}
            FOR UPDATE OF p`
    })

    /**
     * Locks the pipeline run that task run `taskRunId` belongs to, if any, and tells which task the
     * run is of (call it in a transaction).
     */
    const lockOf = Spans.fn("PipelineRuns.lockOf")(function*(taskRunId: string) {
      const row = yield* lockRunOf(taskRunId)
      return Option.map(row, ({ lockedTaskId, ...run }) => ({ run, taskId: lockedTaskId }))
    }, Effect.orDie)

    const lockRun = SqlSchema.findOne({
      Request: Schema.String,
      Result: LockedRow,
      execute: (pipelineRunId) =>
        sql`SELECT id, status, failure_mode, structure, routing, priority, input_path, input_inline,
              storage_backend, metadata, traceparent
            FROM pipeline_runs WHERE id = ${pipelineRunId} FOR UPDATE`
    })

    const lock = Spans.fn("PipelineRuns.lock")(function*(pipelineRunId: string) {
      return yield* lockRun(pipelineRunId)
    }, Effect.orDie)

    /** Stores the routing state after a transition; `outcome` ends the run. */
    const saveRouting = Spans.fn("PipelineRuns.saveRouting")(
      function*(id: string, routing: RoutingState, outcome: string | null) {
        yield* saveRoutingStatement(sql, id, routing, outcome, yield* now)
      },
      Effect.orDie
    )

    /** Removes up to `batch` pipeline runs that ended before `cutoff` and have no task run left. */
    const purgeFinished = Spans.fn("PipelineRuns.purgeFinished")(function*(cutoff: Date, batch: number) {
      const removed = yield* sql<{ id: string }>`
        DELETE FROM pipeline_runs WHERE id IN (
          SELECT p.id FROM pipeline_runs p
          WHERE p.status <> 'running' AND p.completed_at < ${cutoff}
            AND NOT EXISTS (SELECT 1 FROM task_runs r WHERE r.pipeline_run_id = p.id)
          LIMIT ${batch})
        RETURNING id`
      return removed.length
    }, Effect.orDie)

    return { lockOf, lock, saveRouting, purgeFinished } as const
  })
}) {}
