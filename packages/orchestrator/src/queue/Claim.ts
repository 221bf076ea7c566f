import { SqlClient } from "@effect/sql"
import { Effect, Random, Schema } from "effect"
import { DbInt } from "../Rows.js"
import { type AttemptRow, decodeAttemptRows, RunRow } from "./RunRow.js"

/** A run moved to `dispatching`, with what the dispatcher needs to send it. */
export interface ClaimedRun {
  readonly run: RunRow
  readonly serviceId: string
  readonly timeoutSeconds: number
  readonly allowedNext: ReadonlyArray<string>
  readonly workerUrl: string | null
  readonly previousAttempts: ReadonlyArray<AttemptRow>
}

const ClaimedRow = Schema.Struct({
  ...RunRow.fields,
  serviceId: Schema.String,
  timeoutSeconds: DbInt,
  allowedNext: Schema.Array(Schema.String)
})

/** Picks a worker instance, avoiding the one the previous attempt ran on when there is a choice. */
export const pickInstance = (instances: ReadonlyArray<string>, previous: string | null) =>
  Effect.gen(function*() {
    const others = instances.filter((url) => url !== previous)
    const pool = others.length > 0 ? others : instances
    if (pool.length === 0) return null
    return pool[yield* Random.nextIntBetween(0, pool.length)]!
  })

/**
 * Claims up to `limit` due runs in priority order and moves them to `dispatching`, in one
 * transaction. Task types with a `concurrency` limit are first locked (`FOR UPDATE SKIP LOCKED`),
 * so the in-flight count the claim statement reads is current and no two orchestrators fill
 * the same slots; a type another orchestrator is claiming is skipped for this pass.
 */
export const claimRuns = (limit: number, now: Date, orchestratorId: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const locked = yield* sql<{ taskId: string }>`
      SELECT t.task_id FROM tasks t
      WHERE t.concurrency > 0 AND EXISTS (
        SELECT 1 FROM task_runs r WHERE r.task_id = t.task_id AND r.status = 'pending' AND r.available_at <= ${now})
      ORDER BY t.task_id
      FOR UPDATE OF t SKIP LOCKED`
    const rows = yield* Schema.decodeUnknown(Schema.Array(ClaimedRow))(
      yield* sql`
        WITH budget AS (
          SELECT t.task_id,
            CASE WHEN t.concurrency = 0 THEN ${limit}::int
                 ELSE LEAST(${limit}::int, t.concurrency - (
                   SELECT count(*)::int FROM task_runs f
                   WHERE f.task_id = t.task_id AND f.status IN ('dispatching', 'running')))
            END AS free
          FROM tasks t
          WHERE (t.concurrency = 0 OR t.task_id = ANY(${locked.map((l) => l.taskId)}::text[]))
            AND EXISTS (SELECT 1 FROM task_runs r
                        WHERE r.task_id = t.task_id AND r.status = 'pending' AND r.available_at <= ${now})
        ), candidates AS (
          SELECT c.id, c.priority, c.available_at FROM budget b
          CROSS JOIN LATERAL (
            SELECT r.id, r.priority, r.available_at FROM task_runs r
            WHERE r.task_id = b.task_id AND r.status = 'pending' AND r.available_at <= ${now}
            ORDER BY r.priority, r.available_at, r.id
            LIMIT GREATEST(b.free, 0)
            FOR UPDATE SKIP LOCKED
          ) c
        ), picked AS (
          SELECT id FROM candidates ORDER BY priority, available_at, id LIMIT ${limit}::int
        )
        UPDATE task_runs r SET
          status = 'dispatching',
          attempt = r.attempt + 1,
          claimed_by = ${orchestratorId},
          code_version = t.code_version,
          code_hash = t.code_hash,
          heartbeat_interval_ms = t.heartbeat_interval_ms,
          started_at = COALESCE(r.started_at, ${now}::timestamptz),
          last_heartbeat_at = NULL,
          heartbeat_deadline = ${now}::timestamptz + (2 * t.heartbeat_interval_ms) * interval '1 millisecond',
          timeout_at = ${now}::timestamptz + t.timeout_seconds * interval '1 second',
          progress_percent = NULL,
          progress_message = NULL
        FROM picked, tasks t
        WHERE r.id = picked.id AND t.task_id = r.task_id
        RETURNING r.*, t.service_id, t.timeout_seconds, t.allowed_next`
    )
    if (rows.length === 0) return []
    const known = yield* sql<{ serviceId: string; baseUrl: string; reachable: boolean }>`
      SELECT service_id, base_url, unreachable_since IS NULL AS reachable FROM service_instances
      WHERE service_id = ANY(${[...new Set(rows.map((r) => r.serviceId))]}::text[])`
    const instances = rows.length === 0 ? [] : known.filter((i) =>
      i.reachable || !known.some((other) => other.serviceId === i.serviceId && other.reachable))
    const previous = yield* decodeAttemptRows(
      yield* sql`SELECT * FROM task_run_attempts WHERE run_id = ANY(${rows.map((r) => r.id)}::text[])
                 ORDER BY run_id, attempt`
    )
    const claimed = yield* Effect.forEach(rows, (row) =>
      Effect.map(
        pickInstance(instances.filter((i) => i.serviceId === row.serviceId).map((i) => i.baseUrl), row.workerUrl),
        (workerUrl): ClaimedRun => ({
          run: { ...row, workerUrl },
          serviceId: row.serviceId,
          timeoutSeconds: row.timeoutSeconds,
          allowedNext: row.allowedNext,
          workerUrl,
          previousAttempts: previous.filter((a) => a.runId === row.id)
        })
      ))
    yield* sql`INSERT INTO task_run_attempts ${
      sql.insert(claimed.map(({ run, workerUrl }) => ({
        run_id: run.id,
        attempt: run.attempt,
        status: "running",
        code_version: run.codeVersion,
        code_hash: run.codeHash,
        worker_url: workerUrl,
        started_at: now
      })))
    }`
    yield* sql`
      UPDATE task_runs r SET worker_url = a.worker_url FROM task_run_attempts a
      WHERE r.id = ANY(${claimed.map((c) => c.run.id)}::text[]) AND a.run_id = r.id AND a.attempt = r.attempt`
    return claimed
  }).pipe(
    (effect) => Effect.flatMap(SqlClient.SqlClient, (sql) => sql.withTransaction(effect)),
    Effect.orDie,
    Effect.withSpan("TaskQueue.claim")
  )
