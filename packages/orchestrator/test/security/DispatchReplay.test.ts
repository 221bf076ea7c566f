import { createHash } from "node:crypto"
import { readFileSync } from "node:fs"
import { createServer } from "node:http"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { createWorker } from "@pipeweave/sdk"
import { Crypto } from "@pipeweave/storage/Crypto"
import { Effect, Schedule } from "effect"
import { OrchestratorConfig } from "../../src/Config.js"
import { freePort } from "../support/Processes.js"
import { databases } from "../support/TestDatabase.js"
import { TEST_SECRET } from "../support/TestOrchestrator.js"
import { send, target } from "./Harness.js"

/**
 * A real SDK worker registered behind a recording proxy: every dispatch the orchestrator sends is
 * kept (as an attacker on the path would see it) and forwarded to the worker.
 */
const recordedWorker = (orchestratorUrl: string) =>
  Effect.gen(function*() {
    const workerPort = yield* freePort
    const workerUrl = `http://127.0.0.1:${workerPort}`
    const dispatches: Array<any> = []
    let groups = 0
    const proxy = yield* Effect.acquireRelease(
      Effect.promise(() =>
        new Promise<{ url: string; close: () => void }>((resolve) => {
          const server = createServer((req, res) => {
            const chunks: Array<Buffer> = []
            req.on("data", (c: Buffer) => chunks.push(c))
            req.on("end", async () => {
              const body = Buffer.concat(chunks).toString("utf8")
              // Runs claimed together reach the worker as one grouped dispatch (`POST /dispatches`):
              // each of its items is a dispatch an attacker could capture and replay on its own.
              if (req.method === "POST") {
                const parsed = JSON.parse(body)
                if (Array.isArray(parsed.dispatches)) groups++
                dispatches.push(...(Array.isArray(parsed.dispatches) ? parsed.dispatches : [parsed]))
              }
              const answer = await fetch(`${workerUrl}${req.url}`, {
                method: req.method ?? "GET",
                headers: { "content-type": "application/json" },
                ...(req.method === "POST" ? { body } : {})
              })
              res.writeHead(answer.status, { "content-type": "application/json" }).end(await answer.text())
            })
          })
          server.listen(0, "127.0.0.1", () => {
            const address = server.address()
            const port = typeof address === "object" && address !== null ? address.port : 0
            resolve({ url: `http://127.0.0.1:${port}`, close: () => server.close() })
          })
        })
      ),
      (p) => Effect.sync(p.close)
    )
    let runs = 0
    const worker = createWorker({
      orchestratorUrl,
      serviceId: "svc-echo",
      version: "1.0.0",
      secretKey: TEST_SECRET,
      baseUrl: proxy.url,
      silent: true
    })
    worker.register("echo", async (ctx) => {
      runs++
      return { echoed: ctx.input }
    })
    yield* Effect.acquireRelease(Effect.promise(() => worker.listen(workerPort, "127.0.0.1")), () =>
      Effect.promise(() => worker.stop()))
    return { workerUrl, dispatches, runs: () => runs, groups: () => groups }
  })

/** Rows and objects, with the run counts folded (the monitor folds count deltas in the background). */
const settled = (state: { readonly rows: Record<string, any>; readonly objects: Record<string, string> }) => {
  const { task_run_count_deltas: deltas, task_run_counts: counts, ...rows } = state.rows
  const folded: Record<string, number> = {}
  for (const c of counts as Array<any>) folded[c.status] = (folded[c.status] ?? 0) + Number(c.n)
  for (const d of deltas as Array<any>) folded[d.status] = (folded[d.status] ?? 0) + Number(d.delta)
  return { rows, counts: folded, objects: state.objects }
}

const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex")

