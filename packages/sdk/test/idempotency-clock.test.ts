import { assert, describe, it } from "@effect/vitest"
import { NodeFileSystem, NodePath } from "@effect/platform-node"
import type { CallbackPayload } from "@pipeweave/domain/Callback"
import { DispatchPayload } from "@pipeweave/domain/Dispatch"
import type { IdempotencyDecision } from "@pipeweave/domain/Idempotency"
import { makeMemoryStorage } from "@pipeweave/storage/MemoryStorage"
import { Clock, Effect, Fiber, Layer, Queue, Ref, TestClock } from "effect"
import { executeDispatch } from "../src/internal/executeDispatch.js"
import { AttemptTimers } from "../src/internal/AttemptTimers.js"
import { OrchestratorClient, OrchestratorError } from "../src/internal/OrchestratorClient.js"
import { StorageRegistry } from "../src/internal/StorageRegistry.js"
import type { CoreHandler } from "../src/internal/TaskContext.js"
import { makeTaskDefinition } from "../src/internal/TaskDefinition.js"
import { resolveConfig } from "../src/internal/WorkerConfig.js"
import { layerWorkerLog } from "../src/internal/WorkerLog.js"
import { WorkerSettings } from "../src/internal/WorkerSettings.js"
import { secretKey, tempDirectory } from "./fixtures.js"

type Answer = IdempotencyDecision | OrchestratorError

const wait = (retryAfterMs: number): Answer => ({ _tag: "Wait", retryAfterMs })
const execute: Answer = { _tag: "Execute" }
const unavailable = (status: number | undefined) =>
  new OrchestratorError({ operation: "idempotency", status, message: `HTTP ${status ?? "network"}`, retryable: true })

/** A scripted orchestrator on the TestClock: checks answer from `answers` (then `then`); beats may cancel from `cancelAt`. */
const makeEnv = (answers: ReadonlyArray<Answer>, then: Answer, cancelAt = Infinity) =>
  Effect.gen(function*() {
    const checks = yield* Queue.unbounded<{ readonly at: number; readonly key: string }>()
    const beats = yield* Ref.make<ReadonlyArray<number>>([])
    const callbacks = yield* Ref.make<ReadonlyArray<{ readonly at: number; readonly body: CallbackPayload }>>([])
    const asked = yield* Ref.make(0)
    const storage = makeMemoryStorage("memory")
    yield* storage.put("standalone/trun_idem01/input.json", JSON.stringify({ orderId: 42 }), "application/json")
    const tempDir = yield* tempDirectory("idem")
    const config = resolveConfig({ orchestratorUrl: "http://fake", serviceId: "idem", secretKey, tempDir }, {})
    const layer = Layer.mergeAll(
      AttemptTimers.layer,
      Layer.succeed(OrchestratorClient, {
        register: () => Effect.die("unused"),
        deregister: () => Effect.die("unused"),
        heartbeat: (body) =>
          Effect.flatMap(Clock.currentTimeMillis, (now) =>
            Ref.update(beats, (xs) => [...xs, now]).pipe(
              Effect.as({ runId: body.runId, status: "running" as const, cancelled: now >= cancelAt })
            )),
        progress: () => Effect.die("unused"),
        callbacks: () => Effect.die("unused"),
        useGroupedCallbacks: () => Effect.void,
        countRunning: () => Effect.void,
        idempotency: (body) =>
          Effect.gen(function*() {
            yield* Queue.offer(checks, { at: yield* Clock.currentTimeMillis, key: body.key })
            const n = yield* Ref.getAndUpdate(asked, (k) => k + 1)
            const answer = answers[n] ?? then
            return answer instanceof OrchestratorError ? yield* Effect.fail(answer) : answer
          }),
        callback: (_, body) => Effect.flatMap(Clock.currentTimeMillis, (at) => Ref.update(callbacks, (xs) => [...xs, { at, body }]))
      }),
      Layer.succeed(StorageRegistry, { get: () => Effect.succeed(storage) }),
      Layer.succeed(WorkerSettings, Effect.runSync(config)),
      layerWorkerLog(undefined, true),
      NodeFileSystem.layer,
      NodePath.layer
    )
    const instants = Effect.map(Queue.takeAll(checks), (all) => [...all].map((c) => c.at))
    return { checks, instants, beats: Ref.get(beats), callbacks: Ref.get(callbacks), layer }
  })

const payload = (timeoutSeconds: number) =>
  DispatchPayload.make({
    runId: "trun_idem01",
    taskId: "charge",
    pipelineRunId: null,
    attempt: 1,
    codeVersion: 3,
    codeHash: "0123456789abcdef",
    inputPath: "standalone/trun_idem01/input.json",
    upstream: {},
    previousAttempts: [],
    heartbeatIntervalMs: 1000,
    timeoutSeconds,
    allowedNext: [],
    outputPath: "runs/trun_idem01/outputs/trun_idem01.json",
    assetsPrefix: "runs/trun_idem01/assets/trun_idem01/",
    logsPath: "runs/trun_idem01/logs/trun_idem01.jsonl",
    storageToken: "unused",
    callbackToken: "unused"
  })

