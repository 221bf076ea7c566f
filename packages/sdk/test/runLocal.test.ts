import { assert, describe, it } from "@effect/vitest"
import { codeHashOf } from "@pipeweave/domain/CodeHash"
import { Effect } from "effect"
import { readdir } from "node:fs/promises"
import { createWorker, runLocal, type TaskContext, TaskError, type TaskResult } from "../src/index.js"
import { collectingLogger, secretKey, tempDirectory } from "./fixtures.js"

const makeWorker = (tempDir: string) => {
  const logger = collectingLogger()
  const seen: Array<TaskContext> = []
  const inspect = async (ctx: TaskContext) => {
    seen.push(ctx)
    return { input: ctx.input, upstream: ctx.upstream }
  }
  const worker = createWorker({ orchestratorUrl: "http://127.0.0.1:1", serviceId: "local", secretKey, tempDir, logger })
    .register("inspect", inspect)
    .register("router", { allowedNext: ["a", "b"] }, async (ctx): Promise<TaskResult<string>> => ({
      output: "routed",
      runNext: ctx.input === "bad" ? ["c"] : ["a"]
    }))
    .register("assets", async (ctx) => {
      const logo = await ctx.getAsset<Buffer>("logo")
      const config = await ctx.getAsset("config")
      const note = await ctx.getAsset("note")
      const stored = await ctx.addAsset("result", "json", { size: logo.length })
      ctx.log.info("done", { stored })
      await ctx.progress(100)
      return { logo: [...logo], config, note, stored, again: await ctx.getAsset("result") }
    })
    .register("destructured", async ({ addAsset, getAsset, input, log, progress, signal }) => {
      const stored = await addAsset("copy", "json", input)
      log.info("destructured")
      await progress(40)
      return { stored, again: await getAsset("copy"), aborted: signal.aborted }
    })
    .register("fails", async () => {
      throw new TaskError("nope", { code: "NOPE", retryable: false })
    })
  return { worker, seen, logger, inspect }
}