for (const [name, database] of databases) {
  describe(`dispatch replay on ${name}`, () => {
    it.scopedLive("a captured dispatch replayed with another run's outputPath, or unchanged, is refused; nothing changes", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database(), { mode: "standalone", inlinePayloadBytes: 0 })
        const worker = yield* recordedWorker(orchestrator.url)
        const completed = (runId: string) =>
          orchestrator.send(`/api/task-runs/${runId}`).pipe(
            Effect.map((a) => a.body),
            Effect.filterOrFail((run) => run.status === "completed", (run) => new Error(JSON.stringify(run))),
            Effect.retry(Schedule.spaced("50 millis").pipe(Schedule.upTo("30 seconds"))),
            Effect.orDie
          )
        // Queued together, the two runs are claimed together and reach the worker in one grouped
        // dispatch: the attacker's item is captured from it (two single submissions sometimes went
        // that way too, on a loaded machine, and the capture then found nothing).
        const queuedBoth = yield* orchestrator.send("/api/queue/batch", {
          body: { tasks: [{ taskId: "echo", input: { who: "attacker" } }, { taskId: "echo", input: { who: "victim" } }] }
        })
        const [attacker, victim] = (queuedBoth.body.results as Array<{ runId: string }>).map((r) => r.runId) as [string, string]
        yield* completed(attacker)
        const victimRun = yield* completed(victim)
        assert.strictEqual(worker.runs(), 2)
        assert.strictEqual(worker.groups(), 1)
        const captured = worker.dispatches.find((d) => d.runId === attacker)
        assert.isDefined(captured)
        const victimObject = join(orchestrator.storageRoot, victimRun.outputPath)
        const victimBytes = sha(victimObject)
        const before = settled(yield* orchestrator.state)

        const edited = yield* send(worker.workerUrl, "/tasks/echo", { body: { ...captured, outputPath: victimRun.outputPath } })
        assert.strictEqual(edited.status, 401, edited.text)
        assert.match(edited.body.message, /^outputPath: /)
        const unchanged = yield* send(worker.workerUrl, "/tasks/echo", { body: captured })
        assert.strictEqual(unchanged.status, 409, unchanged.text)
        assert.strictEqual(unchanged.body._tag, "Conflict")

        assert.strictEqual(worker.runs(), 2, "no handler ran again")
        assert.strictEqual(sha(victimObject), victimBytes)
        assert.deepStrictEqual(settled(yield* orchestrator.state), before)
      }), 90_000)

    it.scopedLive("when the orchestrator refuses the callback, the worker's ack is a failure naming the rejection", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database(), { mode: "standalone", inlinePayloadBytes: 0 })
        const worker = yield* recordedWorker(orchestrator.url)
        const queued = yield* orchestrator.send("/api/queue/task", { body: { taskId: "echo", input: 1 } })
        const runId = queued.body.runId as string
        yield* orchestrator.send(`/api/task-runs/${runId}`).pipe(
          Effect.filterOrFail((a) => a.body.status === "completed", () => new Error("not yet")),
          Effect.retry(Schedule.spaced("50 millis").pipe(Schedule.upTo("30 seconds"))),
          Effect.orDie
        )
        const captured = worker.dispatches.find((d) => d.runId === runId)
        const scope = runId
        const stale = yield* orchestrator.use(Effect.gen(function*() {
          const crypto = yield* Crypto
          const now = Date.now()
          const backend = (yield* OrchestratorConfig).storage.backends[0]!
          return {
            ...captured,
            attempt: 2,
            storageToken: yield* crypto.sealStorageToken(
              { runId, taskId: "echo", attempt: 2, scope, inputPath: captured.inputPath, backend },
              now,
              600
            ),
            callbackToken: yield* crypto.signCredential({ _tag: "Run", runId, attempt: 2, scope }, now, 600)
          }
        }))
        const ack = yield* send(worker.workerUrl, "/tasks/echo", { body: stale })
        assert.strictEqual(ack.status, 200, ack.text)
        assert.deepStrictEqual(ack.body, { runId, attempt: 2, status: "failure", callback: "rejected" })
        const run = (yield* orchestrator.send(`/api/task-runs/${runId}`)).body
        assert.strictEqual(run.status, "completed")
        assert.strictEqual(run.attempt, 1)
      }), 90_000)
  })
}
