import { FetchHttpClient } from "@effect/platform"
import { SqlClient } from "@effect/sql"
import { assert, layer } from "@effect/vitest"
import { type PipelineStructure } from "@pipeweave/domain/pipeline/PipelineStructure"
import { completeTask, initialState, type RoutingState } from "@pipeweave/domain/pipeline/Routing"
import { Clock, Deferred, Effect, Fiber, Layer, Option, TestClock } from "effect"
import { Registrations } from "../src/flow/Registrations.js"
import { ServiceLiveness } from "../src/flow/ServiceLiveness.js"
import { Wakeups } from "../src/flow/Wakeups.js"
import type { NewPipelineRun } from "../src/store/PipelineRuns.js"
import { Registry } from "../src/store/Registry.js"
import { TaskRunReads } from "../src/store/TaskRunReads.js"
import { TaskRuns } from "../src/store/TaskRuns.js"
import { Transactions } from "../src/store/Transactions.js"
import { registration, task } from "./support/fixtures.js"
import { databases } from "./support/TestDatabase.js"

const newRun = (id: string, taskId: string, priority = 100, retries = 3) => ({
  id,
  taskId,
  pipelineRunId: null,
  status: "pending" as const,
  priority,
  retries,
  storageBackend: "local",
  inputPath: `standalone/${id}/input.json`,
  inputInline: null,
  metadata: { id }
})

const success = (id: string) => ({
  outputPath: `runs/${id}/outputs/${id}.json`,
  outputSize: 2,
  outputInline: null,
  assets: {},
  logsPath: null,
  selectedNext: null
})

const reset = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql`TRUNCATE services, service_instances, tasks, task_code_history, task_runs, task_run_attempts, dead_letters, pipelines,
        pipeline_runs, idempotency_keys, task_run_counts, task_run_count_deltas CASCADE`)

