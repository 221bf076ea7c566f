import { createServer } from "node:http"
import { assert, describe, it } from "@effect/vitest"
import { createWorker } from "@pipeweave/sdk"
import { Crypto } from "@pipeweave/storage/Crypto"
import { Effect, Schedule } from "effect"
import { freePort } from "../support/Processes.js"
import { serveWorker } from "../support/InProcess.js"
import { task } from "../support/fixtures.js"
import { databases } from "../support/TestDatabase.js"
import { TEST_SECRET } from "../support/TestOrchestrator.js"
import { target } from "./Harness.js"

type Target = Effect.Effect.Success<ReturnType<typeof target>>

/** `POST /api/register` over HTTP with a service credential, as a worker holding the shared secret would. */
const registerOver = (orchestrator: Target, body: Record<string, unknown>) =>
  Effect.gen(function*() {
    const credential = yield* orchestrator.use(
      Effect.flatMap(Crypto, (c) => c.signCredential({ _tag: "Service", serviceId: String(body["serviceId"]) }, Date.now(), 300))
    )
    return { headers: { authorization: `Bearer ${credential}` }, body }
  })

/** A port nothing listens on: an instance there is not live. */
const deadUrl = Effect.map(freePort, (port) => `http://127.0.0.1:${port}`)

/** A fake worker answering every request with `status` and `body`, closed with the scope. */
const answering = (status: number, body: string) =>
  Effect.acquireRelease(
    Effect.promise(() =>
      new Promise<{ url: string; close: () => void }>((resolve) => {
        const server = createServer((req, res) => {
          req.resume()
          req.on("end", () => res.writeHead(status, { "content-type": "text/plain" }).end(body))
        })
        server.listen(0, "127.0.0.1", () => {
          const address = server.address()
          const port = typeof address === "object" && address !== null ? address.port : 0
          resolve({ url: `http://127.0.0.1:${port}`, close: () => server.close() })
        })
      })
    ),
    (server) => Effect.sync(server.close)
  )

const awaitRun = (orchestrator: Target, runId: string, done: (run: any) => boolean) =>
  orchestrator.send(`/api/task-runs/${runId}`).pipe(
    Effect.map((answer) => answer.body),
    Effect.filterOrFail(done, (run) => new Error(JSON.stringify(run))),
    Effect.retry(Schedule.spaced("50 millis").pipe(Schedule.upTo("20 seconds"))),
    Effect.orDie
  )

