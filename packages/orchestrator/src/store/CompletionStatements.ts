import type { SqlClient, Statement } from "@effect/sql"
import * as PlainSqlSchema from "./PlainSqlSchema.js"
import type { RoutingState, Transition } from "@pipeweave/domain/pipeline/Routing"
import { TaskRunStatus } from "@pipeweave/domain/TaskRun"
import { plainDecoder } from "@pipeweave/domain/PlainDecode"
import { Effect, Schema } from "effect"
import { claimColumns, claimDueUnlimitedCtes, claimedColumns, dispatchableCtes } from "./ClaimRuns.js"
import { ClaimedRun } from "./ClaimedRun.js"
import type { AttemptSuccess } from "./NewRun.js"
import { saveRoutingStatement } from "./PipelineRuns.js"
import { DbInt } from "./Rows.js"
import { inFlight } from "./RunSql.js"
import { routedColumns, routedRuns, routeStatement } from "./RunMaintenance.js"

/** A run after a transition: enough to route it and to answer the worker. */
export const TransitionedRun = Schema.Struct({
  id: Schema.String,
  taskId: Schema.String,
  pipelineRunId: Schema.NullOr(Schema.String),
  status: Schema.String
})
export interface TransitionedRun {
  readonly id: string
  readonly taskId: string
  readonly pipelineRunId: string | null
  readonly status: TaskRunStatus
}

/** A completion's routing, applied with it (see `TaskRuns.complete`). */
export interface RoutedCompletion {
  readonly pipelineRunId: string
  readonly transition: Transition
}

/** A completion's routing planned against `expected`, the pipeline run's routing state as last seen. */
export interface PlannedRouting extends RoutedCompletion {
  readonly expected: RoutingState
}

/** A successful attempt's columns; `assets` and `selectedNext` as JSON text. */
export const CompleteRequest = Schema.Struct({
  runId: Schema.String,
  attempt: Schema.Number,
  at: Schema.DateFromSelf,
  outputPath: Schema.String,
  outputSize: Schema.Number,
  outputInline: Schema.NullOr(Schema.String),
  assets: Schema.String,
  logsPath: Schema.NullOr(Schema.String),
  selectedNext: Schema.NullOr(Schema.String)
})
type CompleteRequest = typeof CompleteRequest.Type

/** `CompleteRequest` for attempt `attempt` of run `runId`, completed at `at` with `result`. */
export const completeRequest = (runId: string, attempt: number, at: Date, result: AttemptSuccess): CompleteRequest => ({
  runId,
  attempt,
  at,
  outputPath: result.outputPath,
  outputSize: result.outputSize,
  outputInline: result.outputInline,
  assets: JSON.stringify(result.assets),
  logsPath: result.logsPath,
  selectedNext: result.selectedNext === null ? null : JSON.stringify(result.selectedNext)
})

/**
 * `run`: attempt `r.attempt` of run `r.runId` completed, while in flight and `guard` holds; `ended`:
 * its attempt row closed. `run` returns `returning`.
 */
const completedCtes = (
  sql: SqlClient.SqlClient,
  r: CompleteRequest,
  guard: Statement.Fragment = sql.literal("TRUE"),
  returning: Statement.Fragment = sql.literal("id, task_id, pipeline_run_id, status")
) =>
  sql`
    run AS (
      UPDATE task_runs SET status = 'completed', output_path = ${r.outputPath},
        output_size = ${r.outputSize}, output_inline = ${r.outputInline},
        assets = ${r.assets}, logs_path = ${r.logsPath},
        selected_next = ${r.selectedNext},
        error = NULL, error_code = NULL, completed_at = ${r.at}, heartbeat_deadline = NULL, timeout_at = NULL
      WHERE id = ${r.runId} AND attempt = ${r.attempt} AND ${inFlight(sql)} AND ${guard}
      RETURNING ${returning}
    ), ended AS (
      UPDATE task_run_attempts a SET status = 'completed', ended_at = ${r.at}
      WHERE a.run_id = ${r.runId} AND a.attempt = ${r.attempt} AND EXISTS (SELECT 1 FROM run)
    )`

