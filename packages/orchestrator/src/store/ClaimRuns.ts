import type { SqlClient, Statement } from "@effect/sql"
import * as PlainSqlSchema from "./PlainSqlSchema.js"
import { Schema } from "effect"
import { ClaimedRun } from "./ClaimedRun.js"
import { heartbeatDeadline } from "./RunSql.js"

/** How many runs to claim, as of when, for which orchestrator. */
const ClaimRequest = Schema.Struct({ limit: Schema.Number, now: Schema.DateFromSelf, orchestratorId: Schema.String })

/** A claim of limited task types: also the ids the caller's transaction locked. */
const LimitedClaimRequest = Schema.Struct({ ...ClaimRequest.fields, lockedTaskIds: Schema.Array(Schema.String) })

/** What a claimed attempt's columns are computed from, for a run of task `t`. */
export interface ClaimOf {
  readonly now: Date
  readonly orchestratorId: string
  /** The attempt it starts. */
  readonly attempt: Statement.Fragment
  /** When the run first started. */
  readonly startedAt: Statement.Fragment
  /** The instance its previous attempt went to, avoided when there is a choice. */
  readonly previousWorker: Statement.Fragment
}

/**
 * The columns a claim sets, and to what (`null`: cleared): the task's code and timings, this
 * orchestrator, and the worker instance (reachable ones first, avoiding the previous attempt's when
 * there is a choice). Used by the claim of due runs (an `UPDATE`) and by the insert that claims
 * (`insertClaiming`), where the cleared ones keep their default.
 */
export const claimColumns = (
  sql: SqlClient.SqlClient,
  claim: ClaimOf
): ReadonlyArray<readonly [string, Statement.Fragment | null]> => [
  ["status", sql`'dispatching'`],
  ["attempt", claim.attempt],
  ["claimed_by", sql`${claim.orchestratorId}`],
  ["code_version", sql`t.code_version`],
  ["code_hash", sql`t.code_hash`],
  ["heartbeat_interval_ms", sql`t.heartbeat_interval_ms`],
  ["started_at", claim.startedAt],
  ["last_heartbeat_at", null],
  ["heartbeat_deadline", heartbeatDeadline(sql, claim.now, "t.heartbeat_interval_ms")],
  ["timeout_at", sql`${claim.now}::timestamptz + t.timeout_seconds * interval '1 second'`],
  ["progress_percent", null],
  ["progress_message", null],
  ["worker_url", sql`(
    SELECT i.base_url FROM service_instances i WHERE i.service_id = t.service_id
    ORDER BY i.unreachable_since IS NOT NULL, i.base_url IS NOT DISTINCT FROM ${claim.previousWorker}, random()
    LIMIT 1)`]
]

/** What the same statement wrote that its snapshot does not show, and a claim's dispatch reads. */
export interface WrittenAlongside {
  /** A relation of runs it completed (`pipeline_run_id, task_id, output_path, output_inline, assets`). */
  readonly completed?: Statement.Fragment
  /** A relation of pipeline runs it inserted (`id, structure, input_inline`). */
  readonly pipelines?: Statement.Fragment
}

/**
 * The claimed runs' new attempts, and `dispatchable`: each run in `claimed` with what its dispatch
 * needs, including what the same statement wrote alongside (`WrittenAlongside`).
 */
