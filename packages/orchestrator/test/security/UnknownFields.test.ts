import { assert, describe, it } from "@effect/vitest"
import { Crypto } from "@pipeweave/storage/Crypto"
import { Duration, Effect, Queue } from "effect"
import { Registrations } from "../../src/flow/Registrations.js"
import { registration, task } from "../support/fixtures.js"
import { databases } from "../support/TestDatabase.js"
import { fakeWorker } from "./FakeWorker.js"
import { target } from "./Harness.js"

/** The decode error names the unknown field (`["colour"] is unexpected`). */
const naming = (field: string) => new RegExp(`\\[\\\\"${field}\\\\"\\].*is unexpected`)

/** …and lists it as an `Unexpected` issue whose path ends with the field. */
const listsUnexpected = (answer: { readonly body: any }, field: string) =>
  assert.isTrue(
    answer.body.issues.some((issue: any) => issue._tag === "Unexpected" && issue.path.at(-1) === field),
    JSON.stringify(answer.body.issues)
  )

for (const [name, database] of databases) {
  describe(`request bodies with unknown fields on ${name}`, () => {
    it.scoped("the management API answers 400 naming the field, at any depth, and changes nothing", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database())
        yield* orchestrator.use(Effect.flatMap(Registrations, (r) => r.register(registration("svc", [task("known")]))))
        const refuse = (path: string, body: unknown, field: string) =>
          Effect.map(orchestrator.refused(path, { body }, 400, naming(field)), (answer) => listsUnexpected(answer, field))

        yield* refuse("/api/queue/task", { taskId: "known", colour: "red" }, "colour")
        yield* refuse("/api/queue/task", { taskId: "known", priorty: 5 }, "priorty")
        yield* refuse("/api/queue/batch", { tasks: [{ taskId: "known" }], colour: 1 }, "colour")
        yield* refuse("/api/queue/batch", { tasks: [{ taskId: "known" }, { taskId: "known", colour: 1 }] }, "colour")
        yield* refuse("/api/pipelines/known/trigger", { input: {}, failure_mode: "continue" }, "failure_mode")
        yield* refuse("/api/pipelines/known/dry-run", { input: {}, verbose: true }, "verbose")
        yield* refuse("/api/dlq/retry-all", { taskId: "known", all: true }, "all")
        yield* refuse("/api/dlq/purge", { olderThan: "7d", dryRun: true }, "dryRun")

        // Free-form values keep any keys: the input, the metadata.
        const queued = yield* orchestrator.send("/api/queue/task", {
          body: { taskId: "known", input: { colour: "red", nested: { any: 1 } }, metadata: { team: "a" } }
        })
        assert.strictEqual(queued.status, 201, queued.text)
        const triggered = yield* orchestrator.send("/api/pipelines/known/trigger", { body: { input: { colour: "red" } } })
        assert.strictEqual(triggered.status, 201, triggered.text)
      }), 120_000)

    it.scoped("registration refuses an unknown field of the service or of a task with 400 naming it; nothing registered", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database())
        const crypto = yield* orchestrator.use(Crypto)
        const credential = yield* crypto.signCredential({ _tag: "Service", serviceId: "svc" }, Date.now(), 600)
        const headers = { authorization: `Bearer ${credential}` }
        const body = { serviceId: "svc", baseUrl: "http://127.0.0.1:9", tasks: [task("known")] }
        yield* orchestrator.refused("/api/register", { headers, body: { ...body, region: "eu" } }, 400, naming("region"))
        yield* orchestrator.refused(
          "/api/register",
          { headers, body: { ...body, tasks: [{ ...task("known"), retrys: 3 }] } },
          400,
          naming("retrys")
        )
        yield* orchestrator.refused(
          "/api/register",
          { headers, body: { ...body, pipelines: [{ id: "p", entry: ["known"], owner: "me" }] } },
          400,
          naming("owner")
        )
        const registered = yield* orchestrator.send("/api/register", { headers, body })
        assert.strictEqual(registered.status, 200, registered.text)
      }), 120_000)

    it.scoped("heartbeat, progress, idempotency and the callback refuse an unknown field with 400 naming it; the run is untouched", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database())
        const worker = yield* fakeWorker()
        yield* orchestrator.use(Effect.flatMap(Registrations, (r) =>
          r.register(registration("svc", [task("known", { retries: 0 })], { baseUrl: worker.url }))))
        const queued = yield* orchestrator.send("/api/queue/task", { body: { taskId: "known" } })
        assert.strictEqual(queued.status, 201, queued.text)
        const processed = yield* orchestrator.send("/api/process", { method: "POST" })
        assert.strictEqual(processed.status, 200, processed.text)
        const dispatch = yield* Queue.take(worker.dispatches).pipe(Effect.timeout(Duration.seconds(20)), Effect.orDie)
        const runId: string = queued.body.runId
        const headers = { authorization: `Bearer ${dispatch.callbackToken}` }
        const refuse = (path: string, body: unknown, field: string) =>
          Effect.map(orchestrator.refused(path, { headers, body }, 400, naming(field)), (answer) => listsUnexpected(answer, field))

        yield* refuse("/api/heartbeat", { runId, attempt: 1, alive: true }, "alive")
        yield* refuse("/api/progress", { runId, attempt: 1, percent: 50, eta: 10 }, "eta")
        yield* refuse("/api/idempotency", { runId, attempt: 1, key: "k", ttl: 60 }, "ttl")
        const success = { status: "success", attempt: 1, outputPath: `runs/${runId}/outputs/${runId}.json`, outputSize: 2 }
        yield* refuse(`/api/callback/${runId}`, { ...success, durationMs: 12 }, "durationMs")
        yield* refuse(`/api/callback/${runId}`, { status: "failure", attempt: 1, error: "x", stack: "..." }, "stack")
        yield* refuse(
          `/api/callback/${runId}`,
          { ...success, assets: { "a.pdf": { path: `runs/${runId}/assets/a.pdf`, size: 1, type: "binary", md5: "x" } } },
          "md5"
        )

        const heartbeat = yield* orchestrator.send("/api/heartbeat", { headers, body: { runId, attempt: 1 } })
        assert.strictEqual(heartbeat.status, 200, heartbeat.text)
        const done = yield* orchestrator.send(`/api/callback/${runId}`, { headers, body: { ...success, output: { extra: 1 } } })
        assert.deepStrictEqual([done.status, done.body.status], [200, "completed"], done.text)
      }), 120_000)
  })
}