/** Only if the run completed, and never the run itself (it is `run`'s row). */
const ifCompleted = (sql: SqlClient.SqlClient, runId: string, alias: string) =>
  sql`EXISTS (SELECT 1 FROM run) AND ${sql.literal(alias)}.id <> ${runId}`

/** The pipeline run's routing saved, only if the run completed. */
const savedRouting = (sql: SqlClient.SqlClient, routed: RoutedCompletion, at: Date) =>
  saveRoutingStatement(
    sql,
    routed.pipelineRunId,
    routed.transition.state,
    routed.transition.outcome,
    at,
    sql`EXISTS (SELECT 1 FROM run)`
  )

/** A completion (see `TaskRuns.complete`). */
export const completeRunQuery = (sql: SqlClient.SqlClient) =>
  PlainSqlSchema.findOne({
    Request: CompleteRequest,
    Result: TransitionedRun,
    execute: (r) => sql`WITH ${completedCtes(sql, r)} SELECT * FROM run`
  })

/** A completion with its routing, under the pipeline run's lock (see `TaskRuns.complete`). */
export const completeRoutedRunQuery = (sql: SqlClient.SqlClient) =>
  PlainSqlSchema.findOne({
    Request: Schema.Struct({ ...CompleteRequest.fields, routed: Schema.Any as Schema.Schema<RoutedCompletion> }),
    Result: TransitionedRun,
    execute: ({ routed, ...r }) =>
      sql`
        WITH ${completedCtes(sql, r)},
        moved AS (${routeStatement(sql, routed.pipelineRunId, routed.transition, r.at, ifCompleted(sql, r.runId, "r"))}),
        saved AS (${savedRouting(sql, routed, r.at)})
        SELECT * FROM run`
  })

const Completed = Schema.Struct({ completedId: Schema.String, completedTaskId: Schema.String, completedStatus: TaskRunStatus })

/** A row of `completePlanned`: the completed run, with one claimed run or none. */
export const PlannedCompletionRow = Schema.Union(
  Schema.Struct({ ...Completed.fields, ...ClaimedRun.fields }),
  Schema.Struct({ ...Completed.fields, id: Schema.Null })
)

/**
 * A pipeline task's completion with its routing planned against the routing state last seen
 * (`routed.expected`), in one statement without a prior lock: it changes nothing unless the
 * pipeline run is still running with exactly that state and nobody holds its lock (the pipeline
 * run is locked first, `SKIP LOCKED`, so the statement never waits on a transaction it cannot
 * see). It also claims, as it starts them, up to `limit` of the runs the routing starts — those of
 * task types without a concurrency limit, when no due run of the same or a higher priority is
 * waiting before them — setting the claim's columns instead of making them pending. A row per
 * claimed run (one with `id` null when none), each with the completed run; no row when it changed
 * nothing.
 */