export const dispatchableCtes = (sql: SqlClient.SqlClient, now: Date, alongside: WrittenAlongside = {}) =>
  sql`
    attempts AS (
      INSERT INTO task_run_attempts (run_id, attempt, status, code_version, code_hash, worker_url, started_at)
      SELECT id, attempt, 'running', code_version, code_hash, worker_url, ${now} FROM claimed
    ),
    dispatchable AS (
      SELECT c.*,
        (SELECT i.dispatch_group_max FROM service_instances i WHERE i.service_id = c.service_id AND i.base_url = c.worker_url)
          AS dispatch_group_max,
        (SELECT COALESCE(json_agg(json_build_object('attempt', a.attempt, 'error', a.error, 'errorCode', a.error_code,
                  'timestamp', COALESCE(a.ended_at, a.started_at)) ORDER BY a.attempt), '[]'::json)
           FROM task_run_attempts a WHERE a.run_id = c.id AND a.error IS NOT NULL) AS previous_attempts,
        ${
    alongside.pipelines === undefined
      ? sql`p.structure, p.input_inline AS pipeline_input_inline,`
      : sql`COALESCE(p.structure, np.structure) AS structure,
        COALESCE(p.input_inline, np.input_inline) AS pipeline_input_inline,`
  }
        (SELECT COALESCE(json_agg(json_build_object('taskId', s.task_id, 'outputPath', s.output_path,
                  'outputInline', s.output_inline, 'assets', s.assets)), '[]'::json)
           FROM ${
    alongside.completed === undefined
      ? sql`task_runs s WHERE s.pipeline_run_id = c.pipeline_run_id AND s.status = 'completed'`
      : sql`(
             SELECT task_id, output_path, output_inline, assets FROM task_runs
             WHERE pipeline_run_id = c.pipeline_run_id AND status = 'completed'
             UNION ALL
             SELECT task_id, output_path, output_inline, assets FROM ${alongside.completed} WHERE pipeline_run_id = c.pipeline_run_id
           ) s`
  }) AS completed_siblings
      FROM claimed c LEFT JOIN pipeline_runs p ON p.id = c.pipeline_run_id${
    alongside.pipelines === undefined ? sql`` : sql` LEFT JOIN ${alongside.pipelines} np ON np.id = c.pipeline_run_id`
  }
    )`

/** The claimed runs' new attempts, and each with what its dispatch needs (see `dispatchableCtes`). */
const claimedTail = (sql: SqlClient.SqlClient, now: Date) => sql`${dispatchableCtes(sql, now)} SELECT * FROM dispatchable`

/** What `claimed` returns of a run and its task, `r` and `t`. */
export const claimedColumns = (sql: SqlClient.SqlClient) =>
  sql`r.id, r.task_id, r.pipeline_run_id, r.attempt, r.code_version, r.code_hash, r.heartbeat_interval_ms,
    r.storage_backend, r.input_path, r.input_inline, r.worker_url, r.available_at, t.timeout_seconds, t.allowed_next,
    t.has_idempotency_key, r.traceparent, t.service_id`

/**
 * `picked` (the ids `picked` selects, locked `FOR UPDATE SKIP LOCKED`) and `claimed`: those runs
 * moved to `dispatching`, as CTEs of a larger statement (followed by `dispatchableCtes`).
 */
const claimPickedCtes = (sql: SqlClient.SqlClient, picked: Statement.Fragment, now: Date, orchestratorId: string) =>
  sql`
    picked AS (${picked}),
    claimed AS (
      UPDATE task_runs r SET ${
    sql.csv(
      claimColumns(sql, {
        now,
        orchestratorId,
        attempt: sql`r.attempt + 1`,
        startedAt: sql`COALESCE(r.started_at, ${now}::timestamptz)`,
        previousWorker: sql`r.worker_url`
      }).map(([column, value]) => sql`${sql.literal(column)} = ${value ?? sql`NULL`}`)
    )
  }
      FROM picked, tasks t
      WHERE r.id = picked.id AND t.task_id = r.task_id
      RETURNING ${claimedColumns(sql)}
    )`

/**
 * Moves the runs `picked` selects to `dispatching` and records their new attempts, in one
 * statement that also returns what their dispatch needs, with how many runs the chosen instance
 * takes in one grouped dispatch.
 */
const claimPicked = (sql: SqlClient.SqlClient, picked: Statement.Fragment, now: Date, orchestratorId: string) =>
  sql`WITH ${claimPickedCtes(sql, picked, now, orchestratorId)}, ${claimedTail(sql, now)}`

/**
 * The ids of up to `limit` due runs of task types without a concurrency limit, in
 * priority-then-due order, reading the `task_runs_claim_order` index and stopping at the limit.
 */
