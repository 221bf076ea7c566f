import { assert, describe, it } from "@effect/vitest"
import { NodeFileSystem, NodePath } from "@effect/platform-node"
import type { CallbackPayload } from "@pipeweave/domain/Callback"
import { DispatchPayload } from "@pipeweave/domain/Dispatch"
import { makeMemoryStorage } from "@pipeweave/storage/MemoryStorage"
import { Clock, Deferred, Duration, Effect, Fiber, Layer, Queue, Ref, TestClock } from "effect"
import { executeDispatch } from "../src/internal/executeDispatch.js"
import { AttemptTimers } from "../src/internal/AttemptTimers.js"
import { OrchestratorClient, OrchestratorError } from "../src/internal/OrchestratorClient.js"
import { adaptPromiseHandler } from "../src/internal/PromiseContext.js"
import { StorageRegistry } from "../src/internal/StorageRegistry.js"
import type { CoreHandler } from "../src/internal/TaskContext.js"
import { makeTaskDefinition } from "../src/internal/TaskDefinition.js"
import { resolveConfig } from "../src/internal/WorkerConfig.js"
import { layerWorkerLog } from "../src/internal/WorkerLog.js"
import { WorkerSettings } from "../src/internal/WorkerSettings.js"
import { secretKey, tempDirectory } from "./fixtures.js"

/** In-memory stand-ins for the orchestrator calls and storage of one execution, on the TestClock. */
const makeEnv = (callbackFailures: number, putTakes: Duration.DurationInput = 0) =>
  Effect.gen(function*() {
    const beats = yield* Ref.make<ReadonlyArray<number>>([])
    const callbacks = yield* Queue.unbounded<{ readonly at: number; readonly body: CallbackPayload }>()
    const failuresLeft = yield* Ref.make(callbackFailures)
    const storage = makeMemoryStorage("memory")
    yield* storage.put("standalone/trun_clock01/input.json", JSON.stringify({ n: 1 }), "application/json")
    const tempDir = yield* tempDirectory("clock")
    const config = resolveConfig({ orchestratorUrl: "http://fake", serviceId: "clock", secretKey, tempDir }, {})
    const layer = Layer.mergeAll(
      AttemptTimers.layer,
      Layer.succeed(OrchestratorClient, {
        register: () => Effect.die("unused"),
        deregister: () => Effect.die("unused"),
        heartbeat: (body) =>
          Effect.flatMap(Clock.currentTimeMillis, (now) => Ref.update(beats, (xs) => [...xs, now])).pipe(
            Effect.as({ runId: body.runId, status: "running" as const, cancelled: false })
          ),
        progress: () => Effect.die("unused"),
        callbacks: () => Effect.die("unused"),
        useGroupedCallbacks: () => Effect.void,
        countRunning: () => Effect.void,
        idempotency: () => Effect.die("unused"),
        callback: (_, body) =>
          Effect.gen(function*() {
            yield* Queue.offer(callbacks, { at: yield* Clock.currentTimeMillis, body })
            if ((yield* Ref.getAndUpdate(failuresLeft, (n) => n - 1)) > 0) {
              return yield* new OrchestratorError({ operation: "callback", status: 503, message: "HTTP 503", retryable: true })
            }
          })
      }),
      Layer.succeed(StorageRegistry, {
        get: () => Effect.succeed({ ...storage, put: (...args) => Effect.zipRight(Effect.sleep(putTakes), storage.put(...args)) })
      }),
      Layer.succeed(WorkerSettings, Effect.runSync(config)),
      layerWorkerLog(undefined, true),
      NodeFileSystem.layer,
      NodePath.layer
    )
    return { beats: Ref.get(beats), callbacks, layer }
  })

const payload = (timeoutSeconds: number, heartbeatIntervalMs: number) =>
  DispatchPayload.make({
    runId: "trun_clock01",
    taskId: "clocked",
    pipelineRunId: null,
    attempt: 1,
    codeVersion: 1,
    codeHash: "0123456789abcdef",
    inputPath: "standalone/trun_clock01/input.json",
    upstream: {},
    previousAttempts: [],
    heartbeatIntervalMs,
    timeoutSeconds,
    allowedNext: [],
    outputPath: "runs/trun_clock01/outputs/trun_clock01.json",
    assetsPrefix: "runs/trun_clock01/assets/trun_clock01/",
    logsPath: "runs/trun_clock01/logs/trun_clock01.jsonl",
    storageToken: "unused",
    callbackToken: "unused"
  })

const backend = {
  runId: "trun_clock01",
  taskId: "clocked",
  attempt: 1,
  scope: "trun_clock01",
  inputPath: "standalone/trun_clock01/input.json",
  backend: { id: "memory", provider: "local" as const, credentials: { basePath: "/unused" } },
  expiresAtMs: Number.MAX_SAFE_INTEGER
}
const task = (handler: CoreHandler) => makeTaskDefinition("clocked", {}, handler, handler.toString())