const completePlannedStatement = (
  sql: SqlClient.SqlClient,
  r: CompleteRequest,
  routed: PlannedRouting,
  limit: number,
  orchestratorId: string
) => {
  const routedSets = new Map(routedColumns(sql, r.at))
  const claimSets = claimColumns(sql, {
    now: r.at,
    orchestratorId,
    attempt: sql`r.attempt + 1`,
    startedAt: sql`COALESCE(r.started_at, ${r.at}::timestamptz)`,
    previousWorker: sql`r.worker_url`
  })
  const claimed = new Set(claimSets.map(([column]) => column))
  const sets = [
    ...claimSets.map(([column, value]) =>
      sql`${sql.literal(column)} = CASE WHEN k.id IS NULL THEN ${routedSets.get(column) ?? sql.literal(`r.${column}`)}
        ELSE ${value ?? sql`NULL`} END`
    ),
    ...[...routedSets].filter(([column]) => !claimed.has(column)).map(([column, value]) => sql`${sql.literal(column)} = ${value}`)
  ]
  return sql`
    WITH p AS (
      SELECT id FROM pipeline_runs
      WHERE id = ${routed.pipelineRunId} AND status = 'running' AND routing = ${JSON.stringify(routed.expected)}::jsonb
      FOR UPDATE SKIP LOCKED
    ),
    ${
    completedCtes(
      sql,
      r,
      sql`pipeline_run_id = ${routed.pipelineRunId} AND EXISTS (SELECT 1 FROM p)`,
      sql.literal("id, task_id, pipeline_run_id, status, output_path, output_inline, assets")
    )
  },
    m AS (${routedRuns(sql, routed.pipelineRunId, routed.transition)}),
    taken AS (
      SELECT m.id FROM m JOIN tasks t ON t.task_id = m.task_id AND t.concurrency = 0
      WHERE m.next = 'pending' AND NOT EXISTS (
        SELECT 1 FROM task_runs w WHERE w.status = 'pending' AND w.priority <= m.priority AND w.available_at <= ${r.at})
      ORDER BY m.priority, m.id
      LIMIT ${limit}
    ),
    moved AS (
      UPDATE task_runs r SET ${sql.csv(sets)}
      FROM m LEFT JOIN taken k ON k.id = m.id, tasks t
      WHERE r.id = m.id AND t.task_id = r.task_id AND m.next IS NOT NULL AND ${ifCompleted(sql, r.runId, "r")}
      RETURNING r.*
    ),
    saved AS (${savedRouting(sql, routed, r.at)}),
    claimed AS (
      SELECT ${claimedColumns(sql)} FROM moved r JOIN tasks t ON t.task_id = r.task_id WHERE r.status = 'dispatching'
    ),
    ${dispatchableCtes(sql, r.at, { completed: sql.literal("run") })}
    SELECT run.id AS completed_id, run.task_id AS completed_task_id, run.status AS completed_status, d.*
    FROM run LEFT JOIN dispatchable d ON TRUE`
}

/** `completePlannedStatement` as a typed query (build it once per client). */
export const completePlannedQuery = (sql: SqlClient.SqlClient) =>
  PlainSqlSchema.findAll({
    Request: Schema.Struct({
      ...CompleteRequest.fields,
      routed: Schema.Any as Schema.Schema<PlannedRouting>,
      limit: Schema.Number,
      orchestratorId: Schema.String
    }),
    Result: PlannedCompletionRow,
    execute: ({ limit, orchestratorId, routed, ...r }) => completePlannedStatement(sql, r, routed, limit, orchestratorId)
  })

/** A successful attempt of a run, to complete. */
export interface CompletedAttempt {
  readonly runId: string
  readonly attempt: number
  readonly result: AttemptSuccess
}

/** Several successful attempts as the JSON array `completeMany` reads. */
export const completionsInput = (items: ReadonlyArray<CompletedAttempt>): string =>
  JSON.stringify(items.map(({ attempt, result, runId }) => ({
    id: runId,
    attempt,
    output_path: result.outputPath,
    output_size: result.outputSize,
    output_inline: result.outputInline,
    assets: result.assets,
    logs_path: result.logsPath,
    selected_next: result.selectedNext
  })))

/** Several successful attempts as one JSON array (see `completionsInput`). */
const CompleteManyRequest = Schema.Struct({ at: Schema.DateFromSelf, input: Schema.String })

/** A run `completeMany` completed. */
export const CompletedRun = Schema.Struct({ ...TransitionedRun.fields, attempt: DbInt })

/**
 * `input`, `run` (each attempt of `input` completed while in flight, returning `CompletedRun`'s
 * columns) and `ended` (their attempt rows closed).
 */
