import { assert, describe, it } from "@effect/vitest"
import { codeHashOf } from "@pipeweave/domain/CodeHash"
import { Clock, Effect } from "effect"
import { createServer } from "node:net"
import { createWorker, runLocal } from "../src/index.js"
import { makeFakeOrchestrator, makeFakeState } from "./FakeOrchestrator.js"
import { collectingLogger, crypto, secretKey, startHarness, tempDirectory } from "./fixtures.js"

const download = async () => ({ pdf: "bytes" })
const processTask = async (ctx: { readonly input: unknown }) => ({ processed: ctx.input })

const freePort = Effect.promise(() =>
  new Promise<number>((resolve) => {
    const server = createServer()
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
)

describe("registration", () => {
  it.scopedLive("sends every task with its options, defaults, code hash and pipelines, with a service credential", () =>
    Effect.gen(function*() {
      const h = yield* startHarness((worker) =>
        worker
          .register("download", { allowedNext: ["process"], heartbeatIntervalMs: 30_000, timeout: 60 }, download)
          .register("process", {
            retries: 5,
            idempotencyKey: (input: { id: string }, v) => `v${v}-${input.id}`,
            idempotencyTTL: 3600,
            description: "processes"
          }, processTask)
          .pipeline("pdf-processing", { entry: ["download"], description: "PDFs" })
      )
      assert.strictEqual(h.fake.state.registrations.length, 1)
      const { body, claims } = h.fake.state.registrations[0]!
      assert.deepStrictEqual(claims, { _tag: "Service", serviceId: "test-service" })
      assert.strictEqual(body.serviceId, "test-service")
      assert.strictEqual(body.version, "1.0.0")
      assert.match(body.baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/)
      assert.deepStrictEqual(body.tasks.map((t) => ({ ...t })), [
        {
          id: "download",
          codeHash: codeHashOf(download.toString()),
          hasIdempotencyKey: false,
          allowedNext: ["process"],
          timeout: 60,
          retries: 3,
          retryBackoff: "exponential",
          retryDelayMs: 1000,
          heartbeatIntervalMs: 30_000,
          concurrency: 0,
          priority: 100
        },
        {
          id: "process",
          codeHash: codeHashOf(processTask.toString()),
          hasIdempotencyKey: true,
          allowedNext: [],
          timeout: 300,
          retries: 5,
          retryBackoff: "exponential",
          retryDelayMs: 1000,
          heartbeatIntervalMs: 60_000,
          concurrency: 0,
          priority: 100,
          idempotencyTTL: 3600,
          description: "processes"
        }
      ])
      assert.deepStrictEqual(body.pipelines.map((p) => ({ ...p })), [
        { id: "pdf-processing", entry: ["download"], description: "PDFs" }
      ])
      const health = yield* Effect.promise(() => fetch(`${h.workerUrl}/health`).then((r) => r.json()))
      assert.deepStrictEqual(health, {
        status: "ok",
        serviceId: "test-service",
        version: "1.0.0",
        tasks: ["download", "process"]
      })
    }))

  it.scopedLive("prints the start-up lines with code hashes, versions and heartbeat intervals", () =>
    Effect.gen(function*() {
      const state = makeFakeState()
      state.codeVersions.set("download", 3)
      state.codeVersions.set("version", 5)
      const version = async (ctx: { readonly codeVersion: number }) => ctx.codeVersion
      const fake = yield* makeFakeOrchestrator(crypto, { state })
      const logger = collectingLogger()
      const tempDir = yield* tempDirectory("tmp")
      const worker = createWorker({
        orchestratorUrl: fake.url,
        serviceId: "my-service",
        version: "1.0.0",
        secretKey,
        tempDir,
        logger,
        baseUrl: "http://worker.internal:8080"
      })
        .register("download", { allowedNext: ["process"], heartbeatIntervalMs: 30_000 }, download)
        .register("process", processTask)
        .register("version", version)
      assert.strictEqual(yield* Effect.promise(() => runLocal(worker, "version", null)), 1)
      yield* Effect.acquireRelease(Effect.promise(() => worker.listen(0)), () => Effect.promise(() => worker.stop()))
      assert.strictEqual(yield* Effect.promise(() => runLocal(worker, "version", null)), 5)
      assert.strictEqual(state.registrations[0]!.body.baseUrl, "http://worker.internal:8080")
      const port = /on port (\d+)$/.exec(logger.lines[0]!)![1]
      assert.deepStrictEqual(logger.lines, [
        `[PipeWeave] Worker my-service v1.0.0 on port ${port}`,
        "[PipeWeave] Task code hashes:",
        `  • download [${codeHashOf(download.toString())}] v3 → [process]`,
        `  • process [${codeHashOf(processTask.toString())}] v1 → (end)`,
        `  • version [${codeHashOf(version.toString())}] v5 → (end)`,
        "[PipeWeave] Heartbeat intervals:",
        "  • download: 30000ms (timeout: 60000ms)",
        "  • process: 60000ms (timeout: 120000ms)",
        "  • version: 60000ms (timeout: 120000ms)"
      ])
    }))

  it.scopedLive("retries until the orchestrator comes up, then resolves listen", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const logger = collectingLogger()
      const tempDir = yield* tempDirectory("tmp")
      const worker = createWorker({
        orchestratorUrl: `http://127.0.0.1:${port}`,
        serviceId: "late-service",
        secretKey,
        tempDir,
        logger
      }).register("t", async () => 1)
      yield* Effect.addFinalizer(() => Effect.promise(() => worker.stop()))
      const started = yield* Clock.currentTimeMillis
      let listened = false
      const listening = worker.listen(0, "127.0.0.1").then(() => void (listened = true))
      yield* Effect.sleep("700 millis")
      assert.isFalse(listened)
      const retries = logger.lines.filter((l) => l.includes("orchestrator not reachable"))
      assert.isAtLeast(retries.length, 2)
      const fake = yield* makeFakeOrchestrator(crypto, { port })
      yield* Effect.promise(() => listening)
      assert.isTrue(listened)
      assert.strictEqual(fake.state.registrations.length, 1)
      assert.strictEqual(fake.state.registrations[0]!.body.version, "0.1.0")
      assert.isBelow((yield* Clock.currentTimeMillis) - started, 5_000)
    }))

  it.scopedLive("a 4xx answer stops retrying and fails listen with the orchestrator's message", () =>
    Effect.gen(function*() {
      const state = makeFakeState()
      state.rejectRegistration = "task 'x' names unknown next task 'y'"
      const fake = yield* makeFakeOrchestrator(crypto, { state })
      const tempDir = yield* tempDirectory("tmp")
      const worker = createWorker({
        orchestratorUrl: fake.url,
        serviceId: "bad-service",
        secretKey,
        tempDir,
        silent: true
      }).register("x", { allowedNext: ["y"] }, async () => 1)
      const error = yield* Effect.flip(Effect.tryPromise(() => worker.listen(0, "127.0.0.1")))
      assert.strictEqual(state.registrations.length, 1)
      assert.include(String((error as { cause?: unknown }).cause), "task 'x' names unknown next task 'y'")
      assert.include(String((error as { cause?: unknown }).cause), "400")
      yield* Effect.promise(() => worker.stop())
    }))

  it.scopedLive("a worker signing with another secret is refused with 401 and listen fails", () =>
    Effect.gen(function*() {
      const fake = yield* makeFakeOrchestrator(crypto)
      const tempDir = yield* tempDirectory("tmp")
      const worker = createWorker({
        orchestratorUrl: fake.url,
        serviceId: "intruder",
        secretKey: "f".repeat(64),
        tempDir,
        silent: true
      }).register("x", async () => 1)
      const error = yield* Effect.flip(Effect.tryPromise(() => worker.listen(0, "127.0.0.1")))
      assert.include(String((error as { cause?: unknown }).cause), "401")
      assert.strictEqual(fake.state.registrations.length, 0)
      yield* Effect.promise(() => worker.stop())
    }))

  it.scopedLive("stop closes the server, also through Symbol.asyncDispose, and the worker can listen again", () =>
    Effect.gen(function*() {
      const fake = yield* makeFakeOrchestrator(crypto)
      const tempDir = yield* tempDirectory("tmp")
      const worker = createWorker({ orchestratorUrl: fake.url, serviceId: "restart", secretKey, tempDir, silent: true })
        .register("t", async () => 1)
      const healthy = (url: string) =>
        Effect.promise(() => fetch(`${url}/health`).then((r) => r.ok, () => false))
      yield* Effect.promise(() => worker.listen(0, "127.0.0.1"))
      const first = fake.state.registrations[0]!.body.baseUrl
      assert.isTrue(yield* healthy(first))
      yield* Effect.promise(() => worker[Symbol.asyncDispose]())
      assert.isFalse(yield* healthy(first))
      yield* Effect.promise(() => worker.stop())
      yield* Effect.promise(() => worker.listen(0, "127.0.0.1"))
      const second = fake.state.registrations[1]!.body.baseUrl
      assert.isTrue(yield* healthy(second))
      yield* Effect.promise(() => worker.stop())
      assert.isFalse(yield* healthy(second))
    }))

  it.scopedLive("stop while listen is still waiting for the orchestrator rejects listen", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const tempDir = yield* tempDirectory("tmp")
      const worker = createWorker({
        orchestratorUrl: `http://127.0.0.1:${port}`,
        serviceId: "never",
        secretKey,
        tempDir,
        silent: true
      }).register("t", async () => 1)
      const listening = worker.listen(0, "127.0.0.1").then(() => "listening", (e: Error) => e.message)
      yield* Effect.sleep("300 millis")
      yield* Effect.promise(() => worker.stop())
      assert.strictEqual(
        yield* Effect.promise(() => listening),
        "[PipeWeave] the worker was stopped before it finished registering"
      )
    }))

  it.scopedLive("a port that is taken fails listen with a message naming the port", () =>
    Effect.gen(function*() {
      const blocker = createServer()
      const port = yield* Effect.promise(() =>
        new Promise<number>((resolve) => blocker.listen(0, "127.0.0.1", () => resolve((blocker.address() as { port: number }).port)))
      )
      yield* Effect.addFinalizer(() => Effect.sync(() => blocker.close()))
      const worker = createWorker({
        orchestratorUrl: "http://127.0.0.1:1",
        serviceId: "busy",
        secretKey,
        tempDir: yield* tempDirectory("tmp"),
        silent: true
      })
      const message = yield* Effect.promise(() => worker.listen(port, "127.0.0.1").then(() => "listening", (e: Error) => e.message))
      assert.match(message, new RegExp(`^\\[PipeWeave\\] cannot listen on port ${port}: listen EADDRINUSE`))
      yield* Effect.promise(() => worker.stop())
    }))
})
