import { type SqlClient, SqlSchema, type Statement } from "@effect/sql"
import { Schema } from "effect"
import { ClaimedRun } from "./ClaimedRun.js"
import { heartbeatDeadline } from "./RunSql.js"

/** How many runs to claim, as of when, for which orchestrator. */
const ClaimRequest = Schema.Struct({ limit: Schema.Number, now: Schema.DateFromSelf, orchestratorId: Schema.String })

/** A claim of limited task types: also the ids the caller's transaction locked. */
const LimitedClaimRequest = Schema.Struct({ ...ClaimRequest.fields, lockedTaskIds: Schema.Array(Schema.String) })

/**
 * Moves the runs `picked` selects (ids, locked `FOR UPDATE SKIP LOCKED`) to `dispatching` and records
 * their new attempts, in one statement that also returns what their dispatch needs. The worker
 * instance is chosen here: reachable ones first, avoiding the previous attempt's when there is a choice;
 * with it, how many runs that instance takes in one grouped dispatch.
 */
const claimPicked = (sql: SqlClient.SqlClient, picked: Statement.Fragment, now: Date, orchestratorId: string) =>
  sql`
    WITH picked AS (${picked}),
    claimed AS (
      UPDATE task_runs r SET
        status = 'dispatching',
        attempt = r.attempt + 1,
        claimed_by = ${orchestratorId},
        code_version = t.code_version,
        code_hash = t.code_hash,
        heartbeat_interval_ms = t.heartbeat_interval_ms,
        started_at = COALESCE(r.started_at, ${now}::timestamptz),
        last_heartbeat_at = NULL,
        heartbeat_deadline = ${heartbeatDeadline(sql, now, "t.heartbeat_interval_ms")},
        timeout_at = ${now}::timestamptz + t.timeout_seconds * interval '1 second',
        progress_percent = NULL,
        progress_message = NULL,
        worker_url = (
          SELECT i.base_url FROM service_instances i WHERE i.service_id = t.service_id
          ORDER BY i.unreachable_since IS NOT NULL, i.base_url IS NOT DISTINCT FROM r.worker_url, random()
          LIMIT 1)
      FROM picked, tasks t
      WHERE r.id = picked.id AND t.task_id = r.task_id
      RETURNING r.id, r.task_id, r.pipeline_run_id, r.attempt, r.code_version, r.code_hash, r.heartbeat_interval_ms,
        r.storage_backend, r.input_path, r.input_inline, r.worker_url, r.available_at, t.timeout_seconds, t.allowed_next,
        t.has_idempotency_key, r.traceparent, t.service_id
    ),
    attempts AS (
      INSERT INTO task_run_attempts (run_id, attempt, status, code_version, code_hash, worker_url, started_at)
      SELECT id, attempt, 'running', code_version, code_hash, worker_url, ${now} FROM claimed
    )
    SELECT c.*,
      (SELECT i.dispatch_group_max FROM service_instances i WHERE i.service_id = c.service_id AND i.base_url = c.worker_url)
        AS dispatch_group_max,
      (SELECT COALESCE(json_agg(json_build_object('attempt', a.attempt, 'error', a.error, 'errorCode', a.error_code,
                'timestamp', COALESCE(a.ended_at, a.started_at)) ORDER BY a.attempt), '[]'::json)
         FROM task_run_attempts a WHERE a.run_id = c.id AND a.error IS NOT NULL) AS previous_attempts,
      p.structure,
      p.input_inline AS pipeline_input_inline,
      (SELECT COALESCE(json_agg(json_build_object('taskId', s.task_id, 'outputPath', s.output_path,
                'outputInline', s.output_inline, 'assets', s.assets)), '[]'::json)
         FROM task_runs s WHERE s.pipeline_run_id = c.pipeline_run_id AND s.status = 'completed') AS completed_siblings
    FROM claimed c LEFT JOIN pipeline_runs p ON p.id = c.pipeline_run_id`

/**
 * Claims up to `limit` due runs of task types without a concurrency limit, in priority-then-due
 * order, reading the `task_runs_claim_order` index and stopping at the limit.
 */
const claimUnlimitedStatement = (sql: SqlClient.SqlClient, limit: number, now: Date, orchestratorId: string) =>
  claimPicked(
    sql,
    sql`SELECT r.id FROM task_runs r JOIN tasks t ON t.task_id = r.task_id AND t.concurrency = 0
        WHERE r.status = 'pending' AND r.available_at <= ${now}
        ORDER BY r.priority, r.available_at, r.id
        LIMIT ${limit}
        FOR UPDATE OF r SKIP LOCKED`,
    now,
    orchestratorId
  )

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
  SqlSchema.findAll({
    Request: ClaimRequest,
    Result: ClaimedRun,
    execute: ({ limit, now, orchestratorId }) => claimUnlimitedStatement(sql, limit, now, orchestratorId)
  })

/** `claimLimitedStatement` as a typed query (build it once per client). */
export const claimLimited = (sql: SqlClient.SqlClient) =>
  SqlSchema.findAll({
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
