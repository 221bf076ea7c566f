import { assert, describe, it } from "@effect/vitest"
import { type Duration, Effect, Schedule, TestClock, TestServices } from "effect"
import { createServer, type Server } from "node:http"
import { Registrations } from "../src/flow/Registrations.js"
import { serveWorker } from "./support/InProcess.js"
import { registration, task } from "./support/fixtures.js"
import { freePort } from "./support/Processes.js"
import { databases } from "./support/TestDatabase.js"
import { target } from "./security/Harness.js"

type Orchestrator = Effect.Effect.Success<ReturnType<typeof target>>

/** Polls (real time, bounded) until `check` holds of the run, then returns it. */
const runWhen = (orchestrator: Orchestrator, runId: string, check: (run: any) => boolean, within: Duration.DurationInput = "30 seconds") =>
  orchestrator.send(`/api/task-runs/${runId}`).pipe(
    Effect.map((answer) => answer.body),
    Effect.filterOrFail(check, (run) => new Error(JSON.stringify(run))),
    Effect.retry(Schedule.spaced("20 millis").pipe(Schedule.upTo(within))),
    Effect.orDie
  )

const queue = (orchestrator: Orchestrator, taskId: string, count: number) =>
  Effect.forEach(Array.from({ length: count }, (_, i) => i), (i) =>
    Effect.map(orchestrator.send("/api/queue/task", { body: { taskId, input: { i } } }), (answer) => {
      assert.strictEqual(answer.status, 201, answer.text)
      return answer.body.runId as string
    }))

/** One scheduling pass (serverless mode): the ids it dispatched. */
const pass = (orchestrator: Orchestrator) =>
  Effect.map(orchestrator.send("/api/process", { method: "POST" }), (answer) => answer.body.dispatched as ReadonlyArray<string>)

/** The value of the counter sample `series` (`name{labels}`) on the orchestrator's /metrics (0 when absent). */
const counter = (orchestrator: Orchestrator, series: string) =>
  Effect.map(orchestrator.send("/metrics"), (answer) => {
    const line = String(answer.text).split("\n").find((l) => l.startsWith(`${series} `))
    return line === undefined ? 0 : Number(line.split(" ").at(-1))
  })

const dispatchRequests = (orchestrator: Orchestrator, kind: "single" | "group") =>
  counter(orchestrator, `pipeweave_dispatch_requests_total{kind="${kind}"}`)

/** Waits until `n` dispatches ended `delivered` (their slots are free again). */
const deliveredReaches = (orchestrator: Orchestrator, n: number) =>
  counter(orchestrator, `pipeweave_dispatches_total{outcome="delivered"}`).pipe(
    Effect.filterOrFail((count) => count >= n, (count) => new Error(`${count} of ${n} delivered`)),
    Effect.retry(Schedule.spaced("20 millis").pipe(Schedule.upTo("30 seconds"))),
    Effect.orDie
  )

interface Received {
  readonly url: string
  readonly body: any
}

/**
 * A plain HTTP worker that takes grouped dispatches and runs nothing: `decide` picks each item's
 * status; accepted items are reported done at once, unless `hangUp` (the connection is destroyed
 * after the decisions) or `neverDone` names them (then the answer stays open).
 */
const groupedFakeWorker = (
  decide: (item: any, index: number) => number,
  options: {
    readonly hangUp?: boolean
    readonly neverDone?: (item: any) => boolean
    /** The whole request is answered with this status and text instead. */
    readonly whole?: { readonly status: number; readonly text: string }
  } = {}
) =>
  Effect.gen(function*() {
    const received: Array<Received> = []
    const port = yield* freePort
    yield* Effect.acquireRelease(
      Effect.async<Server>((resume) => {
        const server = createServer((req, res) => {
          let text = ""
          req.on("data", (chunk) => (text += chunk))
          req.on("end", () => {
            const body = JSON.parse(text)
            received.push({ url: req.url ?? "", body })
            if (req.url !== "/dispatches") {
              res.writeHead(200, { "content-type": "application/json" }).end("{}")
              return
            }
            if (options.whole !== undefined) {
              res.writeHead(options.whole.status, { "content-type": "text/plain" }).end(options.whole.text)
              return
            }
            const items: Array<any> = body.dispatches
            const results = items.map((item, i) => {
              const status = decide(item, i)
              return status === 200 ? { runId: item.runId, status } : { runId: item.runId, status, error: `refused with ${status}` }
            })
            res.writeHead(200, { "content-type": "application/x-ndjson" })
            res.write(JSON.stringify({ results }) + "\n")
            if (options.hangUp === true) {
              res.socket?.destroy()
              return
            }
            for (const [i, item] of items.entries()) {
              if (results[i]!.status === 200 && options.neverDone?.(item) !== true) {
                res.write(JSON.stringify({ done: { runId: item.runId, attempt: item.attempt, status: "success" } }) + "\n")
              }
            }
            if (!items.some((item) => options.neverDone?.(item) === true)) res.end()
          })
        })
        server.listen(port, "127.0.0.1", () => resume(Effect.succeed(server)))
      }),
      (server) =>
        Effect.async<void>((resume) => {
          server.close(() => resume(Effect.void))
          server.closeAllConnections()
        })
    )
    return { url: `http://127.0.0.1:${port}`, received }
  })

