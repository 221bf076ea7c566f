import { SqlClient } from "@effect/sql"
import { ErrorCodes } from "@pipeweave/domain/TaskErrors"
import { Cause, Clock, Duration, Effect, Schema } from "effect"
import { OrchestratorConfig } from "../Config.js"
import { RunResults } from "../queue/RunResults.js"
import { DbDateOrNull, DbInt } from "../Rows.js"

const Expired = Schema.Struct({
  id: Schema.String,
  attempt: DbInt,
  timedOut: Schema.Boolean,
  heartbeatIntervalMs: Schema.NullOr(DbInt),
  timeoutSeconds: DbInt
})

const DAY_MS = 86_400_000
const PURGE_EVERY_MS = 3_600_000

/**
 * Enforces the time rules of running attempts and of the dead letter queue: an attempt with no
 * heartbeat for 2 × `heartbeatIntervalMs` fails with `HEARTBEAT_TIMEOUT`, one running past its
 * `timeout` fails with `TIMEOUT` (both retried like any failure), and dead letters older than
 * `DLQ_RETENTION_DAYS` are purged. Deadlines are stored with each run and compared with the
 * Clock, so a sweep at instant t fails exactly the attempts whose deadline is at or before t.
 */
export class Monitor extends Effect.Service<Monitor>()("@pipeweave/orchestrator/Monitor", {
  scoped: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const config = yield* OrchestratorConfig
    const results = yield* RunResults
    const now = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms))

    const sweep = Effect.gen(function*() {
      const at = yield* now
      const expired = yield* Schema.decodeUnknown(Schema.Array(Expired))(
        yield* sql`
          SELECT r.id, r.attempt, r.timeout_at <= ${at} AS timed_out, r.heartbeat_interval_ms, t.timeout_seconds
          FROM task_runs r JOIN tasks t ON t.task_id = r.task_id
          WHERE r.status IN ('dispatching', 'running') AND (r.heartbeat_deadline <= ${at} OR r.timeout_at <= ${at})
          ORDER BY r.id LIMIT 500`
      )
      for (const run of expired) {
        const failure = run.timedOut
          ? { error: `timed out after ${run.timeoutSeconds} s`, errorCode: ErrorCodes.timeout }
          : {
            error: `no heartbeat for ${2 * (run.heartbeatIntervalMs ?? 0)} ms (2 × heartbeatIntervalMs)`,
            errorCode: ErrorCodes.heartbeatTimeout
          }
        yield* results.fail(run.id, run.attempt, { ...failure, retryable: true, retryAfterMs: null, logsPath: null }).pipe(
          Effect.catchTags({ Conflict: () => Effect.void, NotFound: () => Effect.void })
        )
      }
      return expired.length
    }).pipe(Effect.orDie, Effect.withSpan("Monitor.sweep"))

    const purgeDeadLetters = Effect.gen(function*() {
      const cutoff = new Date((yield* Clock.currentTimeMillis) - config.dlqRetentionDays * DAY_MS)
      const purged = yield* sql`DELETE FROM dead_letters WHERE failed_at <= ${cutoff} RETURNING id`
      return purged.length
    }).pipe(Effect.orDie)

    const nextDeadline = Effect.gen(function*() {
      const rows = yield* Schema.decodeUnknown(Schema.Array(Schema.Struct({ next: DbDateOrNull })))(
        yield* sql`SELECT min(LEAST(heartbeat_deadline, timeout_at)) AS next FROM task_runs
                   WHERE status IN ('dispatching', 'running')`
      )
      return rows[0]?.next ?? null
    }).pipe(Effect.orDie)

    const graceOnStart = Effect.gen(function*() {
      const at = yield* now
      yield* sql`UPDATE task_runs SET heartbeat_deadline = GREATEST(heartbeat_deadline,
                   ${at}::timestamptz + (2 * heartbeat_interval_ms) * interval '1 millisecond')
                 WHERE status IN ('dispatching', 'running')`
    }).pipe(Effect.orDie)

    if (config.mode === "standalone") {
      yield* graceOnStart
      let lastPurge = Number.NEGATIVE_INFINITY
      const tick = Effect.gen(function*() {
        yield* sweep
        const at = yield* Clock.currentTimeMillis
        if (at - lastPurge >= PURGE_EVERY_MS) {
          lastPurge = at
          yield* purgeDeadLetters
        }
        const next = yield* nextDeadline
        const wait = next === null ? config.pollIntervalMs : Math.max(0, Math.min(config.pollIntervalMs, next.getTime() - at))
        yield* Effect.sleep(Duration.millis(wait))
      }).pipe(Effect.catchAllCause((cause) =>
        Cause.isInterruptedOnly(cause)
          ? Effect.failCause(cause)
          : Effect.zipRight(Effect.logError("monitor sweep failed", cause), Effect.sleep(Duration.millis(config.pollIntervalMs)))
      ))
      yield* Effect.forkScoped(Effect.forever(tick))
    }
    return { sweep, purgeDeadLetters, graceOnStart } as const
  })
}) {}