const dueUnlimited = (sql: SqlClient.SqlClient, limit: number, now: Date) =>
  sql`SELECT r.id FROM task_runs r JOIN tasks t ON t.task_id = r.task_id AND t.concurrency = 0
      WHERE r.status = 'pending' AND r.available_at <= ${now}
      ORDER BY r.priority, r.available_at, r.id
      LIMIT ${limit}
      FOR UPDATE OF r SKIP LOCKED`

/**
 * `picked` and `claimed` (see `claimPickedCtes`) for up to `limit` due runs of task types without a
 * concurrency limit: the claim of `claimUnlimited`, inside another statement.
 */
export const claimDueUnlimitedCtes = (sql: SqlClient.SqlClient, limit: number, now: Date, orchestratorId: string) =>
  claimPickedCtes(sql, dueUnlimited(sql, limit, now), now, orchestratorId)

/** Claims up to `limit` due runs of task types without a concurrency limit (see `dueUnlimited`). */
const claimUnlimitedStatement = (sql: SqlClient.SqlClient, limit: number, now: Date, orchestratorId: string) =>
  claimPicked(sql, dueUnlimited(sql, limit, now), now, orchestratorId)

/**
 * Claims up to `limit` due runs of the task types in `lockedTaskIds` — locked by the caller's
 * transaction, so the in-flight counts read here are current — never beyond each type's concurrency.
 */
const claimLimitedStatement = (
  sql: SqlClient.SqlClient,
  limit: number,
  now: Date,
  orchestratorId: string,
  lockedTaskIds: ReadonlyArray<string>
) =>
  claimPicked(
    sql,
    sql`SELECT c.id FROM tasks t
        CROSS JOIN LATERAL (
          SELECT r.id, r.priority, r.available_at FROM task_runs r
          WHERE r.task_id = t.task_id AND r.status = 'pending' AND r.available_at <= ${now}
          ORDER BY r.priority, r.available_at, r.id
          LIMIT GREATEST(0, t.concurrency - (
            SELECT count(*)::int FROM task_runs f
            WHERE f.task_id = t.task_id AND f.status IN ('dispatching', 'running')))
          FOR UPDATE SKIP LOCKED
        ) c
        WHERE t.task_id = ANY(${lockedTaskIds}::text[])
        ORDER BY c.priority, c.available_at, c.id
        LIMIT ${limit}`,
    now,
    orchestratorId
  )

/** `claimUnlimitedStatement` as a typed query (build it once per client). */
export const claimUnlimited = (sql: SqlClient.SqlClient) =>
  PlainSqlSchema.findAll({
    Request: ClaimRequest,
    Result: ClaimedRun,
    execute: ({ limit, now, orchestratorId }) => claimUnlimitedStatement(sql, limit, now, orchestratorId)
  })

/** `claimLimitedStatement` as a typed query (build it once per client). */
export const claimLimited = (sql: SqlClient.SqlClient) =>
  PlainSqlSchema.findAll({
    Request: LimitedClaimRequest,
    Result: ClaimedRun,
    execute: ({ limit, lockedTaskIds, now, orchestratorId }) =>
      claimLimitedStatement(sql, limit, now, orchestratorId, lockedTaskIds)
  })

/** Locks the limited task types that have due runs (skipping those another orchestrator holds). */
export const lockLimitedTypes = (sql: SqlClient.SqlClient, now: Date) =>
  sql<{ taskId: string }>`
    SELECT t.task_id FROM tasks t
    WHERE t.concurrency > 0 AND EXISTS (
      SELECT 1 FROM task_runs r WHERE r.task_id = t.task_id AND r.status = 'pending' AND r.available_at <= ${now})
    ORDER BY t.task_id
    FOR UPDATE OF t SKIP LOCKED`

/** A run as `insertClaiming` reads it: `task_runs` columns, and its place in the request. */
export interface InsertedRunRow {
  readonly ord: number
  readonly id: string
  readonly task_id: string
  readonly pipeline_run_id: string | null
  readonly status: "pending" | "waiting"
  readonly priority: number
  readonly max_attempts: number
  readonly storage_backend: string
  readonly input_path: string
  readonly input_inline: string | null
  readonly metadata: unknown
  readonly traceparent: string | null
}

