import { type SqlClient, SqlSchema, type Statement } from "@effect/sql"
import { Clock, Effect, Option, Schema } from "effect"
import { DbDateOrNull, DbInt } from "./Rows.js"
import { inFlight } from "./RunSql.js"
import * as Spans from "@pipeweave/domain/Spans"

/** An attempt past its heartbeat deadline or its timeout. */
export const ExpiredAttempt = Schema.Struct({
  id: Schema.String,
  attempt: DbInt,
  timedOut: Schema.Boolean,
  heartbeatIntervalMs: Schema.NullOr(DbInt),
  timeoutSeconds: DbInt
})
export type ExpiredAttempt = typeof ExpiredAttempt.Type

/** Up to `limit` expired attempts as of `at`. */
const ExpiredRequest = Schema.Struct({ at: Schema.DateFromSelf, limit: Schema.Number })

const FAIL_FAST_REASON = "cancelled: another task of the pipeline failed (fail-fast)"

/** The task runs a pipeline's routing moves: started (made pending), skipped, cancelled (fail-fast). */
export interface RoutedMoves {
  readonly start: ReadonlyArray<string>
  readonly skip: ReadonlyArray<string>
  readonly cancel: ReadonlyArray<string>
}

/**
 * Each of pipeline run `pipelineRunId`'s task runs (`w`) with where `moves` takes it, as `next`
 * (`null`: nowhere): a waiting run of a started task becomes pending, of a skipped task skipped; a
 * run of a cancelled task still waiting or in flight is cancelled (that wins over starting it).
 */
export const routedRuns = (sql: SqlClient.SqlClient, pipelineRunId: string, moves: RoutedMoves) =>
  sql`
    SELECT w.id, w.task_id, w.priority, CASE
        WHEN w.task_id = ANY(${moves.cancel}::text[]) AND w.status IN ('waiting', 'pending', 'dispatching', 'running')
          THEN 'cancelled'
        WHEN w.task_id = ANY(${moves.start}::text[]) AND w.status = 'waiting' THEN 'pending'
        WHEN w.task_id = ANY(${moves.skip}::text[]) AND w.status = 'waiting' THEN 'skipped'
      END AS next
    FROM task_runs w WHERE w.pipeline_run_id = ${pipelineRunId}`

/** The columns a routing move sets on run `r` moved to `m.next` at `at`. */
export const routedColumns = (sql: SqlClient.SqlClient, at: Date): ReadonlyArray<readonly [string, Statement.Fragment]> => [
  ["status", sql`m.next`],
  ["available_at", sql`CASE WHEN m.next = 'pending' THEN ${at}::timestamptz ELSE r.available_at END`],
  ["completed_at", sql`CASE WHEN m.next = 'pending' THEN r.completed_at ELSE ${at}::timestamptz END`],
  ["heartbeat_deadline", sql`CASE WHEN m.next = 'cancelled' THEN NULL ELSE r.heartbeat_deadline END`],
  ["timeout_at", sql`CASE WHEN m.next = 'cancelled' THEN NULL ELSE r.timeout_at END`],
  ["error", sql`CASE WHEN m.next = 'cancelled' THEN ${FAIL_FAST_REASON} ELSE r.error END`],
  ["error_code", sql`CASE WHEN m.next = 'cancelled' THEN 'PIPELINE_FAILED' ELSE r.error_code END`]
]

/**
 * The moves of a routing transition (`routedRuns`) as one UPDATE of pipeline run `pipelineRunId`'s
 * task runs. `guard` restricts the rows further (a statement that also completes a run passes
 * "only if it did").
 */
export const routeStatement = (
  sql: SqlClient.SqlClient,
  pipelineRunId: string,
  moves: RoutedMoves,
  at: Date,
  guard: Statement.Fragment = sql.literal("TRUE")
) =>
  sql`
    UPDATE task_runs r SET ${sql.csv(routedColumns(sql, at).map(([column, value]) => sql`${sql.literal(column)} = ${value}`))}
    FROM (${routedRuns(sql, pipelineRunId, moves)}) m
    WHERE r.id = m.id AND m.next IS NOT NULL AND ${guard}`

/**
 * The transitions of `task_runs` that are not one attempt's result: a pipeline's routing (start,
 * skip, cancel), orphaned task types, the monitor's deadlines, and the removal of finished runs
 * after their retention. Part of `TaskRuns`, the table's one writer.
 */