describe("runLocal", () => {
  it.scopedLive("positional form: input and upstream, returns the handler's value", () =>
    Effect.gen(function*() {
      const tempDir = yield* tempDirectory("local")
      const { inspect, seen, worker } = makeWorker(tempDir)
      const result = yield* Effect.promise(() => runLocal(worker, "inspect", { data: "test" }, { prev: { result: 1 } }))
      assert.deepStrictEqual(result, { input: { data: "test" }, upstream: { prev: { result: 1 } } })
      const ctx = seen[0]!
      assert.strictEqual(ctx.attempt, 1)
      assert.strictEqual(ctx.codeVersion, 1)
      assert.strictEqual(ctx.codeHash, codeHashOf(inspect.toString()))
      assert.deepStrictEqual(ctx.previousAttempts, [])
      assert.isUndefined(ctx.pipelineRunId)
      assert.match(ctx.runId, /^trun_local[a-z0-9]{6,}$/)
      assert.deepStrictEqual(yield* Effect.promise(() => readdir(tempDir)), [])
    }))

  it.scopedLive("options form: previousAttempts, codeVersion, codeHash, attempt", () =>
    Effect.gen(function*() {
      const { seen, worker } = makeWorker(yield* tempDirectory("local"))
      const timestamp = new Date("2026-01-01T00:00:00Z")
      const result = yield* Effect.promise(() =>
        runLocal(worker, "inspect", {
          input: { data: "test" },
          upstream: { "previous-task": { result: "mock" } },
          previousAttempts: [{ attempt: 1, error: "Simulated failure", timestamp }],
          codeVersion: 7,
          codeHash: "a3f8b2c1d4e5f6a7"
        })
      )
      assert.deepStrictEqual(result, { input: { data: "test" }, upstream: { "previous-task": { result: "mock" } } })
      const ctx = seen[0]!
      assert.strictEqual(ctx.attempt, 2)
      assert.strictEqual(ctx.codeVersion, 7)
      assert.strictEqual(ctx.codeHash, "a3f8b2c1d4e5f6a7")
      assert.deepStrictEqual(ctx.previousAttempts, [{ attempt: 1, error: "Simulated failure", timestamp }])
    }))

  it.scopedLive("the options form is chosen only for a plain object of known keys with input, and no 4th argument", () =>
    Effect.gen(function*() {
      const { worker } = makeWorker(yield* tempDirectory("local"))
      const run = (...args: [unknown, ...Array<unknown>]) =>
        Effect.promise(() => (runLocal as (...a: Array<unknown>) => Promise<any>)(worker, "inspect", ...args))
      assert.deepStrictEqual((yield* run({ input: 1, other: 2 })).input, { input: 1, other: 2 })
      assert.deepStrictEqual((yield* run({ input: 1 }, undefined)).input, { input: 1 })
      assert.deepStrictEqual((yield* run({ input: 1 }, { up: 2 })).upstream, { up: 2 })
      assert.deepStrictEqual((yield* run({ upstream: {} })).input, { upstream: {} })
      assert.strictEqual((yield* run({ input: 1, attempt: 3 })).input, 1)
      assert.strictEqual((yield* run(null)).input, null)
    }))

  it.scopedLive("assets: given upstream assets are readable by type; new assets are readable back", () =>
    Effect.gen(function*() {
      const { logger, worker } = makeWorker(yield* tempDirectory("local"))
      const result = yield* Effect.promise(() =>
        runLocal(worker, "assets", {
          input: null,
          assets: { logo: Buffer.from([9, 8]), config: { deep: true }, note: "plain text" }
        })
      )
      assert.strictEqual(result.stored.endsWith("/result"), true)
      assert.deepStrictEqual(result, {
        logo: [9, 8],
        config: { deep: true },
        note: "plain text",
        stored: result.stored,
        again: { size: 2 }
      })
      assert.isTrue(logger.lines.some((l) => l.endsWith("done")))
      assert.isTrue(logger.lines.some((l) => l.endsWith("progress 100%")))
    }))

  it.scopedLive("a handler may destructure its context's helpers; a standalone run's context has no pipelineRunId key", () =>
    Effect.gen(function*() {
      const { logger, seen, worker } = makeWorker(yield* tempDirectory("local"))
      const result = yield* Effect.promise(() => runLocal(worker, "destructured", { n: 1 }))
      assert.deepStrictEqual(result, { stored: result.stored, again: { n: 1 }, aborted: false })
      assert.isTrue(result.stored.endsWith("/copy"))
      assert.isTrue(logger.lines.some((l) => l.endsWith("destructured")))
      assert.isTrue(logger.lines.some((l) => l.endsWith("progress 40%")))
      yield* Effect.promise(() => runLocal(worker, "inspect", null))
      assert.isFalse("pipelineRunId" in seen[0]!)
      assert.isTrue(seen[0]!.signal instanceof AbortSignal)
    }))

  it.scopedLive("a TaskResult is returned as is; runNext outside allowedNext and thrown errors reject", () =>
    Effect.gen(function*() {
      const { worker } = makeWorker(yield* tempDirectory("local"))
      assert.deepStrictEqual(yield* Effect.promise(() => runLocal(worker, "router", "ok")), {
        output: "routed",
        runNext: ["a"]
      })
      const invalid = yield* Effect.flip(Effect.tryPromise({ try: () => runLocal(worker, "router", "bad"), catch: (e) => e }))
      assert.include((invalid as Error).message, "'c'")
      assert.strictEqual((invalid as { _tag?: string })._tag, "InvalidNext")
      const thrown = yield* Effect.flip(Effect.tryPromise({ try: () => runLocal(worker, "fails", {}), catch: (e) => e }))
      assert.instanceOf(thrown, TaskError)
      assert.strictEqual((thrown as TaskError).code, "NOPE")
      const unknown = yield* Effect.flip(Effect.tryPromise({ try: () => runLocal(worker, "missing", {}), catch: (e) => e }))
      assert.include((unknown as Error).message, "task 'missing' is not registered")
    }))

  it.scopedLive("idempotency does not apply: the key function is not called and the handler runs", () =>
    Effect.gen(function*() {
      let keyCalls = 0
      const tempDir = yield* tempDirectory("local")
      const worker = createWorker({ orchestratorUrl: "http://127.0.0.1:1", serviceId: "local", secretKey, tempDir, silent: true })
        .register("charge", {
          idempotencyKey: () => {
            keyCalls++
            throw new Error("never called")
          }
        }, async (ctx) => ({ charged: ctx.input }))
      assert.deepStrictEqual(yield* Effect.promise(() => runLocal(worker, "charge", 5)), { charged: 5 })
      assert.deepStrictEqual(yield* Effect.promise(() => runLocal(worker, "charge", 5)), { charged: 5 })
      assert.strictEqual(keyCalls, 0)
    }))
})
