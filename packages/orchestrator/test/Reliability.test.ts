import { SqlClient } from "@effect/sql"
import { assert, layer } from "@effect/vitest"
import { Clock, Effect, Option, TestClock } from "effect"
import { Callbacks } from "../src/flow/Callbacks.js"
import { DeadLetters } from "../src/flow/DeadLetters.js"
import { DeadlineSweep } from "../src/flow/DeadlineSweep.js"
import { Idempotency } from "../src/flow/Idempotency.js"
import { Registrations } from "../src/flow/Registrations.js"
import { RunResults } from "../src/flow/RunResults.js"
import { services } from "../src/Orchestrator.js"
import { TaskRunReads } from "../src/store/TaskRunReads.js"
import { TaskRuns } from "../src/store/TaskRuns.js"
import { registration, task } from "./support/fixtures.js"
import { databases } from "./support/TestDatabase.js"
import { testSettings } from "./support/TestOrchestrator.js"

const DAY = 86_400_000

const queueRun = (id: string, taskId: string, retries = 3) =>
  Effect.flatMap(TaskRuns, (q) =>
    q.insert([{
      id,
      taskId,
      pipelineRunId: null,
      status: "pending",
      priority: 100,
      retries,
      storageBackend: "local",
      inputPath: `standalone/${id}/input.json`,
      inputInline: null,
      metadata: undefined
    }]))

const claimIds = Effect.flatMap(TaskRuns, (q) => q.claim(50, "orch_test")).pipe(
  Effect.map((claimed) => claimed.map((c) => `${c.id}#${c.attempt}`))
)

const failure = (error: string, extra: Partial<{ retryable: boolean; retryAfterMs: number }> = {}) => ({
  error,
  errorCode: "BOOM",
  retryable: extra.retryable ?? true,
  retryAfterMs: extra.retryAfterMs ?? null,
  logsPath: null
})

const success = (runId: string) => ({
  outputPath: `runs/${runId}/outputs/${runId}.json`,
  outputSize: 2,
  outputInline: null,
  assets: {},
  logsPath: null,
  selectedNext: null
})

const runRow = (id: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => sql`SELECT * FROM task_runs WHERE id = ${id}`).pipe(Effect.orDie)