const registerAt = (orchestrator: Orchestrator, baseUrl: string, tasks: ReadonlyArray<ReturnType<typeof task>>, dispatchGroups?: number) =>
  orchestrator.use(Effect.flatMap(Registrations, (r) =>
    r.register(registration("svc", tasks, { baseUrl, ...(dispatchGroups === undefined ? {} : { dispatchGroups }) }))))

for (const [name, database] of databases) {
  describe(`grouped dispatches on ${name}`, () => {
    it.live("a real SDK worker gets a pass's runs in one request each; every run runs exactly once", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database(), { maxConcurrency: 10 })
        const executions = new Map<number, number>()
        yield* serveWorker(orchestrator.url, "svc", (w) =>
          w.register("noop", {}, async (ctx) => {
            const i = (ctx.input as { i: number }).i
            executions.set(i, (executions.get(i) ?? 0) + 1)
            return { i }
          }))
        const runIds = yield* queue(orchestrator, "noop", 25)
        const dispatched: Array<string> = []
        while (dispatched.length < runIds.length) {
          const ids = yield* pass(orchestrator)
          dispatched.push(...ids)
          yield* deliveredReaches(orchestrator, dispatched.length)
        }
        assert.sameMembers(dispatched, runIds)
        const runs = yield* Effect.forEach(runIds, (id) => runWhen(orchestrator, id, (r) => r.status === "completed"))
        assert.deepStrictEqual(runs.map((r) => r.attempt), runIds.map(() => 1))
        assert.deepStrictEqual([...executions.entries()].sort(([a], [b]) => a - b), runIds.map((_, i) => [i, 1]))
        // 25 runs, 10 slots: passes of 10, 10 and 5 runs, each one grouped request.
        assert.strictEqual(yield* dispatchRequests(orchestrator, "group"), 3)
        assert.strictEqual(yield* dispatchRequests(orchestrator, "single"), 0)
      }).pipe(Effect.scoped), { timeout: 120_000 })

    it.live("a real SDK worker refuses an unknown task's item; the rest of the group runs", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database())
        yield* serveWorker(orchestrator.url, "svc", (w) => w.register("known", {}, async () => ({ ok: true })))
        const services = yield* orchestrator.send("/api/services")
        const instance = JSON.stringify(services.body).match(/http:\/\/127\.0\.0\.1:\d+/)?.[0]
        assert.isDefined(instance, services.text)
        // The service now also declares a task this worker does not have.
        yield* registerAt(orchestrator, instance!, [task("known"), task("ghost", { retries: 0 })], 100)
        const known = yield* queue(orchestrator, "known", 3)
        const ghosts = yield* queue(orchestrator, "ghost", 2)
        assert.sameMembers([...(yield* pass(orchestrator))], [...known, ...ghosts])
        for (const id of known) {
          const run = yield* runWhen(orchestrator, id, (r) => r.status === "completed")
          assert.strictEqual(run.attempt, 1)
        }
        for (const id of ghosts) {
          const run = yield* runWhen(orchestrator, id, (r) => r.status === "failed")
          assert.strictEqual(run.attempts.length, 1)
          assert.strictEqual(run.attempts[0].errorCode, "DISPATCH_FAILED")
          assert.match(run.attempts[0].error, /answered 404: task 'ghost' is not registered on this worker/)
        }
        assert.strictEqual(yield* dispatchRequests(orchestrator, "group"), 1)
      }).pipe(Effect.scoped), { timeout: 120_000 })

    it.live("per-item answers: 429/503 requeue without an attempt, 401 fails the attempt, 200 is delivered", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database())
        const statuses = [200, 429, 503, 401]
        const worker = yield* groupedFakeWorker((item) => statuses[item.input.i]!)
        yield* registerAt(orchestrator, worker.url, [task("known", { retries: 2 })], 10)
        const order = yield* queue(orchestrator, "known", 4)
        const before = Date.now()
        assert.sameMembers([...(yield* pass(orchestrator))], order)
        const [delivered, tooMany, busy, refused] = order as [string, string, string, string]
        yield* runWhen(orchestrator, tooMany, (r) => r.status === "pending")
        yield* runWhen(orchestrator, busy, (r) => r.status === "pending")
        for (const id of [tooMany, busy]) {
          const run = yield* runWhen(orchestrator, id, (r) => r.status === "pending")
          assert.deepStrictEqual([run.attempt, run.attempts], [0, []])
          assert.isAtLeast(new Date(run.availableAt).getTime(), before + 1000)
        }
        const failed = yield* runWhen(orchestrator, refused, (r) => r.status === "pending" && r.attempts.length === 1)
        assert.strictEqual(failed.attempts[0].errorCode, "DISPATCH_FAILED")
        assert.match(failed.attempts[0].error, /answered 401: refused with 401/)
        const running = yield* runWhen(orchestrator, delivered, (r) => r.status === "dispatching")
        assert.strictEqual(running.attempt, 1)
        assert.deepStrictEqual(worker.received.map((r) => r.url), ["/dispatches"])
        const items = worker.received[0]!.body.dispatches as Array<any>
        assert.deepStrictEqual(items.map((item) => [item.runId, item.attempt, item.taskId]), order.map((id) => [id, 1, "known"]))
        // Every item carries its own credentials.
        assert.strictEqual(new Set(items.map((item) => item.callbackToken)).size, 4)
      }).pipe(Effect.scoped), { timeout: 60_000 })

    it.live("a group answered as a whole: 503 requeues every run without an attempt, 500 fails each attempt with an excerpt", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database())
        const busy = yield* groupedFakeWorker(() => 200, { whole: { status: 503, text: "draining" } })
        yield* registerAt(orchestrator, busy.url, [task("known", { retries: 2 })], 10)
        const requeued = yield* queue(orchestrator, "known", 3)
        const before = Date.now()
        assert.sameMembers([...(yield* pass(orchestrator))], requeued)
        for (const id of requeued) {
          const run = yield* runWhen(orchestrator, id, (r) => r.status === "pending")
          assert.deepStrictEqual([run.attempt, run.attempts], [0, []])
          assert.isAtLeast(new Date(run.availableAt).getTime(), before + 1000)
        }

        const second = yield* target(database())
        const broken = yield* groupedFakeWorker(() => 200, { whole: { status: 500, text: "x".repeat(1_048_576) } })
        yield* registerAt(second, broken.url, [task("known", { retries: 2 })], 10)
        const failed = yield* queue(second, "known", 2)
        assert.sameMembers([...(yield* pass(second))], failed)
        for (const id of failed) {
          const run = yield* runWhen(second, id, (r) => r.attempts.length === 1 && r.status === "pending")
          assert.strictEqual(run.attempts[0].errorCode, "DISPATCH_FAILED")
          assert.match(run.attempts[0].error, /answered 500: x{120}… \(cut\)$/)
        }
      }).pipe(Effect.scoped), { timeout: 60_000 })

    it.live("a connection lost after the decisions leaves accepted runs to their deadlines", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database())
        const worker = yield* groupedFakeWorker(() => 200, { hangUp: true })
        yield* registerAt(orchestrator, worker.url, [task("known")], 10)
        const runIds = yield* queue(orchestrator, "known", 3)
        assert.sameMembers([...(yield* pass(orchestrator))], runIds)
        yield* deliveredReaches(orchestrator, 3)
        for (const id of runIds) {
          const run = yield* runWhen(orchestrator, id, (r) => r.status === "dispatching")
          assert.deepStrictEqual([run.attempt, run.attempts.length, run.error], [1, 1, null])
        }
      }).pipe(Effect.scoped), { timeout: 60_000 })

    it.scoped("a run the worker never reports done fails at its own deadline; the rest of its group is not held", () =>
      Effect.gen(function*() {
        // The orchestrator runs on this test's TestClock; the polls below wait in real time.
        const orchestrator = yield* target(database())
        const worker = yield* groupedFakeWorker(() => 200, { neverDone: (item) => item.taskId === "short" })
        yield* registerAt(orchestrator, worker.url, [task("short", { timeout: 1, retries: 0 }), task("long")], 10)
        const [short] = yield* queue(orchestrator, "short", 1)
        const [long] = yield* queue(orchestrator, "long", 1)
        assert.sameMembers([...(yield* pass(orchestrator))], [short!, long!])
        yield* TestServices.provideLive(deliveredReaches(orchestrator, 1))
        assert.strictEqual((yield* TestServices.provideLive(runWhen(orchestrator, short!, (r) => r.status === "dispatching"))).attempt, 1)
        yield* TestClock.adjust("30999 millis")
        assert.strictEqual(
          (yield* TestServices.provideLive(runWhen(orchestrator, short!, () => true))).status,
          "dispatching",
          "not before the task's timeout plus the 30 s margin"
        )
        yield* TestClock.adjust("1 second")
        const failed = yield* TestServices.provideLive(runWhen(orchestrator, short!, (r) => r.status === "failed"))
        assert.match(failed.attempts[0].error, /no answer before the task's timeout/)
        assert.strictEqual((yield* TestServices.provideLive(runWhen(orchestrator, long!, (r) => r.status === "dispatching"))).attempt, 1)
        assert.deepStrictEqual(worker.received.map((r) => r.url), ["/dispatches"])
      }), { timeout: 60_000 })

    it.live("a run's slot comes free once its result is applied, before the worker ends its dispatch answer", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database(), { maxConcurrency: 2 })
        const worker = yield* groupedFakeWorker(() => 200, { neverDone: () => true })
        yield* registerAt(orchestrator, worker.url, [task("known")], 10)
        const runIds = yield* queue(orchestrator, "known", 3)
        const firstPass = yield* pass(orchestrator)
        assert.strictEqual(firstPass.length, 2)
        assert.deepStrictEqual([...(yield* pass(orchestrator))], [], "both slots are held while their runs are in flight")
        const item = worker.received[0]!.body.dispatches[0]
        const callback = yield* orchestrator.send(`/api/callback/${item.runId}`, {
          body: { status: "success", attempt: 1, outputPath: item.outputPath, outputSize: 2, output: {}, assets: {} },
          headers: { authorization: `Bearer ${item.callbackToken}` }
        })
        assert.strictEqual(callback.status, 200, callback.text)
        // The worker still holds the dispatch answer open (no `done` line): only the result freed a slot.
        const third = runIds.filter((id) => !firstPass.includes(id))
        assert.deepStrictEqual([...(yield* pass(orchestrator))], third)
        assert.strictEqual((yield* runWhen(orchestrator, item.runId, (r) => r.status === "completed")).attempt, 1)
        assert.deepStrictEqual([...(yield* pass(orchestrator))], [], "the third run holds the freed slot")
      }).pipe(Effect.scoped), { timeout: 60_000 })

    it.live("an instance that is down spends no attempt for any run of the group", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database())
        const port = yield* freePort
        yield* registerAt(orchestrator, `http://127.0.0.1:${port}`, [task("known", { retries: 0 })], 10)
        const runIds = yield* queue(orchestrator, "known", 3)
        const before = Date.now()
        assert.sameMembers([...(yield* pass(orchestrator))], runIds)
        for (const id of runIds) {
          const run = yield* runWhen(orchestrator, id, (r) => r.status === "pending")
          assert.deepStrictEqual([run.attempt, run.attempts, run.error], [0, [], null])
          assert.isAtLeast(new Date(run.availableAt).getTime(), before + 1000)
        }
        assert.strictEqual(yield* dispatchRequests(orchestrator, "group"), 1)
      }).pipe(Effect.scoped), { timeout: 60_000 })

    it.live("an instance registered without the capability gets single dispatches", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database())
        const worker = yield* groupedFakeWorker(() => 200)
        yield* registerAt(orchestrator, worker.url, [task("known")])
        const runIds = yield* queue(orchestrator, "known", 4)
        assert.sameMembers([...(yield* pass(orchestrator))], runIds)
        for (const id of runIds) yield* runWhen(orchestrator, id, (r) => r.status === "dispatching")
        yield* Effect.suspend(() =>
          worker.received.length === 4 ? Effect.void : Effect.fail("waiting")
        ).pipe(Effect.retry(Schedule.spaced("20 millis").pipe(Schedule.upTo("10 seconds"))), Effect.orDie)
        assert.sameMembers(worker.received.map((r) => r.url), runIds.map(() => "/tasks/known"))
        assert.sameMembers(worker.received.map((r) => r.body.runId), runIds)
        assert.strictEqual(yield* dispatchRequests(orchestrator, "single"), 4)
        assert.strictEqual(yield* dispatchRequests(orchestrator, "group"), 0)
      }).pipe(Effect.scoped), { timeout: 60_000 })
  })
}
