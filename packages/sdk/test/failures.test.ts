import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { existsSync } from "node:fs"
import { join } from "node:path"
import { RateLimited, TaskError, Timeout } from "../src/index.js"
import { makeFakeState } from "./FakeOrchestrator.js"
import { dispatch, type Harness, makeDispatch, startHarness } from "./fixtures.js"

const failureOf = (h: Harness, taskId: string, input: unknown = {}, allowedNext: ReadonlyArray<string> = []) =>
  Effect.gen(function*() {
    const body = yield* makeDispatch(h, { taskId, input, allowedNext })
    const response = yield* dispatch(h, body)
    assert.deepStrictEqual(response, { status: 200, body: { runId: body.runId, attempt: 1, status: "failure" } })
    const callback = h.fake.state.callbacks.find((c) => c.runId === body.runId)!
    assert.strictEqual(callback.body.status, "failure")
    assert.strictEqual(callback.body.logsPath, body.logsPath)
    const { logsPath: _, ...rest } = callback.body as typeof callback.body & { logsPath?: string }
    return { body, callback: rest }
  })

describe("dispatch: failures", () => {
  it.scopedLive("maps TaskError, RateLimited, Timeout and plain errors to the callback", () =>
    Effect.gen(function*() {
      const h = yield* startHarness((worker) =>
        worker
          .register("task-error", async () => {
            throw new TaskError("bad input", { code: "BAD_INPUT", retryable: false, details: { field: "x" } })
          })
          .register("task-error-default", async () => {
            throw new TaskError("flaky")
          })
          .register("rate-limited", async () => {
            throw new RateLimited({ retryAfterMs: 30_000 })
          })
          .register("gave-up", async () => {
            throw new Timeout("upstream API too slow")
          })
          .register("plain", () => {
            throw new Error("kaput")
          })
          .register("string", async () => Promise.reject("just a string"))
      )
      const taskError = yield* failureOf(h, "task-error")
      assert.deepStrictEqual(taskError.callback, {
        status: "failure",
        attempt: 1,
        error: "bad input",
        errorCode: "BAD_INPUT",
        retryable: false,
        details: { field: "x" }
      })
      const logLines = Buffer.from(yield* h.storage.get(taskError.body.logsPath)).toString("utf8").trim().split("\n")
      const failedLine = logLines.map((l) => JSON.parse(l)).find((l) => l.message === "attempt 1 failed: bad input")
      assert.deepStrictEqual([failedLine?.errorCode, failedLine?.details], ["BAD_INPUT", { field: "x" }], logLines.join("\n"))
      assert.deepStrictEqual((yield* failureOf(h, "task-error-default")).callback, {
        status: "failure",
        attempt: 1,
        error: "flaky",
        retryable: true
      })
      assert.deepStrictEqual((yield* failureOf(h, "rate-limited")).callback, {
        status: "failure",
        attempt: 1,
        error: "rate limited",
        errorCode: "RATE_LIMITED",
        retryable: true,
        retryAfterMs: 30_000
      })
      assert.deepStrictEqual((yield* failureOf(h, "gave-up")).callback, {
        status: "failure",
        attempt: 1,
        error: "upstream API too slow",
        errorCode: "TIMEOUT",
        retryable: true
      })
      assert.deepStrictEqual((yield* failureOf(h, "plain")).callback, {
        status: "failure",
        attempt: 1,
        error: "kaput",
        retryable: true
      })
      assert.deepStrictEqual((yield* failureOf(h, "string")).callback, {
        status: "failure",
        attempt: 1,
        error: "just a string",
        retryable: true
      })
    }))

  it.scopedLive("runNext outside allowedNext fails with INVALID_NEXT, not retryable, and uploads nothing", () =>
    Effect.gen(function*() {
      const h = yield* startHarness((worker) =>
        worker.register("router", { allowedNext: ["path-a", "path-b"] }, async (ctx) => {
          await ctx.addAsset("partial", "text", "x")
          return { output: { done: true }, runNext: ["path-a", "path-z"] }
        })
      )
      const { body, callback } = yield* failureOf(h, "router", {}, ["path-a", "path-b"])
      assert.deepStrictEqual(callback, {
        status: "failure",
        attempt: 1,
        error: "task 'router' selected 'path-z' in runNext, which is not in its allowedNext (path-a, path-b)",
        errorCode: "INVALID_NEXT",
        retryable: false
      })
      assert.deepStrictEqual(yield* h.storage.list(body.assetsPrefix), [])
      assert.isFalse(existsSync(join(h.tempDir, body.runId)))
      const log = Buffer.from(yield* h.storage.get(body.logsPath)).toString()
      assert.include(log, "INVALID_NEXT")
    }))

  it.scopedLive("the handler is interrupted at the timeout: ctx.signal aborts and the attempt reports TIMEOUT", () =>
    Effect.gen(function*() {
      let abortedWith: unknown = "not aborted"
      const h = yield* startHarness((worker) =>
        worker.register("slow", { timeout: 1 }, (ctx) =>
          new Promise((resolve) => {
            ctx.signal.addEventListener("abort", () => {
              abortedWith = ctx.signal.aborted
            })
            setTimeout(resolve, 60_000)
          }))
      )
      const body = yield* makeDispatch(h, { taskId: "slow", input: {}, timeoutSeconds: 1 })
      yield* dispatch(h, body)
      assert.strictEqual(abortedWith, true)
      const callback = h.fake.state.callbacks[0]!.body
      assert.deepInclude(callback, {
        status: "failure",
        error: "task 'slow' timed out after 1s",
        errorCode: "TIMEOUT",
        retryable: true
      })
    }))

  it.scopedLive("a missing input is a retryable STORAGE_ERROR naming its path, and creates no temp dir", () =>
    Effect.gen(function*() {
      const h = yield* startHarness(
        (worker) => worker.register("needs-input", async (ctx) => ctx.input),
        { tempCleanupOnFailure: false }
      )
      const body = yield* makeDispatch(h, { taskId: "needs-input", input: 1 })
      yield* h.storage.delete(body.inputPath)
      yield* dispatch(h, body)
      const callback = h.fake.state.callbacks[0]!.body
      assert.deepInclude(callback, { status: "failure", errorCode: "STORAGE_ERROR", retryable: true })
      assert.include((callback as { error: string }).error, body.inputPath)
      assert.isFalse(existsSync(join(h.tempDir, body.runId)))
    }))

  it.scopedLive("tempCleanupOnFailure: false keeps the temp dir of a failed attempt that created one", () =>
    Effect.gen(function*() {
      const h = yield* startHarness(
        (worker) =>
          worker.register("half-done", async (ctx) => {
            await ctx.addAsset("partial", "text", "x")
            throw new Error("stopped half way")
          }),
        { tempCleanupOnFailure: false }
      )
      const body = yield* makeDispatch(h, { taskId: "half-done", input: 1 })
      yield* dispatch(h, body)
      assert.deepInclude(h.fake.state.callbacks[0]!.body, { status: "failure", error: "stopped half way" })
      assert.isTrue(existsSync(join(h.tempDir, body.runId, "partial")))
    }))

  it.scopedLive("a heartbeat answered with cancelled interrupts the handler and sends no callback", () =>
    Effect.gen(function*() {
      let aborted = false
      const state = makeFakeState()
      const h = yield* startHarness((worker) =>
        worker.register("long", (ctx) =>
          new Promise((resolve) => {
            ctx.signal.addEventListener("abort", () => void (aborted = true))
            state.cancelled.add(ctx.runId)
            setTimeout(() => resolve("finished"), 60_000)
          })), {}, state)
      const body = yield* makeDispatch(h, { taskId: "long", input: {}, heartbeatIntervalMs: 50 })
      const response = yield* dispatch(h, body)
      assert.deepStrictEqual(response.body, { runId: body.runId, attempt: 1, status: "failure" })
      assert.isTrue(aborted)
      assert.strictEqual(h.fake.state.callbacks.length, 0)
      assert.isAtLeast(h.fake.state.heartbeats.length, 1)
      assert.isFalse(existsSync(join(h.tempDir, body.runId)))
    }))
})