const completedManyCtes = (sql: SqlClient.SqlClient, at: Date, input: string) =>
  sql`
    input AS (
      SELECT * FROM json_to_recordset(${input}::json) AS x(id text, attempt int, output_path text,
        output_size bigint, output_inline text, assets jsonb, logs_path text, selected_next jsonb)
    ), run AS (
      UPDATE task_runs r SET status = 'completed', output_path = x.output_path, output_size = x.output_size,
        output_inline = x.output_inline, assets = x.assets, logs_path = x.logs_path, selected_next = x.selected_next,
        error = NULL, error_code = NULL, completed_at = ${at}, heartbeat_deadline = NULL, timeout_at = NULL
      FROM input x
      WHERE r.id = x.id AND r.attempt = x.attempt AND ${inFlight(sql, "r.status")}
      RETURNING r.id, r.task_id, r.pipeline_run_id, r.status, r.attempt
    ), ended AS (
      UPDATE task_run_attempts a SET status = 'completed', ended_at = ${at}
      FROM run WHERE a.run_id = run.id AND a.attempt = run.attempt
    )`

/** Several completions in one statement (see `TaskRuns.completeMany`): the runs that matched. */
export const completeManyQuery = (sql: SqlClient.SqlClient) =>
  PlainSqlSchema.findAll({
    Request: CompleteManyRequest,
    Result: CompletedRun,
    execute: ({ at, input }) => sql`WITH ${completedManyCtes(sql, at, input)} SELECT * FROM run`
  })

const decodeCompletedRuns = plainDecoder(Schema.Array(Schema.Struct({ ...TransitionedRun.fields, attempt: Schema.Number })))

/**
 * The completed runs a `completeManyClaiming` row carries as JSON text. Decoded here rather than by a
 * `parseJson` field: a transformed field sends its whole row, a claimed run with it, through Effect's
 * parser, where a plain row is taken as it is (`PlainSqlSchema`).
 */
export const completedRunsOf = (json: string) =>
  Effect.flatMap(Effect.try(() => JSON.parse(json) as unknown), (parsed) => decodeCompletedRuns(parsed))

/**
 * A row of `completeManyClaiming`: one claimed run or none; the first row also carries the completed
 * runs (JSON text, see `completedRunsOf`).
 */
export const CompletionClaimRow = Schema.Union(
  Schema.Struct({ completed: Schema.NullOr(Schema.String), ...ClaimedRun.fields }),
  Schema.Struct({ completed: Schema.NullOr(Schema.String), id: Schema.Null })
)

/**
 * Several completions that also claim, in the same statement, up to `limit` due runs of task types
 * without a concurrency limit (the claim of `TaskRuns.claim` for those types): the slots the
 * completed runs held are filled as their results are written, in one round trip and one commit.
 * A row per claimed run (one with `id` null when none); the completed runs, as JSON, on the first.
 */
export const completeManyClaimingQuery = (sql: SqlClient.SqlClient) =>
  PlainSqlSchema.findAll({
    Request: Schema.Struct({ ...CompleteManyRequest.fields, limit: Schema.Number, orchestratorId: Schema.String }),
    Result: CompletionClaimRow,
    execute: ({ at, input, limit, orchestratorId }) =>
      sql`
        WITH ${completedManyCtes(sql, at, input)},
        ${claimDueUnlimitedCtes(sql, limit, at, orchestratorId)},
        ${dispatchableCtes(sql, at)},
        done AS (
          SELECT json_agg(json_build_object('id', id, 'taskId', task_id, 'pipelineRunId', pipeline_run_id,
            'status', status, 'attempt', attempt))::text AS completed FROM run
        ),
        first AS (SELECT min(id) AS id FROM dispatchable)
        SELECT CASE WHEN d.id IS NULL OR d.id = first.id THEN done.completed END AS completed, d.*
        FROM done CROSS JOIN first LEFT JOIN dispatchable d ON TRUE`
  })
