import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Queue, Schedule, TestClock, TestServices } from "effect"
import { Registrations } from "../../src/flow/Registrations.js"
import { registration, task } from "../support/fixtures.js"
import { freePort } from "../support/Processes.js"
import { databases } from "../support/TestDatabase.js"
import { fakeWorker } from "./FakeWorker.js"
import { target } from "./Harness.js"

/** Polls (real time, bounded) until `check` holds of the run, then returns it. */
const runWhen = (orchestrator: Effect.Effect.Success<ReturnType<typeof target>>, runId: string, check: (run: any) => boolean) =>
  orchestrator.send(`/api/task-runs/${runId}`).pipe(
    Effect.map((answer) => answer.body),
    Effect.filterOrFail(check, (run) => new Error(JSON.stringify(run))),
    Effect.retry(Schedule.spaced("20 millis").pipe(Schedule.upTo("20 seconds"))),
    TestServices.provideLive,
    Effect.orDie
  )

for (const [name, database] of databases) {
  describe(`a worker that cannot be reached on ${name}`, () => {
    it.scoped("spends no attempt: its runs stay pending, backing off, and run once a worker answers on that port", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database())
        const port = yield* freePort
        yield* orchestrator.use(Effect.flatMap(Registrations, (r) =>
          r.register(registration("svc", [task("known", { retries: 1 })], { baseUrl: `http://127.0.0.1:${port}` }))))
        const queued = yield* orchestrator.send("/api/queue/task", { body: { taskId: "known", input: { a: 1 } } })
        assert.strictEqual(queued.status, 201, queued.text)
        const runId: string = queued.body.runId
        const process = Effect.flatMap(orchestrator.send("/api/process", { method: "POST" }), (answer) =>
          Effect.succeed(answer.body.dispatched as ReadonlyArray<string>))

        const delays: Array<number> = []
        let now = 0
        for (let pass = 0; pass < 6; pass++) {
          assert.deepStrictEqual(yield* process, [runId], `pass ${pass}`)
          const run = yield* runWhen(orchestrator, runId, (r) => r.status === "pending")
          assert.deepStrictEqual([run.attempt, run.attempts, run.error], [0, [], null])
          const due = new Date(run.availableAt).getTime()
          delays.push(due - now)
          assert.deepStrictEqual(yield* process, [], "not due before its backoff")
          yield* TestClock.adjust(due - now)
          now = due
        }
        assert.deepStrictEqual(delays, [1000, 1000, 2000, 4000, 8000, 16000])
        yield* TestClock.adjust(60_000)
        assert.deepStrictEqual(yield* process, [runId])
        const capped = yield* runWhen(orchestrator, runId, (r) => r.status === "pending")
        assert.strictEqual(new Date(capped.availableAt).getTime() - (now + 60_000), 30_000)

        const worker = yield* fakeWorker(port)
        yield* TestClock.adjust(30_000)
        assert.deepStrictEqual(yield* process, [runId])
        const dispatch = yield* Queue.take(worker.dispatches).pipe(Effect.timeout(Duration.seconds(20)), Effect.orDie)
        assert.deepStrictEqual([dispatch.runId, dispatch.attempt], [runId, 1])
        const running = yield* runWhen(orchestrator, runId, (r) => r.status === "dispatching")
        assert.deepStrictEqual([running.attempt, running.attempts.length], [1, 1])
      }), 60_000)

    it.scoped("while another instance of the service answers, a refused dispatch goes to it at once, still attempt 1", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database())
        const closed = yield* freePort
        const worker = yield* fakeWorker()
        for (const baseUrl of [`http://127.0.0.1:${closed}`, worker.url]) {
          yield* orchestrator.use(Effect.flatMap(Registrations, (r) =>
            r.register(registration("svc", [task("known", { retries: 0 })], { baseUrl }))))
        }
        const runIds: Array<string> = []
        for (let i = 0; i < 16; i++) {
          const queued = yield* orchestrator.send("/api/queue/task", { body: { taskId: "known", input: { i } } })
          runIds.push(queued.body.runId)
        }
        const received = new Map<string, any>()
        const settled = Effect.gen(function*() {
          for (const dispatch of yield* Queue.takeAll(worker.dispatches)) received.set(dispatch.runId, dispatch)
          const runs = yield* Effect.forEach(runIds, (runId) => orchestrator.send(`/api/task-runs/${runId}`))
          return runs.every(({ body }) => body.status === "pending" || received.has(body.runId))
        }).pipe(
          Effect.filterOrFail((done) => done, () => new Error("dispatches still under way")),
          Effect.retry(Schedule.spaced("20 millis").pipe(Schedule.upTo("20 seconds"))),
          TestServices.provideLive,
          Effect.orDie
        )
        for (let pass = 0; pass < 3 && received.size < runIds.length; pass++) {
          yield* orchestrator.send("/api/process", { method: "POST" })
          yield* settled
        }
        assert.deepStrictEqual([...received.keys()].sort(), [...runIds].sort())
        assert.isTrue([...received.values()].every((dispatch) => dispatch.attempt === 1))
      }), 60_000)
  })
}
