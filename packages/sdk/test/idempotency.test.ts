import { assert, describe, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import { existsSync } from "node:fs"
import { join } from "node:path"
import type { Worker } from "../src/index.js"
import { type FakeState, makeFakeState } from "./FakeOrchestrator.js"
import { dispatch, makeDispatch, readJson, startHarness } from "./fixtures.js"

interface Order {
  readonly orderId: number
}

const setup = (calls: Array<{ readonly input: unknown; readonly checksBefore: number }>, state: FakeState) =>
(worker: Worker) =>
  worker
    .register("charge", { idempotencyKey: (input: Order, v) => `v${v}-order-${input.orderId}` }, async (ctx) => {
      calls.push({ input: ctx.input, checksBefore: state.idempotency.length })
      await ctx.addAsset("receipt", "text", "paid")
      return { charged: ctx.input.orderId }
    })
    .register("plain", async (ctx) => ctx.input)
    .register("throws", { idempotencyKey: () => { throw new Error("no order id") } }, async () => "ran")
    .register("empty", { idempotencyKey: () => "" }, async () => "ran")
    .register("number", { idempotencyKey: () => 42 as unknown as string }, async () => "ran")
    .register("async", { idempotencyKey: (async () => "k") as unknown as () => string }, async () => "ran")
    .register("long", { idempotencyKey: () => "k".repeat(513) }, async () => "ran")

const harness = Effect.gen(function*() {
  const calls: Array<{ readonly input: unknown; readonly checksBefore: number }> = []
  const state = makeFakeState()
  return { h: yield* startHarness(setup(calls, state), {}, state), calls }
})

describe("idempotency (dispatched attempts)", () => {
  it.scopedLive("the key comes from the input and the dispatch's codeVersion; Execute runs the handler after the check", () =>
    Effect.gen(function*() {
      const { calls, h } = yield* harness
      const body = yield* makeDispatch(h, { taskId: "charge", input: { orderId: 42 }, codeVersion: 3 })
      const response = yield* dispatch(h, body)
      assert.deepStrictEqual(response.body, { runId: body.runId, attempt: 1, status: "success" })
      assert.deepStrictEqual(h.fake.state.idempotency, [
        { runId: body.runId, attempt: 1, key: "v3-order-42", claims: { _tag: "Run", runId: body.runId, attempt: 1, scope: body.pipelineRunId } }
      ])
      assert.deepStrictEqual(calls, [{ input: { orderId: 42 }, checksBefore: 1 }])
      assert.deepInclude(h.fake.state.callbacks[0]!.body, { status: "success", outputPath: body.outputPath })
      assert.deepStrictEqual(yield* readJson(h, body.outputPath), { charged: 42 })

      const plain = yield* makeDispatch(h, { taskId: "plain", input: 1 })
      yield* dispatch(h, plain)
      assert.strictEqual(h.fake.state.idempotency.length, 1)
      assert.strictEqual(h.fake.state.callbacks.length, 2)
    }))

  it.scopedLive("Cached: no handler, no upload, no callback; ack success; the cached line is in both logs", () =>
    Effect.gen(function*() {
      const { calls, h } = yield* harness
      h.fake.state.idempotencyAnswers.push({ _tag: "Cached", fromRunId: "trun_original01" })
      const body = yield* makeDispatch(h, { taskId: "charge", input: { orderId: 7 } })
      const response = yield* dispatch(h, body)
      assert.deepStrictEqual(response, { status: 200, body: { runId: body.runId, attempt: 1, status: "success" } })
      assert.deepStrictEqual(calls, [])
      assert.strictEqual(h.fake.state.callbacks.length, 0)
      assert.isTrue(Either.isLeft(yield* Effect.either(h.storage.get(body.outputPath))))
      assert.deepStrictEqual(yield* h.storage.list(body.assetsPrefix), [])
      assert.isFalse(existsSync(join(h.tempDir, body.runId)))
      const line = "cached result of trun_original01 (key v1-order-7)"
      const logs = Buffer.from(yield* h.storage.get(body.logsPath)).toString().trim().split("\n").map((l) => JSON.parse(l))
      assert.deepStrictEqual(logs.map((l) => l.message), [line])
      assert.deepInclude(logs[0], { level: "info", idempotencyKey: "v1-order-7", cachedFrom: "trun_original01" })
      assert.strictEqual(h.logger.lines.filter((l) => l.includes(line)).length, 1)
      assert.include(h.logger.lines.find((l) => l.includes(line))!, `[charge ${body.runId}#1]`)
    }))

  it.scopedLive("a key function that throws or returns no usable key fails INVALID_IDEMPOTENCY_KEY, not retryable", () =>
    Effect.gen(function*() {
      const { h } = yield* harness
      const failures: Array<unknown> = []
      for (const taskId of ["throws", "empty", "number", "async", "long"]) {
        const body = yield* makeDispatch(h, { taskId, input: {} })
        assert.deepStrictEqual((yield* dispatch(h, body)).body, { runId: body.runId, attempt: 1, status: "failure" })
        const { attempt: _, logsPath: __, status: ___, ...rest } = h.fake.state.callbacks.at(-1)!.body as any
        failures.push(rest)
      }
      const invalid = (error: string) => ({ error, errorCode: "INVALID_IDEMPOTENCY_KEY", retryable: false })
      assert.deepStrictEqual(failures, [
        invalid("task 'throws': idempotencyKey threw: no order id"),
        invalid("task 'empty': idempotencyKey must return a non-empty string, got an empty string"),
        invalid("task 'number': idempotencyKey must return a non-empty string, got number"),
        invalid("task 'async': idempotencyKey must return a non-empty string, got a Promise (the function must be synchronous)"),
        invalid("task 'long': idempotencyKey returned 513 characters; at most 512 are allowed")
      ])
      assert.deepStrictEqual(h.fake.state.idempotency, [])
    }))

  it.scopedLive("a 409 or 404 from the check: the attempt stops without handler or callback, and says so", () =>
    Effect.gen(function*() {
      const { calls, h } = yield* harness
      h.fake.state.idempotencyAnswers.push("conflict", "not-found")
      for (const status of [409, 404]) {
        const body = yield* makeDispatch(h, { taskId: "charge", input: { orderId: status } })
        const response = yield* dispatch(h, body)
        assert.deepStrictEqual(response.body, { runId: body.runId, attempt: 1, status: "failure" })
        const said = h.logger.lines.filter((l) => l.includes(body.runId) && l.includes("no longer expects this attempt"))
        assert.strictEqual(said.length, 1)
        assert.include(said[0]!, `HTTP ${status}`)
        assert.include(said[0]!, "handler not run, no callback sent")
      }
      assert.deepStrictEqual(calls, [])
      assert.strictEqual(h.fake.state.callbacks.length, 0)
      assert.strictEqual(h.fake.state.idempotency.length, 2)
    }))

  it.scopedLive("a 5xx from the check is retried; the handler then runs once", () =>
    Effect.gen(function*() {
      const { calls, h } = yield* harness
      h.fake.state.idempotencyAnswers.push("error", "error")
      const body = yield* makeDispatch(h, { taskId: "charge", input: { orderId: 5 } })
      assert.strictEqual((yield* dispatch(h, body)).body.status, "success")
      assert.deepStrictEqual(h.fake.state.idempotency.map((c) => c.key), ["v1-order-5", "v1-order-5", "v1-order-5"])
      assert.strictEqual(calls.length, 1)
      assert.strictEqual(h.logger.lines.filter((l) => l.includes("idempotency check failed") && l.includes("500")).length, 2)
    }))
})
