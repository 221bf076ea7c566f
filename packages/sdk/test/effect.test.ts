import { assert, describe, it } from "@effect/vitest"
import { makeLocalStorage } from "@pipeweave/storage/LocalStorage"
import { Context, Effect, Exit, Layer, Ref, Scope } from "effect"
import { RateLimited, TaskError, TaskResult, Worker } from "../src/effect.js"
import { makeFakeOrchestrator } from "./FakeOrchestrator.js"
import { crypto, makeDispatch, post, readJson, secretKey, tempDirectory } from "./fixtures.js"

const defineWorker = (orchestratorUrl: string, tempDir: string) =>
  Worker.make({ orchestratorUrl, serviceId: "effect-service", version: "2.0.0", secretKey, tempDir, silent: true })
    .register("double", { allowedNext: ["report"] }, (ctx) =>
      Effect.gen(function*() {
        const input = ctx.input as { readonly n: number }
        const factor = yield* ctx.getAsset<{ readonly factor: number }>("settings")
        const path = yield* ctx.addAsset("trace", "text", `n=${input.n}`)
        yield* ctx.log.info("doubling", { n: input.n })
        return TaskResult.make({ value: input.n * factor.factor, path }, ["report"])
      }))
    .register("refuse", () => Effect.fail(new TaskError({ message: "refused", code: "REFUSED", retryable: false })))
    .register("throttled", () => Effect.fail(new RateLimited({ retryAfterMs: 1500 })))
    .register("defect", () => Effect.die(new Error("bug")))

