import { SqlClient } from "@effect/sql"
import type { IdempotencyDecision } from "@pipeweave/domain/Idempotency"
import * as StorageKeys from "@pipeweave/domain/StorageKeys"
import { Clock, Effect, Schema } from "effect"
import { DbDateOrNull } from "../Rows.js"
import { decodeRunRows } from "./RunRow.js"
import { RunResults } from "./RunResults.js"

const KeyRow = Schema.Struct({
  runId: Schema.String,
  status: Schema.Literal("running", "completed"),
  expiresAt: DbDateOrNull,
  ownerStatus: Schema.NullOr(Schema.String)
})

const WAIT_MS = 1000

/**
 * Idempotency keys (spec "Idempotency"): the first attempt to claim a task's key executes; while
 * it runs, others wait; once it completed, any run with the key within its TTL is completed with
 * the cached output — and routed, so downstream tasks still run — without calling the handler.
 * A key whose run failed is released and can be claimed again.
 */
export class Idempotency extends Effect.Service<Idempotency>()("@pipeweave/orchestrator/Idempotency", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const results = yield* RunResults

    const claim = (runId: string, attempt: number, key: string) =>
      results.inPipeline(runId, (pipeline, taskId) =>
        Effect.gen(function*() {
          const now = new Date(yield* Clock.currentTimeMillis)
          const current = yield* decodeRunRows(
            yield* sql`SELECT * FROM task_runs WHERE id = ${runId} AND attempt = ${attempt}
                       AND status IN ('dispatching', 'running') FOR UPDATE`
          )
          if (current[0] === undefined) return yield* results.explainMiss(runId, attempt)
          yield* sql`INSERT INTO idempotency_keys (task_id, key, run_id, status, claimed_at)
                     VALUES (${taskId}, ${key}, ${runId}, 'running', ${now}) ON CONFLICT DO NOTHING`
          const rows = yield* Schema.decodeUnknown(Schema.Array(KeyRow))(
            yield* sql`SELECT k.run_id, k.status, k.expires_at, r.status AS owner_status
                       FROM idempotency_keys k LEFT JOIN task_runs r ON r.id = k.run_id
                       WHERE k.task_id = ${taskId} AND k.key = ${key} FOR UPDATE OF k`
          )
          const row = rows[0]!
          const takeOver = sql`UPDATE idempotency_keys SET run_id = ${runId}, status = 'running', claimed_at = ${now},
                                 completed_at = NULL, expires_at = NULL WHERE task_id = ${taskId} AND key = ${key}`
          if (row.runId === runId) return { _tag: "Execute" } as IdempotencyDecision
          if (row.status === "running") {
            if (row.ownerStatus === "dispatching" || row.ownerStatus === "running" || row.ownerStatus === "pending") {
              return { _tag: "Wait", retryAfterMs: WAIT_MS } as IdempotencyDecision
            }
            yield* takeOver
            return { _tag: "Execute" } as IdempotencyDecision
          }
          if (row.expiresAt === null || row.expiresAt.getTime() <= now.getTime()) {
            yield* takeOver
            return { _tag: "Execute" } as IdempotencyDecision
          }
          const cached = yield* decodeRunRows(yield* sql`SELECT * FROM task_runs WHERE id = ${row.runId}`)
          const source = cached[0]
          if (source === undefined || source.outputPath === null) {
            yield* takeOver
            return { _tag: "Execute" } as IdempotencyDecision
          }
          yield* results.completeLocked(runId, attempt, {
            outputPath: source.outputPath,
            outputSize: source.outputSize ?? 0,
            assets: source.assets,
            logsPath: StorageKeys.logs(StorageKeys.runScope(runId, current[0].pipelineRunId), runId),
            selectedNext: source.selectedNext
          }, pipeline, taskId)
          return { _tag: "Cached", fromRunId: source.id } as IdempotencyDecision
        }).pipe(Effect.catchTags({ SqlError: Effect.die, ParseError: Effect.die })))

    return { claim } as const
  })
}) {}