for (const [name, database] of databases) {
  const Env = Registrations.Default.pipe(
    Layer.provideMerge(ServiceLiveness.Default.pipe(Layer.provide(FetchHttpClient.layer))),
    Layer.provideMerge(Layer.mergeAll(Registry.Default, TaskRuns.Default, TaskRunReads.Default, Transactions.Default, Wakeups.Default)),
    Layer.provideMerge(database())
  )

  layer(Env, { timeout: "60 seconds" })(`TaskRuns on ${name}`, (it) => {
    it.effect("registration assigns code versions, records history and reports code changes", () =>
      Effect.gen(function*() {
        yield* reset
        const t0 = yield* Clock.currentTimeMillis
        const registry = yield* Registrations
        const first = yield* registry.register(registration("svc", [task("a"), task("b")]))
        assert.deepStrictEqual(first.tasks.map((t) => [t.taskId, t.codeVersion]), [["a", 1], ["b", 1]])
        assert.deepStrictEqual(first.codeChanges, [])
        const same = yield* registry.register(registration("svc", [task("a"), task("b")]))
        assert.deepStrictEqual(same.codeChanges, [])
        yield* TestClock.adjust(1000)
        const changed = yield* registry.register(registration("svc", [task("a", {}, "a2"), task("b")], { version: "1.1.0" }))
        assert.deepStrictEqual(changed.codeChanges.map((c) => [c.taskId, c.oldVersion, c.newVersion]), [["a", 1, 2]])
        const history = yield* (yield* Registry).history("a")
        assert.deepStrictEqual(history.map((h) => [h.code_version, h.service_version]), [[2, "1.1.0"], [1, "1.0.0"]])
        assert.strictEqual(history[0]!.recorded_at.getTime(), t0 + 1000)
      }))

    it.effect("claims in priority order and never exceeds a task type's concurrency", () =>
      Effect.gen(function*() {
        yield* reset
        const registry = yield* Registrations
        const queue = yield* TaskRuns
        yield* registry.register(registration("svc", [task("limited", { concurrency: 2 }), task("free")]))
        yield* queue.insert([
          newRun("trun_limited1", "limited", 1),
          newRun("trun_limited2", "limited", 2),
          newRun("trun_limited3", "limited", 3),
          newRun("trun_free00001", "free", 50),
          newRun("trun_free00002", "free", 5)
        ])
        const claimed = yield* queue.claim(10, "orch_test")
        assert.deepStrictEqual(claimed.map((c) => c.id), [
          "trun_limited1",
          "trun_limited2",
          "trun_free00002",
          "trun_free00001"
        ])
        assert.deepStrictEqual(claimed.map((c) => c.attempt), [1, 1, 1, 1])
        assert.strictEqual(claimed[0]!.workerUrl, "http://127.0.0.1:9")
        assert.deepStrictEqual(yield* queue.claim(10, "orch_test"), [])
        yield* queue.complete("trun_limited1", 1, success("trun_limited1"))
        const next = yield* queue.claim(10, "orch_test")
        assert.deepStrictEqual(next.map((c) => c.id), ["trun_limited3"])
      }))

    it.effect("an insert that claims takes its own due runs up to its limit, never overtaking a due run", () =>
      Effect.gen(function*() {
        yield* reset
        const registry = yield* Registrations
        const queue = yield* TaskRuns
        const reads = yield* TaskRunReads
        const sql = yield* SqlClient.SqlClient
        yield* registry.register(registration("svc", [task("limited", { concurrency: 5 }), task("free")]))
        const inputInline = JSON.stringify({ nul: "\u0000", cut: "\ud83d", text: "é \ud83d\ude00 \\u0000" })
        const claimed = yield* queue.insert([
          { ...newRun("trun_free00003", "free", 50), inputInline, metadata: { emoji: "\ud83d\ude00", quote: "'\"" } },
          newRun("trun_limited4", "limited", 1),
          { ...newRun("trun_waiting1", "free", 1), status: "waiting" as const },
          newRun("trun_free00004", "free", 5),
          newRun("trun_free00005", "free", 60)
        ], { limit: 2, orchestratorId: "orch_test" })
        assert.deepStrictEqual(claimed.map((c) => [c.id, c.attempt, c.workerUrl]), [
          ["trun_free00004", 1, "http://127.0.0.1:9"],
          ["trun_free00003", 1, "http://127.0.0.1:9"]
        ])
        assert.deepStrictEqual(claimed[0]!.previousAttempts, [])
        assert.deepStrictEqual(claimed[0]!.completedSiblings, [])
        const statuses = yield* sql<{ id: string; status: string; attempt: number; claimedBy: string | null }>`
          SELECT id, status, attempt, claimed_by FROM task_runs ORDER BY id`
        assert.deepStrictEqual(statuses.map((r) => [r.id, r.status, r.attempt, r.claimedBy]), [
          ["trun_free00003", "dispatching", 1, "orch_test"],
          ["trun_free00004", "dispatching", 1, "orch_test"],
          ["trun_free00005", "pending", 0, null],
          ["trun_limited4", "pending", 0, null],
          ["trun_waiting1", "waiting", 0, null]
        ])
        const attempts = yield* sql<{ runId: string; attempt: number; status: string }>`
          SELECT run_id, attempt, status FROM task_run_attempts ORDER BY run_id`
        assert.deepStrictEqual(attempts.map((a) => [a.runId, a.attempt, a.status]), [
          ["trun_free00003", 1, "running"],
          ["trun_free00004", 1, "running"]
        ])
        const stored = Option.getOrThrow(yield* reads.find("trun_free00004"))
        assert.deepStrictEqual(stored.metadata, { id: "trun_free00004" })
        const hostile = Option.getOrThrow(yield* reads.find("trun_free00003"))
        assert.strictEqual(hostile.inputInline, inputInline)
        assert.strictEqual(claimed[1]!.inputInline, inputInline)
        assert.deepStrictEqual(hostile.metadata, { emoji: "\ud83d\ude00", quote: "'\"" })
        // trun_limited4 (priority 1) and trun_free00005 (60) are due: a new run of priority 60 or
        // worse waits its turn, one of a higher priority is claimed at once.
        const behind = yield* queue.insert([newRun("trun_free00006", "free", 60)], { limit: 5, orchestratorId: "orch_test" })
        assert.deepStrictEqual(behind, [])
        yield* sql`UPDATE task_runs SET status = 'cancelled' WHERE id = 'trun_limited4'`
        const ahead = yield* queue.insert([newRun("trun_free00007", "free", 59)], { limit: 5, orchestratorId: "orch_test" })
        assert.deepStrictEqual(ahead.map((c) => c.id), ["trun_free00007"])
        const none = yield* queue.insert([newRun("trun_free00008", "free", 1)], { limit: 0, orchestratorId: "orch_test" })
        assert.deepStrictEqual(none, [])
        const counts = yield* reads.status
        assert.strictEqual(counts.pending, 3)
        assert.strictEqual(counts.running, 3)
      }))

    it.effect("completions that claim: the attempts in flight complete and due runs of unlimited types are claimed in priority order", () =>
      Effect.gen(function*() {
        yield* reset
        const registry = yield* Registrations
        const queue = yield* TaskRuns
        const sql = yield* SqlClient.SqlClient
        yield* registry.register(registration("svc", [task("limited", { concurrency: 5 }), task("free")]))
        yield* queue.insert([newRun("trun_done00001", "free", 1), newRun("trun_done00002", "free", 1)])
        assert.deepStrictEqual((yield* queue.claim(2, "orch_test")).map((c) => c.id), ["trun_done00001", "trun_done00002"])
        yield* queue.insert([
          newRun("trun_limited5", "limited", 1),
          newRun("trun_next00003", "free", 50),
          newRun("trun_next00002", "free", 5),
          newRun("trun_next00001", "free", 60),
          { ...newRun("trun_waiting2", "free", 1), status: "waiting" as const }
        ])
        const written = yield* queue.completeManyClaiming([
          { runId: "trun_done00001", attempt: 1, result: success("trun_done00001") },
          { runId: "trun_done00002", attempt: 2, result: success("trun_done00002") },
          { runId: "trun_nosuchrun", attempt: 1, result: success("trun_nosuchrun") }
        ], 2, "orch_test")
        assert.deepStrictEqual(written.completed.map((r) => [r.id, r.status, r.attempt]), [["trun_done00001", "completed", 1]])
        assert.deepStrictEqual(written.claimed.map((c) => [c.id, c.attempt, c.workerUrl]), [
          ["trun_next00002", 1, "http://127.0.0.1:9"],
          ["trun_next00003", 1, "http://127.0.0.1:9"]
        ])
        const statuses = yield* sql<{ id: string; status: string; attempt: number }>`
          SELECT id, status, attempt FROM task_runs ORDER BY id`
        assert.deepStrictEqual(statuses.map((r) => [r.id, r.status, r.attempt]), [
          ["trun_done00001", "completed", 1],
          ["trun_done00002", "dispatching", 1],
          ["trun_limited5", "pending", 0],
          ["trun_next00001", "pending", 0],
          ["trun_next00002", "dispatching", 1],
          ["trun_next00003", "dispatching", 1],
          ["trun_waiting2", "waiting", 0]
        ])
        const attempts = yield* sql<{ runId: string; status: string }>`SELECT run_id, status FROM task_run_attempts ORDER BY run_id`
        assert.deepStrictEqual(attempts.map((a) => [a.runId, a.status]), [
          ["trun_done00001", "completed"],
          ["trun_done00002", "running"],
          ["trun_next00002", "running"],
          ["trun_next00003", "running"]
        ])
        const nothingDue = yield* queue.completeManyClaiming([
          { runId: "trun_done00002", attempt: 1, result: success("trun_done00002") }
        ], 5, "orch_test")
        assert.deepStrictEqual(nothingDue.completed.map((r) => r.id), ["trun_done00002"])
        assert.deepStrictEqual(nothingDue.claimed.map((c) => c.id), ["trun_next00001"], "the limited type's run is left to a pass")
        const counted = yield* (yield* TaskRunReads).status
        assert.deepStrictEqual([counted.completed, counted.pending, counted.running], [2, 1, 3], "the counters follow both writes")
      }))

    it.effect("guarded transitions: a duplicate or stale callback conflicts and changes nothing", () =>
      Effect.gen(function*() {
        yield* reset
        const registry = yield* Registrations
        const queue = yield* TaskRuns
        const reads = yield* TaskRunReads
        const t0 = yield* Clock.currentTimeMillis
        yield* registry.register(registration("svc", [task("t", { retries: 1, retryDelayMs: 500 })]))
        yield* queue.insert([newRun("trun_guarded1", "t", 100, 1)])
        yield* queue.claim(1, "orch_test")
        const failed = yield* queue.fail(
          "trun_guarded1",
          1,
          { error: "boom", errorCode: "X", retryable: true, retryAfterMs: null, logsPath: null },
          86_400_000
        )
        assert.strictEqual(failed.outcome, "retry-scheduled")
        assert.strictEqual(Option.getOrThrow(yield* reads.get("trun_guarded1")).availableAt.getTime(), t0 + 500)
        const stale = yield* Effect.flip(queue.complete("trun_guarded1", 1, success("trun_guarded1")))
        assert.strictEqual(stale._tag, "Conflict")
        assert.deepStrictEqual(yield* queue.claim(1, "orch_test"), [])
        yield* TestClock.adjust(500)
        const retried = yield* queue.claim(1, "orch_test")
        assert.strictEqual(retried[0]!.attempt, 2)
        assert.deepStrictEqual(retried[0]!.previousAttempts.map((a) => [a.attempt, a.error]), [[1, "boom"]])
        yield* queue.complete("trun_guarded1", 2, success("trun_guarded1"))
        const before = yield* reads.get("trun_guarded1")
        const duplicate = yield* Effect.flip(queue.complete("trun_guarded1", 2, success("trun_guarded1")))
        assert.strictEqual(duplicate._tag, "Conflict")
        assert.deepStrictEqual(yield* reads.get("trun_guarded1"), before)
        assert.strictEqual(Option.getOrThrow(before).status, "completed")
        const missing = yield* Effect.flip(queue.complete("trun_missing1", 1, success("trun_missing1")))
        assert.strictEqual(missing._tag, "NotFound")
      }))

    it.effect("a planned completion writes only against the routing it was planned on, and claims what it starts", () =>
      Effect.gen(function*() {
        yield* reset
        const registry = yield* Registrations
        const queue = yield* TaskRuns
        const sql = yield* SqlClient.SqlClient
        yield* registry.register(registration("svc", [
          task("pa", { allowedNext: ["pb", "pc", "pd"] }),
          task("pb"),
          task("pc", { concurrency: 1 }),
          task("pd")
        ]))
        const structure: PipelineStructure = {
          entry: ["pa"],
          tasks: { pa: { allowedNext: ["pb", "pc", "pd"] }, pb: { allowedNext: [] }, pc: { allowedNext: [] }, pd: { allowedNext: [] } }
        }
        const routing = initialState(structure)
        const pipelineRun: NewPipelineRun = {
          id: "prun_planned1",
          pipelineId: "pa",
          failureMode: "fail-fast",
          priority: null,
          pipelineVersion: "v1",
          structure,
          routing,
          inputPath: "pipelines/prun_planned1/input.json",
          inputInline: "{}",
          storageBackend: "local",
          metadata: undefined
        }
        const step = (id: string, taskId: string, priority: number) => ({
          ...newRun(id, taskId, priority),
          pipelineRunId: "prun_planned1",
          status: taskId === "pa" ? "pending" as const : "waiting" as const
        })
        // The pipeline run and its task runs in one statement, which claims the entry task with
        // what its dispatch reads of the pipeline run it has just inserted.
        const entry = yield* queue.insert(
          [step("trun_pa", "pa", 100), step("trun_pb", "pb", 100), step("trun_pc", "pc", 100), step("trun_pd", "pd", 300)],
          { limit: 5, orchestratorId: "orch_test" },
          pipelineRun
        )
        assert.deepStrictEqual(entry.map((c) => [c.id, c.attempt, c.pipelineInputInline]), [["trun_pa", 1, "{}"]])
        assert.deepStrictEqual(entry[0]!.structure, structure)
        // A due standalone run of priority 200: a successor of priority 300 must not overtake it.
        yield* queue.insert([newRun("trun_std", "pd", 200)])
        const transition = completeTask(structure, routing, "pa", null, "fail-fast")
        const snapshot = sql<{ id: string; status: string; attempt: number }>`
          SELECT id, status, attempt FROM task_runs ORDER BY id`
        const before = yield* snapshot
        const planned = (expected: RoutingState) =>
          queue.completePlanned("trun_pa", 1, success("trun_pa"), { pipelineRunId: "prun_planned1", transition, expected }, {
            limit: 5,
            orchestratorId: "orch_test"
          })

        assert.isTrue(Option.isNone(yield* planned(transition.state)), "planned on a stale state")
        assert.deepStrictEqual(yield* snapshot, before)
        if (name === "postgres") {
          const locked = yield* Deferred.make<void>()
          const release = yield* Deferred.make<void>()
          const holder = yield* sql`SELECT id FROM pipeline_runs WHERE id = 'prun_planned1' FOR UPDATE`.pipe(
            Effect.zipRight(Deferred.succeed(locked, undefined)),
            Effect.zipRight(Deferred.await(release)),
            sql.withTransaction,
            Effect.fork
          )
          yield* Deferred.await(locked)
          assert.isTrue(Option.isNone(yield* planned(routing)), "planned while another transaction holds the run")
          yield* Deferred.succeed(release, undefined)
          yield* Fiber.join(holder)
          assert.deepStrictEqual(yield* snapshot, before)
        }

        const done = Option.getOrThrow(yield* planned(routing))
        assert.deepStrictEqual(done.run, { id: "trun_pa", taskId: "pa", pipelineRunId: "prun_planned1", status: "completed" })
        assert.deepStrictEqual(done.claimed.map((c) => [c.id, c.attempt, c.workerUrl]), [["trun_pb", 1, "http://127.0.0.1:9"]])
        assert.deepStrictEqual(done.claimed[0]!.completedSiblings, [
          { taskId: "pa", outputPath: "runs/trun_pa/outputs/trun_pa.json", outputInline: null, assets: {} }
        ])
        assert.deepStrictEqual((yield* snapshot).map((r) => [r.id, r.status, r.attempt]), [
          ["trun_pa", "completed", 1],
          ["trun_pb", "dispatching", 1],
          ["trun_pc", "pending", 0],
          ["trun_pd", "pending", 0],
          ["trun_std", "pending", 0]
        ])
        const attempts = yield* sql<{ runId: string; status: string }>`
          SELECT run_id, status FROM task_run_attempts ORDER BY run_id`
        assert.deepStrictEqual(attempts.map((a) => [a.runId, a.status]), [["trun_pa", "completed"], ["trun_pb", "running"]])
        const [saved] = yield* sql<{ routing: unknown }>`SELECT routing FROM pipeline_runs WHERE id = 'prun_planned1'`
        assert.deepStrictEqual(saved!.routing, transition.state)

        const after = yield* snapshot
        assert.isTrue(Option.isNone(yield* planned(transition.state)), "a replay of the same attempt")
        assert.deepStrictEqual(yield* snapshot, after)
      }))

    it.effect("the start-up grace gives attempts in flight max(2 × heartbeat interval, grace) and never shortens one", () =>
      Effect.gen(function*() {
        yield* reset
        const queue = yield* TaskRuns
        const sql = yield* SqlClient.SqlClient
        yield* (yield* Registrations).register(registration("svc", [
          task("fast", { heartbeatIntervalMs: 1000 }),
          task("slow", { heartbeatIntervalMs: 20_000 })
        ]))
        yield* queue.insert([newRun("trun_gracefast", "fast"), newRun("trun_graceslow", "slow"), newRun("trun_gracewait", "fast")])
        yield* queue.claim(2, "orch_test")
        yield* TestClock.adjust(5000)
        const t = yield* Clock.currentTimeMillis
        assert.strictEqual(yield* queue.extendDeadlines(30_000), 2)
        const deadlines = yield* sql<{ id: string; heartbeatDeadline: Date | null }>`
          SELECT id, heartbeat_deadline FROM task_runs ORDER BY id`
        assert.deepStrictEqual(
          deadlines.map((r) => [r.id, r.heartbeatDeadline === null ? null : new Date(r.heartbeatDeadline).getTime() - t]),
          [["trun_gracefast", 30_000], ["trun_graceslow", 40_000], ["trun_gracewait", null]]
        )
        yield* TestClock.adjust(1000)
        yield* queue.extendDeadlines(0)
        const fast = yield* sql<{ heartbeatDeadline: Date }>`SELECT heartbeat_deadline FROM task_runs WHERE id = 'trun_gracefast'`
        assert.strictEqual(new Date(fast[0]!.heartbeatDeadline).getTime() - t, 30_000)
      }))

    it.effect("queue status and items pages", () =>
      Effect.gen(function*() {
        yield* reset
        const registry = yield* Registrations
        const queue = yield* TaskRuns
        const reads = yield* TaskRunReads
        const t0 = yield* Clock.currentTimeMillis
        yield* registry.register(registration("svc", [task("t")]))
        for (const i of [1, 2, 3]) {
          yield* queue.insert([newRun(`trun_items00${i}`, "t")])
          yield* TestClock.adjust(10)
        }
        yield* queue.claim(1, "orch_test")
        const status = yield* reads.status
        assert.deepStrictEqual({ ...status, oldestPending: status.oldestPending?.getTime() }, {
          pending: 2, running: 1, waiting: 0, completed: 0, failed: 0, dlq: 0, oldestPending: t0 + 10
        })
        const page = yield* reads.items({ limit: 2, offset: 0, status: "pending" })
        assert.strictEqual(page.total, 2)
        assert.deepStrictEqual(page.items.map((i) => i.runId), ["trun_items003", "trun_items002"])
      }))
  })
}