describe("Effect entry point", () => {
  it.scopedLive("Worker.layer serves and registers; Effect handlers run end to end", () =>
    Effect.gen(function*() {
      const fake = yield* makeFakeOrchestrator(crypto)
      const storageBase = yield* tempDirectory("storage")
      const tempDir = yield* tempDirectory("tmp")
      const storage = yield* makeLocalStorage({ id: "local", basePath: storageBase })
      const worker = defineWorker(fake.url, tempDir)
      const scope = yield* Scope.make()
      yield* Layer.buildWithScope(Worker.layer(worker, { port: 0, host: "127.0.0.1" }), scope)
      const registration = fake.state.registrations[0]!.body
      assert.strictEqual(registration.version, "2.0.0")
      assert.deepStrictEqual(registration.tasks.map((t) => t.id), ["double", "refuse", "throttled", "defect"])
      const h = { storage, storageBase, workerUrl: registration.baseUrl }

      const body = yield* makeDispatch(h, {
        taskId: "double",
        input: { n: 21 },
        allowedNext: ["report"],
        upstream: { setup: { output: {}, assets: { settings: { body: JSON.stringify({ factor: 2 }), type: "json" } } } }
      })
      const response = yield* post(`${h.workerUrl}/tasks/double`, body)
      assert.deepStrictEqual(response.body, { runId: body.runId, attempt: 1, status: "success" })
      assert.deepStrictEqual(yield* readJson(h, body.outputPath), { value: 42, path: body.assetsPrefix + "trace" })
      assert.deepInclude(fake.state.callbacks[0]!.body, {
        status: "success",
        selectedNext: ["report"],
        assets: { trace: { path: body.assetsPrefix + "trace", size: 4, type: "text" } }
      })

      const failures = []
      for (const taskId of ["refuse", "throttled", "defect"]) {
        const dispatch = yield* makeDispatch(h, { taskId, input: null })
        yield* post(`${h.workerUrl}/tasks/${taskId}`, dispatch)
        const { attempt: _, logsPath: __, status: ___, ...rest } = fake.state.callbacks.at(-1)!.body as any
        failures.push(rest)
      }
      assert.deepStrictEqual(failures, [
        { error: "refused", errorCode: "REFUSED", retryable: false },
        { error: "rate limited", errorCode: "RATE_LIMITED", retryable: true, retryAfterMs: 1500 },
        { error: "bug", retryable: true }
      ])

      yield* Scope.close(scope, Exit.void)
      const after = yield* Effect.either(Effect.tryPromise(() => fetch(`${h.workerUrl}/health`)))
      assert.isTrue(after._tag === "Left")
    }))

  it.scopedLive("Worker.runLocal runs an Effect handler in-process", () =>
    Effect.gen(function*() {
      const worker = defineWorker("http://127.0.0.1:1", yield* tempDirectory("tmp"))
      const result = yield* Worker.runLocal(worker, "double", { input: { n: 5 }, assets: { settings: { factor: 3 } } })
      assert.deepStrictEqual(result.output.value, 15)
      assert.deepStrictEqual(result.runNext, ["report"])
      const error = yield* Effect.flip(Worker.runLocal(worker, "refuse", { input: null }))
      assert.instanceOf(error, TaskError)
    }))

  it.effect("an invalid secret fails the layer and runLocal with InvalidWorkerConfig", () =>
    Effect.gen(function*() {
      const worker = Worker.make({ orchestratorUrl: "http://127.0.0.1:1", serviceId: "s", secretKey: "abc" })
      const error = yield* Effect.flip(Layer.build(Worker.layer(worker, { port: 0 })).pipe(Effect.scoped))
      assert.strictEqual(error._tag, "InvalidWorkerConfig")
      const local = yield* Effect.flip(Worker.runLocal(worker, "x", { input: 1 }))
      assert.strictEqual((local as { _tag: string })._tag, "InvalidWorkerConfig")
    }))

  it.scopedLive("idempotency through Worker.layer: Cached skips the Effect handler, Execute runs it; runLocal ignores it", () =>
    Effect.gen(function*() {
      const fake = yield* makeFakeOrchestrator(crypto)
      const storageBase = yield* tempDirectory("storage")
      const storage = yield* makeLocalStorage({ id: "local", basePath: storageBase })
      let runs = 0
      const tempDir = yield* tempDirectory("tmp")
      const worker = Worker.make({ orchestratorUrl: fake.url, serviceId: "effect-idem", secretKey, tempDir, silent: true })
        .register("charge", { idempotencyKey: (input: { id: string }, v) => `v${v}-${input.id}` }, (ctx) =>
          Effect.sync(() => ({ charged: ctx.input.id, run: ++runs })))
      yield* Layer.build(Worker.layer(worker, { port: 0, host: "127.0.0.1" }))
      const h = { storage, storageBase, workerUrl: fake.state.registrations[0]!.body.baseUrl }
      fake.state.idempotencyAnswers.push({ _tag: "Cached", fromRunId: "trun_earlier01" })
      const cached = yield* makeDispatch(h, { taskId: "charge", input: { id: "a" }, codeVersion: 2 })
      const ack = (yield* post(`${h.workerUrl}/tasks/charge`, cached)).body
      assert.deepStrictEqual(ack, { runId: cached.runId, attempt: 1, status: "success" })
      assert.strictEqual(runs, 0)
      assert.strictEqual(fake.state.callbacks.length, 0)
      const fresh = yield* makeDispatch(h, { taskId: "charge", input: { id: "b" }, codeVersion: 2 })
      yield* post(`${h.workerUrl}/tasks/charge`, fresh)
      assert.deepStrictEqual(yield* readJson(h, fresh.outputPath), { charged: "b", run: 1 })
      assert.deepStrictEqual(fake.state.idempotency.map((c) => c.key), ["v2-a", "v2-b"])
      assert.deepStrictEqual(yield* Worker.runLocal(worker, "charge", { input: { id: "c" } }), { charged: "c", run: 2 })
      assert.strictEqual(fake.state.idempotency.length, 2)
    }))

  it.scopedLive("a handler may require the user's services: Worker.layer and runLocal require them, provided once", () =>
    Effect.gen(function*() {
      class Greeter extends Context.Tag("test/Greeter")<Greeter, { readonly greet: (name: string) => Effect.Effect<string> }>() {}
      class Counter extends Context.Tag("test/Counter")<Counter, Ref.Ref<number>>() {}
      const fake = yield* makeFakeOrchestrator(crypto)
      const storageBase = yield* tempDirectory("storage")
      const storage = yield* makeLocalStorage({ id: "local", basePath: storageBase })
      const worker = Worker.make({ orchestratorUrl: fake.url, serviceId: "effect-services", secretKey, silent: true })
        .register("greet", (ctx) =>
          Effect.gen(function*() {
            const greeter = yield* Greeter
            yield* Ref.update(yield* Counter, (n) => n + 1)
            return { greeting: yield* greeter.greet((ctx.input as { readonly name: string }).name) }
          }))
        .register("count", () => Effect.flatMap(Counter, Ref.get))
      // The layer requires what the handlers require: it is not a Layer needing nothing until they are provided.
      // @ts-expect-error Greeter and Counter are not provided
      const unprovided: Layer.Layer<never, unknown> = Worker.layer(worker, { port: 0 })
      assert.isTrue(Layer.isLayer(unprovided))
      const served = Worker.layer(worker, { port: 0, host: "127.0.0.1" })
      const counter = yield* Ref.make(0)
      const services = Layer.merge(
        Layer.succeed(Greeter, { greet: (name) => Effect.succeed(`Hello, ${name}!`) }),
        Layer.succeed(Counter, counter)
      )
      yield* Layer.build(served.pipe(Layer.provide(services)))
      const h = { storage, storageBase, workerUrl: fake.state.registrations[0]!.body.baseUrl }
      const dispatch = yield* makeDispatch(h, { taskId: "greet", input: { name: "Ada" } })
      const ack = (yield* post(`${h.workerUrl}/tasks/greet`, dispatch)).body
      assert.deepStrictEqual(ack, { runId: dispatch.runId, attempt: 1, status: "success" })
      assert.deepStrictEqual(yield* readJson(h, dispatch.outputPath), { greeting: "Hello, Ada!" })
      assert.strictEqual(yield* Ref.get(counter), 1)

      const local = yield* Worker.runLocal(worker, "greet", { input: { name: "Bo" } }).pipe(Effect.provide(services))
      assert.deepStrictEqual(local, { greeting: "Hello, Bo!" })
      assert.strictEqual(yield* Worker.runLocal(worker, "count", { input: null }).pipe(Effect.provide(services)), 2)
    }))
})
