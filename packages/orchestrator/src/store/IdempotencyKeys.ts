import { SqlClient, SqlSchema } from "@effect/sql"
import { Clock, Effect, Schema } from "effect"
import { DbDateOrNull } from "./Rows.js"
import * as Spans from "@pipeweave/domain/Spans"

const KeyRow = Schema.Struct({
  runId: Schema.String,
  status: Schema.Literal("running", "completed"),
  expiresAt: DbDateOrNull,
  ownerStatus: Schema.NullOr(Schema.String)
})

/** Who holds an idempotency key, and in which state that run is. */
export type KeyHolder = typeof KeyRow.Type

/** The only writer of `idempotency_keys`. */
export class IdempotencyKeys extends Effect.Service<IdempotencyKeys>()("@pipeweave/orchestrator/IdempotencyKeys", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const now = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms))

    const lockHolder = SqlSchema.single({
      Request: Schema.Struct({ taskId: Schema.String, key: Schema.String }),
      Result: KeyRow,
      execute: ({ key, taskId }) =>
        sql`SELECT k.run_id, k.status, k.expires_at, r.status AS owner_status
            FROM idempotency_keys k LEFT JOIN task_runs r ON r.id = k.run_id
            WHERE k.task_id = ${taskId} AND k.key = ${key} FOR UPDATE OF k`
    })

    /** Claims the key for `runId` unless someone holds it; returns the holder, locked (call it in a transaction). */
    const claim = Spans.fn("IdempotencyKeys.claim")(function*(taskId: string, key: string, runId: string) {
      const at = yield* now
      yield* sql`INSERT INTO idempotency_keys (task_id, key, run_id, status, claimed_at)
                 VALUES (${taskId}, ${key}, ${runId}, 'running', ${at}) ON CONFLICT DO NOTHING`
      return yield* lockHolder({ taskId, key })
    }, Effect.orDie)

    const takeOver = Spans.fn("IdempotencyKeys.takeOver")(function*(taskId: string, key: string, runId: string) {
      yield* sql`UPDATE idempotency_keys SET run_id = ${runId}, status = 'running', claimed_at = ${yield* now},
                   completed_at = NULL, expires_at = NULL WHERE task_id = ${taskId} AND key = ${key}`
    }, Effect.orDie)

    /** The run completed: its key now caches its output for the task's TTL (or `defaultTtlSeconds`). */
    const completeFor = Spans.fn("IdempotencyKeys.completeFor")(function*(runId: string, defaultTtlSeconds: number) {
      const at = yield* now
      yield* sql`
        UPDATE idempotency_keys k SET status = 'completed', completed_at = ${at},
          expires_at = ${at}::timestamptz + COALESCE(t.idempotency_ttl_seconds, ${defaultTtlSeconds}) * interval '1 second'
        FROM tasks t WHERE k.run_id = ${runId} AND k.status = 'running' AND t.task_id = k.task_id`
    }, Effect.orDie)

    /** The run failed: its key is free again. */
    const releaseFor = Spans.fn("IdempotencyKeys.releaseFor")(function*(runId: string) {
      yield* sql`DELETE FROM idempotency_keys WHERE run_id = ${runId} AND status = 'running'`
    }, Effect.orDie)

    return { claim, takeOver, completeFor, releaseFor } as const
  })
}) {}