for (const [name, database] of databases) {
  describe(`task ownership and worker URLs on ${name}`, () => {
    it.scopedLive("another service declaring an owned task or pipeline id is refused 409 naming the owner; nothing changes", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database())
        const ownerUrl = yield* deadUrl
        const owner = yield* registerOver(orchestrator, {
          serviceId: "svc-a",
          baseUrl: ownerUrl,
          tasks: [task("shared")],
          pipelines: [{ id: "flow", entry: ["shared"] }]
        })
        assert.strictEqual((yield* orchestrator.send("/api/register", owner)).status, 200)

        const claimTask = yield* registerOver(orchestrator, {
          serviceId: "svc-b",
          baseUrl: yield* deadUrl,
          tasks: [task("own-b"), task("shared", {}, "other code")]
        })
        const refused = yield* orchestrator.refused("/api/register", claimTask, 409, /task 'shared' belongs to service 'svc-a'/)
        assert.deepStrictEqual(refused.body.conflicts, [{ kind: "task", id: "shared", owner: "svc-a" }])
        assert.strictEqual(refused.body._tag, "OwnedByAnotherService")

        const claimPipeline = yield* registerOver(orchestrator, {
          serviceId: "svc-b",
          baseUrl: yield* deadUrl,
          tasks: [task("own-b")],
          pipelines: [{ id: "flow", entry: ["own-b"] }]
        })
        yield* orchestrator.refused("/api/register", claimPipeline, 409, /pipeline 'flow' belongs to service 'svc-a'/)
        assert.strictEqual((yield* orchestrator.send("/api/register", owner)).status, 200, "the owner re-registers freely")
      }), 60_000)

    it.scopedLive("two services registering the same new task id at once: one owns it, the other gets 409, never a 500", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database())
        for (let round = 0; round < 5; round++) {
          const id = `contested-${round}`
          const requests = yield* Effect.forEach(["svc-a", "svc-b", "svc-c"], (serviceId) =>
            registerOver(orchestrator, {
              serviceId,
              version: "1.0.0",
              baseUrl: `http://127.0.0.1:${9000 + round}/${serviceId}`,
              tasks: [task(id)]
            }))
          const answers = yield* Effect.forEach(requests, (r) => orchestrator.send("/api/register", r), { concurrency: "unbounded" })
          assert.deepStrictEqual(answers.map((a) => a.status).sort(), [200, 409, 409], answers.map((a) => a.text).join("\n"))
          const winner = ["svc-a", "svc-b", "svc-c"][answers.findIndex((a) => a.status === 200)]
          for (const refused of answers.filter((a) => a.status === 409)) {
            assert.match(refused.text, new RegExp(`'${id}' belongs to service '${winner}'`))
          }
        }
      }), 60_000)

    it.scopedLive("takeover: true is refused while the owner has a live instance, granted once it has none, and recorded", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database())
        yield* serveWorker(orchestrator.url, "svc-live", (worker) => worker.register("guarded", async () => 1))
        const takeover = yield* registerOver(orchestrator, {
          serviceId: "svc-b",
          baseUrl: yield* deadUrl,
          tasks: [task("guarded")],
          takeover: true
        })
        yield* orchestrator.refused("/api/register", takeover, 409, /service 'svc-live' has a live instance at http:\/\/127\.0\.0\.1/)

        const gone = yield* registerOver(orchestrator, { serviceId: "svc-gone", baseUrl: yield* deadUrl, tasks: [task("orphaned")] })
        assert.strictEqual((yield* orchestrator.send("/api/register", gone)).status, 200)
        const without = yield* registerOver(orchestrator, { serviceId: "svc-b", baseUrl: yield* deadUrl, tasks: [task("orphaned")] })
        yield* orchestrator.refused("/api/register", without, 409, /takeover: true/)
        const taken = yield* orchestrator.send(
          "/api/register",
          yield* registerOver(orchestrator, { serviceId: "svc-b", baseUrl: yield* deadUrl, tasks: [task("orphaned")], takeover: true })
        )
        assert.strictEqual(taken.status, 200, taken.text)
        const history = (yield* orchestrator.send("/api/tasks/orphaned/history")).body
        assert.deepInclude(history[0], { code_version: 2, service_id: "svc-b", taken_over_from: "svc-gone" })
        assert.deepInclude(history[1], { code_version: 1, service_id: "svc-gone" })
        const services = (yield* orchestrator.send("/api/services")).body as Array<any>
        assert.deepStrictEqual(services.find((s) => s.serviceId === "svc-b").tasks, ["orphaned"])
        assert.deepStrictEqual(services.find((s) => s.serviceId === "svc-gone").tasks, [])
      }), 60_000)

    it.scopedLive("a second SDK worker service declaring an owned task id fails to start with the owner's name; the owner keeps it", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database())
        yield* serveWorker(orchestrator.url, "svc-first", (worker) => worker.register("contested", async () => 1))
        const port = yield* freePort
        const second = createWorker({
          orchestratorUrl: orchestrator.url,
          serviceId: "svc-second",
          secretKey: TEST_SECRET,
          baseUrl: `http://127.0.0.1:${port}`,
          silent: true
        })
        second.register("contested", async () => 2)
        yield* Effect.addFinalizer(() => Effect.promise(() => second.stop().catch(() => undefined)))
        const failed = yield* Effect.flip(Effect.tryPromise(() => second.listen(port, "127.0.0.1")))
        assert.match(String(failed.cause), /409.*task 'contested' belongs to service 'svc-first'/)
        const services = (yield* orchestrator.send("/api/services")).body as Array<any>
        assert.deepStrictEqual(services.map((s) => [s.serviceId, s.tasks]), [["svc-first", ["contested"]]])
      }), 60_000)

    it.scopedLive("a baseUrl that reaches the orchestrator's own listener is refused 400 naming baseUrl", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database())
        const port = new URL(orchestrator.url).port
        for (const baseUrl of [orchestrator.url, `http://localhost:${port}/`, `http://0.0.0.0:${port}`, `http://[::1]:${port}`]) {
          const body = yield* registerOver(orchestrator, { serviceId: "svc-loop", baseUrl, tasks: [task("loop")] })
          yield* orchestrator.refused("/api/register", body, 400, /"field":"baseUrl".*own listener/)
        }
      }), 60_000)

    it.scopedLive("userinfo in a baseUrl is never shown, and a worker's error body is cut to a short sanitised excerpt", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database(), { inlinePayloadBytes: 0 })
        const noisy = yield* answering(500, `boom\u0000\u001b[31m ${"LEAKED-BODY ".repeat(500)}`)
        const withSecret = noisy.url.replace("http://", "http://deploy:hunter2@")
        const body = yield* registerOver(orchestrator, { serviceId: "svc-creds", baseUrl: withSecret, tasks: [task("noisy")] })
        assert.strictEqual((yield* orchestrator.send("/api/register", body)).status, 200)
        const services = yield* orchestrator.send("/api/services")
        assert.notInclude(services.text, "hunter2")
        assert.include(services.text, "http://***@127.0.0.1:")

        const queued = yield* orchestrator.send("/api/queue/task", { body: { taskId: "noisy", input: {} } })
        assert.strictEqual(queued.status, 201, queued.text)
        assert.strictEqual((yield* orchestrator.send("/api/process", { body: {} })).status < 300, true)
        const run = yield* awaitRun(orchestrator, queued.body.runId, (r) => r.attempts?.length > 0 && r.attempts[0].error !== null)
        const error: string = run.attempts[0].error
        assert.match(error, /^worker at http:\/\/\*\*\*@127\.0\.0\.1:\d+\/? answered 500: boom/)
        assert.isAtMost(error.length, 260)
        assert.notMatch(error, /[\u0000-\u001f]/)
        assert.isAtMost(error.split("LEAKED-BODY").length - 1, 12)
        const runText = (yield* orchestrator.send(`/api/task-runs/${queued.body.runId}`)).text
        assert.notInclude(runText, "hunter2")
      }), 60_000)
  })
}