const backend = {
  runId: "trun_idem01",
  taskId: "charge",
  attempt: 1,
  scope: "trun_idem01",
  inputPath: "standalone/trun_idem01/input.json",
  backend: { id: "memory", provider: "local" as const, credentials: { basePath: "/unused" } },
  expiresAtMs: Number.MAX_SAFE_INTEGER
}

const countingTask = Effect.map(Ref.make<ReadonlyArray<number>>([]), (runs) => {
  const handler: CoreHandler = () => Effect.flatMap(Clock.currentTimeMillis, (now) => Ref.update(runs, (xs) => [...xs, now]))
  const task = makeTaskDefinition("charge", { idempotencyKey: (i: { orderId: number }, v) => `v${v}-order-${i.orderId}` }, handler, "")
  return { task, runs: Ref.get(runs) }
})

describe("idempotency check on the TestClock", () => {
  it.scoped("Wait: asks again after exactly retryAfterMs, heartbeats go on, then Execute runs the handler once", () =>
    Effect.gen(function*() {
      const env = yield* makeEnv([wait(2500), wait(2500)], execute)
      const { runs, task } = yield* countingTask
      const fiber = yield* Effect.fork(executeDispatch(task, payload(300), backend).pipe(Effect.provide(env.layer)))
      assert.deepStrictEqual(yield* Queue.take(env.checks), { at: 0, key: "v3-order-42" })
      yield* TestClock.adjust("2499 millis")
      assert.deepStrictEqual(yield* env.instants, [])
      yield* TestClock.adjust("1 millis")
      assert.deepStrictEqual(yield* Queue.take(env.checks), { at: 2500, key: "v3-order-42" })
      yield* TestClock.adjust("2500 millis")
      assert.strictEqual((yield* Queue.take(env.checks)).at, 5000)
      assert.deepStrictEqual(yield* Fiber.join(fiber), { runId: "trun_idem01", attempt: 1, status: "success" })
      assert.deepStrictEqual(yield* runs, [5000])
      assert.deepStrictEqual((yield* env.beats).slice(0, 4), [1000, 2000, 3000, 4000])
      assert.deepStrictEqual((yield* env.callbacks).map((c) => [c.at, c.body.status]), [[5000, "success"]])
    }))

  it.scoped("network errors and 5xx answers are retried after 100 ms, then 200 ms", () =>
    Effect.gen(function*() {
      const env = yield* makeEnv([unavailable(503), unavailable(undefined)], execute)
      const { runs, task } = yield* countingTask
      const fiber = yield* Effect.fork(executeDispatch(task, payload(300), backend).pipe(Effect.provide(env.layer)))
      assert.strictEqual((yield* Queue.take(env.checks)).at, 0)
      yield* TestClock.adjust("99 millis")
      assert.deepStrictEqual(yield* env.instants, [])
      yield* TestClock.adjust("1 millis")
      assert.strictEqual((yield* Queue.take(env.checks)).at, 100)
      yield* TestClock.adjust("200 millis")
      assert.strictEqual((yield* Queue.take(env.checks)).at, 300)
      assert.strictEqual((yield* Fiber.join(fiber)).status, "success")
      assert.deepStrictEqual(yield* runs, [300])
    }))

  it.scoped("waiting counts against the attempt's timeout: TIMEOUT at the limit, handler never run", () =>
    Effect.gen(function*() {
      const env = yield* makeEnv([], wait(1000))
      const { runs, task } = yield* countingTask
      const fiber = yield* Effect.fork(executeDispatch(task, payload(10), backend).pipe(Effect.provide(env.layer)))
      yield* Queue.take(env.checks)
      yield* TestClock.adjust("10 seconds")
      assert.strictEqual((yield* Fiber.join(fiber)).status, "failure")
      assert.deepStrictEqual((yield* env.instants).slice(0, 9), [1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000])
      assert.deepStrictEqual(yield* runs, [])
      const [callback] = yield* env.callbacks
      assert.strictEqual(callback!.at, 10_000)
      assert.deepInclude(callback!.body, { status: "failure", errorCode: "TIMEOUT", retryable: true })
    }))

  it.scoped("a cancellation while waiting ends the attempt: no handler, no callback", () =>
    Effect.gen(function*() {
      const env = yield* makeEnv([], wait(1000), 3000)
      const { runs, task } = yield* countingTask
      const fiber = yield* Effect.fork(executeDispatch(task, payload(300), backend).pipe(Effect.provide(env.layer)))
      yield* Queue.take(env.checks)
      yield* TestClock.adjust("5 seconds")
      assert.deepStrictEqual(yield* Fiber.join(fiber), { runId: "trun_idem01", attempt: 1, status: "failure" })
      assert.deepStrictEqual(yield* runs, [])
      assert.deepStrictEqual(yield* env.callbacks, [])
    }))
})