describe("execution on the TestClock", () => {
  it.scoped("heartbeats after 1 s, then every interval while the handler runs, and stop with the execution", () =>
    Effect.gen(function*() {
      const env = yield* makeEnv(0)
      const started = yield* Deferred.make<void>()
      const handler: CoreHandler = () =>
        Deferred.succeed(started, undefined).pipe(Effect.zipRight(Effect.sleep("95 seconds")), Effect.as({ ok: true }))
      const fiber = yield* Effect.fork(executeDispatch(task(handler), payload(300, 30_000), backend).pipe(Effect.provide(env.layer)))
      yield* Deferred.await(started)
      assert.deepStrictEqual(yield* env.beats, [])
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(yield* env.beats, [1000])
      yield* TestClock.adjust("94 seconds")
      assert.deepStrictEqual(yield* Fiber.join(fiber), { runId: "trun_clock01", attempt: 1, status: "success" })
      assert.deepStrictEqual(yield* env.beats, [1000, 31_000, 61_000, 91_000])
      const callback = yield* Queue.take(env.callbacks)
      assert.strictEqual(callback.at, 95_000)
      assert.strictEqual(callback.body.status, "success")
      yield* TestClock.adjust("5 minutes")
      assert.deepStrictEqual(yield* env.beats, [1000, 31_000, 61_000, 91_000])
    }))

  it.scoped("an attempt that ends within a second sends no heartbeat", () =>
    Effect.gen(function*() {
      const env = yield* makeEnv(0)
      const handler: CoreHandler = () => Effect.as(Effect.sleep("999 millis"), "quick")
      const fiber = yield* Effect.fork(executeDispatch(task(handler), payload(300, 60_000), backend).pipe(Effect.provide(env.layer)))
      yield* TestClock.adjust("999 millis")
      assert.deepStrictEqual(yield* Fiber.join(fiber), { runId: "trun_clock01", attempt: 1, status: "success" })
      yield* TestClock.adjust("5 minutes")
      assert.deepStrictEqual(yield* env.beats, [])
      assert.strictEqual((yield* Queue.take(env.callbacks)).at, 999)
    }))

  it.scoped("a Promise handler is interrupted exactly at the timeout, with ctx.signal aborted", () =>
    Effect.gen(function*() {
      const env = yield* makeEnv(0)
      const started = yield* Deferred.make<void>()
      const abortedAt = yield* Ref.make<ReadonlyArray<boolean>>([])
      const handler = adaptPromiseHandler((ctx) => {
        Effect.runSync(Deferred.succeed(started, undefined))
        ctx.signal.addEventListener("abort", () => Effect.runSync(Ref.update(abortedAt, (xs) => [...xs, ctx.signal.aborted])))
        return new Promise(() => {})
      })
      const fiber = yield* Effect.fork(executeDispatch(task(handler), payload(120, 50_000), backend).pipe(Effect.provide(env.layer)))
      yield* Deferred.await(started)
      yield* TestClock.adjust("119999 millis")
      assert.deepStrictEqual(yield* Ref.get(abortedAt), [])
      assert.strictEqual(yield* Queue.size(env.callbacks), 0)
      yield* TestClock.adjust("1 millis")
      assert.deepStrictEqual(yield* Fiber.join(fiber), { runId: "trun_clock01", attempt: 1, status: "failure" })
      assert.deepStrictEqual(yield* Ref.get(abortedAt), [true])
      const callback = yield* Queue.take(env.callbacks)
      assert.strictEqual(callback.at, 120_000)
      assert.deepInclude(callback.body, { status: "failure", errorCode: "TIMEOUT", retryable: true })
      assert.deepStrictEqual(yield* env.beats, [1000, 51_000, 101_000])
    }))

  it.scoped("the callback is retried 100 ms and then 200 ms after 503 answers", () =>
    Effect.gen(function*() {
      const env = yield* makeEnv(2)
      const handler: CoreHandler = () => Effect.succeed("done")
      const fiber = yield* Effect.fork(executeDispatch(task(handler), payload(300, 60_000), backend).pipe(Effect.provide(env.layer)))
      assert.strictEqual((yield* Queue.take(env.callbacks)).at, 0)
      yield* TestClock.adjust("99 millis")
      assert.strictEqual(yield* Queue.size(env.callbacks), 0)
      yield* TestClock.adjust("1 millis")
      assert.strictEqual((yield* Queue.take(env.callbacks)).at, 100)
      yield* TestClock.adjust("200 millis")
      assert.strictEqual((yield* Queue.take(env.callbacks)).at, 300)
      assert.deepStrictEqual(yield* Fiber.join(fiber), { runId: "trun_clock01", attempt: 1, status: "success" })
    }))

  it.scoped("an Effect handler is interrupted at the timeout and sees ctx.signal aborted", () =>
    Effect.gen(function*() {
      const env = yield* makeEnv(0)
      const started = yield* Deferred.make<AbortSignal>()
      const handler: CoreHandler = (ctx) => Deferred.succeed(started, ctx.signal).pipe(Effect.zipRight(Effect.never))
      const fiber = yield* Effect.fork(executeDispatch(task(handler), payload(10, 60_000), backend).pipe(Effect.provide(env.layer)))
      const signal = yield* Deferred.await(started)
      yield* TestClock.adjust("10 seconds")
      assert.strictEqual((yield* Fiber.join(fiber)).status, "failure")
      assert.isTrue(signal.aborted)
      const callback = yield* Queue.take(env.callbacks)
      assert.strictEqual(callback.at, 10_000)
      assert.deepInclude(callback.body, { errorCode: "TIMEOUT", error: "task 'clocked' timed out after 10s" })
    }))

  it.scoped("the timeout covers the handler, not the saving of its output after it", () =>
    Effect.gen(function*() {
      const env = yield* makeEnv(0, "20 seconds")
      const handler: CoreHandler = () => Effect.as(Effect.sleep("9 seconds"), { ok: true })
      const fiber = yield* Effect.fork(executeDispatch(task(handler), payload(10, 60_000), backend).pipe(Effect.provide(env.layer)))
      yield* TestClock.adjust("9 seconds")
      yield* TestClock.adjust("20 seconds")
      const callback = yield* Queue.take(env.callbacks)
      assert.strictEqual(callback.at, 29_000)
      assert.strictEqual(callback.body.status, "success")
      assert.deepStrictEqual(yield* Fiber.join(fiber), { runId: "trun_clock01", attempt: 1, status: "success" })
    }))
})