/** What an unclaimed run's claim columns hold: its own status, no attempt yet, nothing else. */
const unclaimed = (sql: SqlClient.SqlClient, column: string) =>
  column === "status" ? sql`x.status` : column === "attempt" ? sql`0` : sql`NULL`

/**
 * Inserts runs (`rows`, JSON of `InsertedRunRow`s) and claims up to `limit` of the pending ones as
 * it does, in one statement: those of task types without a concurrency limit, when no due run of the
 * same or a higher priority is waiting before them (nothing is overtaken), in priority-then-request
 * order. Returns the claimed runs as the claim of due runs does; the others are inserted as given.
 * `pipeline`, an `INSERT INTO pipeline_runs … RETURNING id, structure, input_inline`, runs first in
 * the same statement: a triggered run and its task runs are written (and its entry tasks claimed)
 * together.
 */
const insertClaimingStatement = (
  sql: SqlClient.SqlClient,
  rows: string,
  limit: number,
  now: Date,
  orchestratorId: string,
  pipeline: Statement.Fragment | undefined
) => {
  const columns = claimColumns(sql, {
    now,
    orchestratorId,
    attempt: sql`1`,
    startedAt: sql`${now}::timestamptz`,
    previousWorker: sql`NULL::text`
  }).flatMap(([column, value]) => value === null ? [] : [[column, value] as const])
  return sql`
    WITH ${pipeline === undefined ? sql`` : sql`pipeline AS (${pipeline}),`}
    input AS (
      SELECT * FROM json_to_recordset(${rows}::json) AS x(ord int, id text, task_id text, pipeline_run_id text,
        status text, priority int, max_attempts int, storage_backend text, input_path text, input_inline text,
        metadata jsonb, traceparent text)
    ),
    taken AS (
      SELECT x.id FROM input x JOIN tasks t ON t.task_id = x.task_id AND t.concurrency = 0
      WHERE x.status = 'pending' AND NOT EXISTS (
        SELECT 1 FROM task_runs r WHERE r.status = 'pending' AND r.priority <= x.priority AND r.available_at <= ${now})
      ORDER BY x.priority, x.ord
      LIMIT ${limit}
    ),
    inserted AS (
      INSERT INTO task_runs AS r (id, task_id, pipeline_run_id, priority, max_attempts, storage_backend, input_path,
        input_inline, metadata, created_at, available_at, traceparent, ${sql.csv(columns.map(([column]) => sql.literal(column)))})
      SELECT x.id, x.task_id, x.pipeline_run_id, x.priority, x.max_attempts, x.storage_backend, x.input_path,
        x.input_inline, x.metadata, ${now}::timestamptz, ${now}::timestamptz, x.traceparent, ${
    sql.csv(columns.map(([column, value]) =>
      sql`CASE WHEN k.id IS NULL THEN ${unclaimed(sql, column)} ELSE ${value} END`
    ))
  }
      FROM input x LEFT JOIN taken k ON k.id = x.id LEFT JOIN tasks t ON t.task_id = x.task_id
      RETURNING r.*
    ),
    claimed AS (
      SELECT ${claimedColumns(sql)} FROM inserted r JOIN tasks t ON t.task_id = r.task_id WHERE r.status = 'dispatching'
    ),
    ${dispatchableCtes(sql, now, pipeline === undefined ? {} : { pipelines: sql.literal("pipeline") })}
    SELECT * FROM dispatchable`
}

/** `insertClaimingStatement` as a typed query (build it once per client). */
export const insertClaiming = (sql: SqlClient.SqlClient) =>
  PlainSqlSchema.findAll({
    Request: Schema.Struct({
      ...ClaimRequest.fields,
      rows: Schema.String,
      pipeline: Schema.Any as Schema.Schema<Statement.Fragment | undefined>
    }),
    Result: ClaimedRun,
    execute: ({ limit, now, orchestratorId, pipeline, rows }) =>
      insertClaimingStatement(sql, rows, limit, now, orchestratorId, pipeline)
  })
