import { SqlClient } from "@effect/sql"
import { assert, layer } from "@effect/vitest"
import { Effect, Option, TestClock } from "effect"
import { CompletionBatches } from "../src/flow/CompletionBatches.js"
import { DeadlineSweep } from "../src/flow/DeadlineSweep.js"
import { PipelineTrigger } from "../src/flow/PipelineTrigger.js"
import { Registrations } from "../src/flow/Registrations.js"
import { RunResults } from "../src/flow/RunResults.js"
import { services } from "../src/Orchestrator.js"
import { TaskRunReads } from "../src/store/TaskRunReads.js"
import { TaskRuns } from "../src/store/TaskRuns.js"
import { registration, task } from "./support/fixtures.js"
import { databases } from "./support/TestDatabase.js"
import { testSettings } from "./support/TestOrchestrator.js"

const DAY = 86_400_000

const newRun = (id: string, taskId: string) => ({
  id,
  taskId,
  pipelineRunId: null,
  status: "pending" as const,
  priority: 100,
  retries: 0,
  storageBackend: "local",
  inputPath: `standalone/${id}/input.json`,
  inputInline: "{}",
  metadata: undefined
})

const success = (runId: string) => ({
  outputPath: `runs/${runId}/outputs/${runId}.json`,
  outputSize: 2,
  outputInline: "{}",
  assets: {},
  logsPath: null,
  selectedNext: null
})

const failure = { error: "no", errorCode: "X", retryable: false, retryAfterMs: null, logsPath: null }

const counts = Effect.map(Effect.flatMap(TaskRunReads, (r) => r.status), ({ oldestPending: _, ...rest }) => rest)

/** Counts taken by scanning `task_runs`, to check the trigger-kept counts against. */
const scanned = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql<{ status: string; n: number | string }>`SELECT status, count(*) AS n FROM task_runs GROUP BY status`).pipe(
    Effect.map((rows) => {
      const n = (...statuses: ReadonlyArray<string>) =>
        rows.filter((r) => statuses.includes(r.status)).reduce((sum, r) => sum + Number(r.n), 0)
      return {
        pending: n("pending"),
        running: n("dispatching", "running"),
        waiting: n("waiting"),
        completed: n("completed"),
        failed: n("failed")
      }
    }),
    Effect.orDie
  )

