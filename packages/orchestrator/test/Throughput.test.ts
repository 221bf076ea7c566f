import { FetchHttpClient } from "@effect/platform"
import { SqlClient } from "@effect/sql"
import { assert, describe, it, layer } from "@effect/vitest"
import { Effect, Layer, Option, Redacted, TestClock } from "effect"
import { Registrations } from "../src/flow/Registrations.js"
import { ServiceLiveness } from "../src/flow/ServiceLiveness.js"
import { Wakeups } from "../src/flow/Wakeups.js"
import { Registry } from "../src/store/Registry.js"
import { TaskRunReads } from "../src/store/TaskRunReads.js"
import { TaskRuns } from "../src/store/TaskRuns.js"
import { Transactions } from "../src/store/Transactions.js"
import { target } from "./security/Harness.js"
import { registration, task } from "./support/fixtures.js"
import { layerPglite } from "./support/TestDatabase.js"

const newRun = (id: string) => ({
  id,
  taskId: "work",
  pipelineRunId: null,
  status: "pending" as const,
  priority: 100,
  retries: 0,
  storageBackend: "local",
  inputPath: `standalone/${id}/input.json`,
  inputInline: null,
  metadata: {}
})

const NOW = Date.parse("2026-11-30T12:00:00Z")
const minutesAgo = (minutes: number) => new Date(NOW - minutes * 60_000)

/** Finishes `id` with `status` at `at` (the read model is what is under test, not how runs finish). */
const finish = (id: string, status: "completed" | "failed" | "cancelled", at: Date) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => sql`UPDATE task_runs SET status = ${status}, completed_at = ${at} WHERE id = ${id}`)

const Env = Registrations.Default.pipe(
  Layer.provideMerge(ServiceLiveness.Default.pipe(Layer.provide(FetchHttpClient.layer))),
  Layer.provideMerge(Layer.mergeAll(Registry.Default, TaskRuns.Default, TaskRunReads.Default, Transactions.Default, Wakeups.Default)),
  Layer.provideMerge(layerPglite())
)

layer(Env, { timeout: "60 seconds" })("throughput over the last hour", (it) => {
  it.effect("counts completed and failed task runs per minute of the last hour, nothing older or unfinished", () =>
    Effect.gen(function*() {
      yield* (yield* Registrations).register(registration("svc", [task("work")]))
      yield* (yield* TaskRuns).insert(["a", "b", "c", "d", "e", "f", "g"].map((x) => newRun(`trun_${x.repeat(12)}`)))
      yield* finish("trun_aaaaaaaaaaaa", "completed", minutesAgo(0.5)) // the newest minute
      yield* finish("trun_bbbbbbbbbbbb", "completed", minutesAgo(0.9))
      yield* finish("trun_cccccccccccc", "failed", minutesAgo(0.2))
      yield* finish("trun_dddddddddddd", "completed", minutesAgo(59.5)) // the oldest minute
      yield* finish("trun_eeeeeeeeeeee", "completed", minutesAgo(61)) // more than an hour ago
      yield* finish("trun_ffffffffffff", "cancelled", minutesAgo(1))
      // trun_ggg… stays pending
      yield* TestClock.setTime(NOW)
      const reads = yield* TaskRunReads
      const result = yield* reads.throughput(NOW)
      assert.strictEqual(result.buckets.length, 60)
      assert.strictEqual(result.bucketSeconds, 60)
      assert.strictEqual(result.since.getTime(), NOW - 3_600_000)
      assert.strictEqual(result.until.getTime(), NOW)
      assert.deepStrictEqual([result.completed, result.failed], [3, 1])
      assert.deepStrictEqual(result.buckets[59], { start: minutesAgo(1), completed: 2, failed: 1 })
      assert.deepStrictEqual(result.buckets[0], { start: minutesAgo(60), completed: 1, failed: 0 })
      assert.strictEqual(result.buckets.slice(1, 59).every((b) => b.completed === 0 && b.failed === 0), true)
    }))
})

describe("GET /api/queue/throughput over HTTP", () => {
  it.scoped("answers 60 one-minute buckets with the token, 401 without, and changes nothing on hostile requests", () =>
    Effect.gen(function*() {
      const orchestrator = yield* target(layerPglite(), { apiToken: Option.some(Redacted.make("token-1")) })
      const auth = { authorization: "Bearer token-1" }
      const answer = yield* orchestrator.send("/api/queue/throughput", { headers: auth })
      assert.strictEqual(answer.status, 200, answer.text)
      assert.strictEqual(answer.body.buckets.length, 60)
      assert.strictEqual(answer.body.bucketSeconds, 60)
      assert.deepStrictEqual([answer.body.completed, answer.body.failed], [0, 0])
      assert.strictEqual(Date.parse(answer.body.until) - Date.parse(answer.body.since), 3_600_000)
      yield* orchestrator.refused("/api/queue/throughput", {}, 401, /PIPEWEAVE_API_TOKEN/)
      yield* orchestrator.refused("/api/queue/throughput", { headers: { authorization: "Bearer wrong" } }, 401, /PIPEWEAVE_API_TOKEN/)
      const posted = yield* orchestrator.send("/api/queue/throughput", { headers: auth, body: { since: "yesterday" } })
      assert.strictEqual(posted.status, 404, posted.text)
      const withQuery = yield* orchestrator.send("/api/queue/throughput?since=%00&bucketSeconds=-1", { headers: auth })
      assert.strictEqual(withQuery.status, 200, "unknown query parameters are ignored")
      assert.strictEqual(withQuery.body.buckets.length, 60)
    }))
})