export const runMaintenance = (sql: SqlClient.SqlClient) => {
  const now = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms))
  const findExpired = SqlSchema.findAll({
    Request: ExpiredRequest,
    Result: ExpiredAttempt,
    execute: ({ at, limit }) =>
      sql`
        SELECT r.id, r.attempt, r.timeout_at <= ${at} AS timed_out, r.heartbeat_interval_ms, t.timeout_seconds
        FROM task_runs r JOIN tasks t ON t.task_id = r.task_id
        WHERE ${inFlight(sql, "r.status")} AND (r.heartbeat_deadline <= ${at} OR r.timeout_at <= ${at})
        ORDER BY r.id LIMIT ${limit}`
  })
  const findNextDeadline = SqlSchema.findOne({
    Request: Schema.Void,
    Result: Schema.Struct({ next: DbDateOrNull }),
    execute: () =>
      sql`
        SELECT LEAST(
          (SELECT min(heartbeat_deadline) FROM task_runs WHERE ${inFlight(sql)}),
          (SELECT min(timeout_at) FROM task_runs WHERE ${inFlight(sql)})) AS next`
  })

  const route = Spans.fn("TaskRuns.route")(function*(pipelineRunId: string, moves: RoutedMoves) {
    if (moves.start.length + moves.skip.length + moves.cancel.length === 0) return
    yield* routeStatement(sql, pipelineRunId, moves, yield* now)
  }, Effect.orDie)

  const cancelOrphans = Spans.fn("TaskRuns.cancelOrphans")(
    function*(taskIds: ReadonlyArray<string>, reason: string) {
      const at = yield* now
      return yield* sql<{ taskId: string }>`
        UPDATE task_runs SET status = 'cancelled', error = ${reason}, error_code = 'ORPHANED', completed_at = ${at}
        WHERE status IN ('pending', 'waiting') AND task_id = ANY(${taskIds}::text[])
        RETURNING task_id`
    },
    Effect.orDie
  )

  const expired = Spans.fn("TaskRuns.expired")(function*(limit: number) {
    const at = yield* now
    return yield* findExpired({ at, limit })
  }, Effect.orDie)

  const nextDeadline = findNextDeadline().pipe(
    Effect.map(Option.match({ onNone: () => null, onSome: (row) => row.next })),
    Effect.orDie,
    Spans.withSpan("TaskRuns.nextDeadline")
  )

  /** Gives every attempt in flight a full heartbeat interval pair from `now` (an orchestrator just started). */
  /**
   * Gives every attempt in flight a heartbeat deadline at least max(2 × its interval, `graceMs`)
   * from now; returns how many attempts that covered.
   */
  const extendDeadlines = Spans.fn("TaskRuns.extendDeadlines")(function*(graceMs: number) {
    const at = yield* now
    const extended = yield* sql<{ id: string }>`
      UPDATE task_runs SET heartbeat_deadline = GREATEST(heartbeat_deadline,
        ${at}::timestamptz + GREATEST(2 * heartbeat_interval_ms, ${graceMs}) * interval '1 millisecond')
      WHERE ${inFlight(sql)} RETURNING id`
    return extended.length
  }, Effect.orDie)

  /**
   * Removes up to `batch` runs that finished before `cutoff`: standalone runs (unless a dead letter
   * still holds them) and the task runs of pipeline runs that ended before it, then those pipeline
   * runs. Returns how many task runs went.
   */
  const purgeFinished = Spans.fn("TaskRuns.purgeFinished")(function*(cutoff: Date, batch: number) {
    const removed = yield* sql<{ id: string }>`
      DELETE FROM task_runs WHERE id IN (
        (SELECT r.id FROM task_runs r
        WHERE r.status IN ('completed', 'failed', 'cancelled', 'skipped') AND r.completed_at < ${cutoff}
          AND r.pipeline_run_id IS NULL
          AND NOT EXISTS (SELECT 1 FROM dead_letters d WHERE d.task_run_id = r.id)
        LIMIT ${batch})
        UNION ALL
        (SELECT r.id FROM pipeline_runs p JOIN task_runs r ON r.pipeline_run_id = p.id
        WHERE p.status <> 'running' AND p.completed_at < ${cutoff}
          AND NOT EXISTS (SELECT 1 FROM dead_letters d WHERE d.pipeline_run_id = p.id)
        LIMIT ${batch}))
      RETURNING id`
    return removed.length
  }, Effect.orDie)

  return { route, cancelOrphans, expired, nextDeadline, extendDeadlines, purgeFinished } as const
}