for (const [name, database] of databases) {
  layer(services(testSettings({ runRetentionDays: 7, dlqRetentionDays: 30 }), database()), { timeout: "120 seconds" })(
    `run counts, retention and grouped completions (${name})`,
    (it) => {
      it.effect("queue status counts follow every transition without scanning, before and after compaction", () =>
        Effect.gen(function*() {
          yield* (yield* Registrations).register(registration("svc-counts", [task("count-me", { retries: 0 })]))
          const taskRuns = yield* TaskRuns
          const results = yield* RunResults
          yield* taskRuns.insert(["trun_count0001", "trun_count0002", "trun_count0003", "trun_count0004"].map((id) =>
            newRun(id, "count-me")
          ))
          const claimed = yield* taskRuns.claim(3, "orch_test")
          assert.strictEqual(claimed.length, 3)
          yield* results.complete(claimed[0]!.id, 1, success(claimed[0]!.id))
          yield* results.fail(claimed[1]!.id, 1, failure)
          yield* taskRuns.heartbeat(claimed[2]!.id, 1)
          const expected = { pending: 1, running: 1, waiting: 0, completed: 1, failed: 1, dlq: 1 }
          assert.deepStrictEqual(yield* counts, expected)
          const { dlq: _, ...fromCounts } = expected
          assert.deepStrictEqual(yield* scanned, fromCounts)
          yield* (yield* DeadlineSweep).sweep
          const deltas = yield* Effect.flatMap(SqlClient.SqlClient, (sql) => sql`SELECT * FROM task_run_count_deltas`)
          assert.strictEqual(deltas.length, 0)
          assert.deepStrictEqual(yield* counts, expected)
        }))

      it.effect("grouped completions: each caller gets its own answer, a stale attempt a Conflict, an unknown run NotFound", () =>
        Effect.gen(function*() {
          yield* (yield* Registrations).register(registration("svc-batch", [task("batched")]))
          const taskRuns = yield* TaskRuns
          const batches = yield* CompletionBatches
          const ids = Array.from({ length: 30 }, (_, i) => `trun_batch${String(i).padStart(4, "0")}`)
          yield* taskRuns.insert(ids.map((id) => newRun(id, "batched")))
          assert.strictEqual((yield* taskRuns.claim(30, "orch_test")).length, 30)
          const answers = yield* Effect.forEach(
            [...ids.map((id) => [id, 1] as const), [ids[0]!, 2] as const, ["trun_batchnone", 1] as const],
            ([id, attempt]) => Effect.either(batches.complete(id, attempt, success(id))),
            { concurrency: "unbounded" }
          )
          assert.deepStrictEqual(answers.slice(0, 30).map((a) => a._tag === "Right" ? a.right.status : a.left._tag), ids.map(() => "completed"))
          assert.deepStrictEqual(answers.slice(30).map((a) => a._tag === "Left" ? a.left._tag : "ok"), ["Conflict", "NotFound"])
          const run = Option.getOrThrow(yield* (yield* TaskRunReads).get(ids[7]!))
          assert.deepStrictEqual([run.status, run.attempts.map((a) => a.status)], ["completed", ["completed"]])
          // Completions arriving together (as a group of callbacks applies them) share one statement.
          const sql = yield* SqlClient.SqlClient
          const writes = yield* sql<{ n: number }>`SELECT count(DISTINCT xmin::text)::int AS n FROM task_runs WHERE id IN ${sql.in(ids)}`
          assert.strictEqual(writes[0]!.n, 1)
        }))

      it.effect("finished runs are removed after RUN_RETENTION_DAYS, except those a dead letter still holds", () =>
        Effect.gen(function*() {
          yield* (yield* Registrations).register(registration("svc-retain", [
            task("retain", { retries: 0, allowedNext: ["retain-next"] }),
            task("retain-next", { retries: 0 })
          ]))
          const taskRuns = yield* TaskRuns
          const results = yield* RunResults
          const sweep = yield* DeadlineSweep
          yield* taskRuns.insert([newRun("trun_retain001", "retain"), newRun("trun_retain002", "retain")])
          const { pipelineRunId } = yield* (yield* PipelineTrigger).trigger("retain", { input: {}, failureMode: "fail-fast" })
          const claimed = yield* taskRuns.claim(10, "orch_test")
          for (const run of claimed) {
            if (run.id === "trun_retain002") yield* results.fail(run.id, 1, failure)
            else yield* results.complete(run.id, 1, success(run.id))
          }
          const next = yield* taskRuns.claim(10, "orch_test")
          assert.deepStrictEqual(next.map((r) => r.taskId), ["retain-next"])
          yield* results.complete(next[0]!.id, 1, success(next[0]!.id))
          const reads = yield* TaskRunReads
          const present = Effect.gen(function*() {
            const pipeline = yield* Effect.flatMap(SqlClient.SqlClient, (sql) =>
              sql`SELECT id FROM pipeline_runs WHERE id = ${pipelineRunId}`).pipe(Effect.orDie)
            return {
              completed: Option.isSome(yield* reads.get("trun_retain001")),
              deadLettered: Option.isSome(yield* reads.get("trun_retain002")),
              pipelineTask: Option.isSome(yield* reads.get(next[0]!.id)),
              pipeline: pipeline.length > 0
            }
          })
          const purgeAll = Effect.gen(function*() {
            while ((yield* sweep.purgeFinishedRuns) > 0) yield* Effect.void
          })
          yield* TestClock.adjust(7 * DAY - 1)
          yield* purgeAll
          assert.deepStrictEqual(yield* present, { completed: true, deadLettered: true, pipelineTask: true, pipeline: true })
          yield* TestClock.adjust(2)
          yield* purgeAll
          assert.deepStrictEqual(yield* present, { completed: false, deadLettered: true, pipelineTask: false, pipeline: false })
          yield* sweep.sweep
          const { dlq: _, pending: __, ...fromCounts } = yield* counts
          const { pending: ___, ...fromScan } = yield* scanned
          assert.deepStrictEqual(fromCounts, fromScan)
          yield* TestClock.adjust(30 * DAY)
          yield* sweep.purgeDeadLetters
          yield* purgeAll
          assert.deepStrictEqual(yield* present, { completed: false, deadLettered: false, pipelineTask: false, pipeline: false })
        }))
    }
  )
}