for (const [name, database] of databases) {
  layer(services(testSettings({ maxRetryDelayMs: DAY }), database()), { timeout: "120 seconds" })(
    `time rules under TestClock (${name})`,
    (it) => {
      it.effect("exponential backoff: attempt 2 after 1000 ms, 3 after 2000, 4 after 4000, capped by maxRetryDelayMs", () =>
        Effect.gen(function*() {
          yield* (yield* Registrations).register(registration("svc-backoff", [
            task("backoff", { retries: 5, retryDelayMs: 1000, maxRetryDelayMs: 5000 })
          ]))
          yield* queueRun("trun_backoff01", "backoff", 5)
          const results = yield* RunResults
          const waits: Array<number> = []
          for (let attempt = 1; attempt <= 6; attempt++) {
            const claimed = yield* claimIds
            assert.deepStrictEqual(claimed, [`trun_backoff01#${attempt}`])
            const failedAt = yield* Clock.currentTimeMillis
            const { status } = yield* results.fail("trun_backoff01", attempt, failure(`attempt ${attempt}`))
            if (attempt === 6) {
              assert.strictEqual(status, "failed")
              break
            }
            const available = ((yield* runRow("trun_backoff01"))[0] as any).availableAt.getTime() - failedAt
            waits.push(available)
            yield* TestClock.adjust(available - 1)
            assert.deepStrictEqual(yield* claimIds, [])
            yield* TestClock.adjust(1)
          }
          assert.deepStrictEqual(waits, [1000, 2000, 4000, 5000, 5000])
          const dlq = yield* (yield* DeadLetters).list({ taskId: "backoff", includeRetried: false, limit: 10, offset: 0 })
          assert.strictEqual(dlq.items[0]!.attempts, 6)
        }))

      it.effect("fixed backoff, RateLimited's retryAfterMs, and non-retryable errors straight to the DLQ", () =>
        Effect.gen(function*() {
          yield* (yield* Registrations).register(registration("svc-fixed", [
            task("fixed", { retries: 3, retryBackoff: "fixed", retryDelayMs: 750 })
          ]))
          const results = yield* RunResults
          yield* queueRun("trun_fixed0001", "fixed")
          yield* claimIds
          const t0 = yield* Clock.currentTimeMillis
          yield* results.fail("trun_fixed0001", 1, failure("once"))
          assert.strictEqual(((yield* runRow("trun_fixed0001"))[0] as any).availableAt.getTime(), t0 + 750)
          yield* TestClock.adjust(750)
          yield* claimIds
          yield* results.fail("trun_fixed0001", 2, { ...failure("slow down"), errorCode: "RATE_LIMITED", retryAfterMs: 12_345 })
          assert.strictEqual(((yield* runRow("trun_fixed0001"))[0] as any).availableAt.getTime(), t0 + 750 + 12_345)
          yield* TestClock.adjust(12_345)
          yield* claimIds
          const { status } = yield* results.fail("trun_fixed0001", 3, failure("bad input", { retryable: false }))
          assert.strictEqual(status, "failed")
          const entry = (yield* (yield* DeadLetters).list({ taskId: "fixed", includeRetried: false, limit: 10, offset: 0 })).items[0]!
          assert.strictEqual(entry.attempts, 3)
          const detail = yield* (yield* DeadLetters).show(entry.id)
          assert.deepStrictEqual(detail.attemptErrors.map((a) => [a.attempt, a.error, a.timestamp.getTime() - t0]), [
            [1, "once", 0],
            [2, "slow down", 750],
            [3, "bad input", 750 + 12_345]
          ])
        }))

      it.effect("no heartbeat within 2 × heartbeatIntervalMs fails the attempt at that instant; heartbeats move the deadline", () =>
        Effect.gen(function*() {
          yield* (yield* Registrations).register(registration("svc-hb", [task("beats", { heartbeatIntervalMs: 1000, retryDelayMs: 100 })]))
          const monitor = yield* DeadlineSweep
          const queue = yield* TaskRuns
          yield* queueRun("trun_beats0001", "beats")
          yield* claimIds
          const t0 = yield* Clock.currentTimeMillis
          yield* TestClock.adjust(1500)
          yield* queue.heartbeat("trun_beats0001", 1)
          yield* TestClock.adjust(1999)
          assert.strictEqual(yield* monitor.sweep, 0)
          yield* TestClock.adjust(1)
          assert.strictEqual(yield* monitor.sweep, 1)
          const run = Option.getOrThrow(yield* (yield* TaskRunReads).get("trun_beats0001"))
          assert.strictEqual(run.status, "pending")
          assert.strictEqual(run.errorCode, "HEARTBEAT_TIMEOUT")
          assert.strictEqual(run.attempts[0]!.status, "timeout")
          assert.strictEqual(run.attempts[0]!.endedAt!.getTime() - t0, 3500)
          assert.strictEqual(run.availableAt.getTime() - t0, 3600)
        }))

      it.effect("an attempt running past its timeout fails with TIMEOUT; its late callback is refused and recorded", () =>
        Effect.gen(function*() {
          yield* (yield* Registrations).register(registration("svc-timeout", [task("slow", { timeout: 5, heartbeatIntervalMs: 1000 })]))
          const monitor = yield* DeadlineSweep
          const queue = yield* TaskRuns
          yield* queueRun("trun_slow00001", "slow")
          yield* claimIds
          for (let t = 0; t < 4; t++) {
            yield* TestClock.adjust(1000)
            yield* queue.heartbeat("trun_slow00001", 1)
          }
          yield* TestClock.adjust(999)
          assert.strictEqual(yield* monitor.sweep, 0)
          yield* TestClock.adjust(1)
          assert.strictEqual(yield* monitor.sweep, 1)
          const before = yield* runRow("trun_slow00001")
          assert.strictEqual((before[0] as any).errorCode, "TIMEOUT")
          const late = yield* Effect.flip((yield* Callbacks).apply("trun_slow00001", {
            status: "success",
            attempt: 1,
            outputPath: "runs/trun_slow00001/outputs/trun_slow00001.json",
            outputSize: 2,
            assets: {}
          }))
          assert.strictEqual(late._tag, "Conflict")
          assert.deepStrictEqual(yield* runRow("trun_slow00001"), before)
          const attempt = Option.getOrThrow(yield* (yield* TaskRunReads).get("trun_slow00001")).attempts[0]!
          assert.strictEqual(attempt.lateCallback?.status, "success")
        }))

      it.effect("an idempotency key: concurrent runs wait, a completed key is cached for idempotencyTTL, then executes again", () =>
        Effect.gen(function*() {
          yield* (yield* Registrations).register(registration("svc-idem", [task("pay", { idempotencyTTL: 60, hasIdempotencyKey: true })]))
          const idempotency = yield* Idempotency
          for (const id of ["trun_payaaaaa1", "trun_paybbbbb1", "trun_payccccc1", "trun_payddddd1"]) yield* queueRun(id, "pay")
          yield* claimIds
          assert.deepStrictEqual(yield* idempotency.claim("trun_payaaaaa1", 1, "order-42"), { _tag: "Execute" })
          assert.deepStrictEqual(yield* idempotency.claim("trun_paybbbbb1", 1, "order-42"), { _tag: "Wait", retryAfterMs: 1000 })
          yield* (yield* RunResults).complete("trun_payaaaaa1", 1, success("trun_payaaaaa1"))
          yield* TestClock.adjust(59_999)
          assert.deepStrictEqual(yield* idempotency.claim("trun_paybbbbb1", 1, "order-42"), { _tag: "Cached", fromRunId: "trun_payaaaaa1" })
          const cached = Option.getOrThrow(yield* (yield* TaskRunReads).get("trun_paybbbbb1"))
          assert.strictEqual(cached.status, "completed")
          assert.strictEqual(cached.outputPath, "runs/trun_payaaaaa1/outputs/trun_payaaaaa1.json")
          yield* TestClock.adjust(1)
          assert.deepStrictEqual(yield* idempotency.claim("trun_payccccc1", 1, "order-42"), { _tag: "Execute" })
          assert.deepStrictEqual(yield* idempotency.claim("trun_payddddd1", 1, "order-7"), { _tag: "Execute" })
        }))

      it.effect("a concurrency slot is released when an attempt ends on a heartbeat timeout", () =>
        Effect.gen(function*() {
          yield* (yield* Registrations).register(registration("svc-slot", [task("single", { concurrency: 1, heartbeatIntervalMs: 500 })]))
          const singles = Effect.map(claimIds, (ids) => ids.filter((id) => id.startsWith("trun_single")))
          yield* queueRun("trun_single001", "single")
          yield* queueRun("trun_single002", "single")
          assert.deepStrictEqual(yield* singles, ["trun_single001#1"])
          assert.deepStrictEqual(yield* singles, [])
          yield* TestClock.adjust(999)
          yield* (yield* DeadlineSweep).sweep
          assert.deepStrictEqual(yield* singles, [])
          yield* TestClock.adjust(1)
          yield* (yield* DeadlineSweep).sweep
          assert.deepStrictEqual(yield* singles, ["trun_single002#1"])
        }))

      it.effect("dead letters are purged exactly DLQ_RETENTION_DAYS after they failed", () =>
        Effect.gen(function*() {
          yield* (yield* Registrations).register(registration("svc-dlq", [task("doomed", { retries: 0 })]))
          yield* queueRun("trun_doomed001", "doomed", 0)
          yield* claimIds
          yield* (yield* RunResults).fail("trun_doomed001", 1, failure("no"))
          const dlq = yield* DeadLetters
          const count = Effect.map(dlq.list({ taskId: "doomed", includeRetried: true, limit: 10, offset: 0 }), (p) => p.total)
          assert.strictEqual(yield* count, 1)
          const monitor = yield* DeadlineSweep
          yield* TestClock.adjust(30 * DAY - 1)
          yield* monitor.purgeDeadLetters
          assert.strictEqual(yield* count, 1)
          yield* TestClock.adjust(1)
          yield* monitor.purgeDeadLetters
          assert.strictEqual(yield* count, 0)
        }))

      it.effect("orphan cleanup: a new service version cancels pending runs of removed task types; the same version keeps them", () =>
        Effect.gen(function*() {
          const registry = yield* Registrations
          yield* registry.register(registration("svc-orphans", [task("keep"), task("drop")], { version: "1.0.0" }))
          yield* queueRun("trun_orphan001", "drop")
          const same = yield* registry.register(registration("svc-orphans", [task("keep")], { version: "1.0.0" }))
          assert.deepStrictEqual(same.orphansCancelled, [])
          assert.strictEqual(((yield* runRow("trun_orphan001"))[0] as any).status, "pending")
          const next = yield* registry.register(registration("svc-orphans", [task("keep")], { version: "1.1.0" }))
          assert.deepStrictEqual(next.orphansCancelled, [{ taskId: "drop", cancelled: 1 }])
          const row = (yield* runRow("trun_orphan001"))[0] as any
          assert.strictEqual(row.status, "cancelled")
          assert.strictEqual(row.error, "Task type removed in version 1.1.0")
        }))
    }
  )
}
