import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { createWorker, runLocal, TaskError, TaskResult } from "../src/index.js"
import { secretKey, tempDirectory } from "./fixtures.js"

const callApi = async (input: { readonly fail?: number }) => {
  if (input.fail !== undefined) throw Object.assign(new Error("upstream said no"), { response: { status: input.fail } })
  return { ok: true }
}

describe("the spec's SDK examples", () => {
  it.scopedLive("compile and behave as documented", () =>
    Effect.gen(function*() {
      const worker = createWorker({
        orchestratorUrl: "http://localhost:3000",
        serviceId: "my-service",
        version: "1.0.0",
        secretKey,
        tempDir: yield* tempDirectory("spec"),
        tempCleanupOnFailure: true,
        silent: true
      })

      worker.register(
        "router",
        { allowedNext: ["path-a", "path-b", "path-c"] },
        async (ctx): Promise<TaskResult> => {
          if (ctx.input.condition === "fast") {
            return { output: { done: true }, runNext: ["path-a"] }
          } else {
            return { output: { done: true }, runNext: ["path-b", "path-c"] }
          }
        }
      )

      worker.register("api-call", { retries: 3 }, async (ctx) => {
        try {
          return await callApi(ctx.input)
        } catch (error: any) {
          throw new TaskError(error.message, {
            code: error.response?.status === 429 ? "RATE_LIMITED" : "API_ERROR",
            retryable: error.response?.status !== 400,
            details: { statusCode: error.response?.status }
          })
        }
      })

      worker.register("my-task", {
        allowedNext: ["next-task"],
        timeout: 60,
        retries: 5,
        heartbeatIntervalMs: 30000
      }, async (ctx) => {
        ctx.log.info(`Processing with code v${ctx.codeVersion} (${ctx.codeHash})`)
        return { result: "done", upstream: ctx.upstream }
      })

      worker.register("process-payment", {
        idempotencyKey: (input: { orderId: string; amount: number }, codeVersion) =>
          `v${codeVersion}-payment-${input.orderId}-${input.amount}`,
        idempotencyTTL: 86400,
        retries: 3
      }, async (ctx) => ({ charged: ctx.input.amount }))

      const routed = yield* Effect.promise(() => runLocal(worker, "router", { condition: "fast" }))
      assert.deepStrictEqual(routed, { output: { done: true }, runNext: ["path-a"] })

      const result = yield* Effect.promise(() =>
        runLocal(worker, "my-task", { data: "test" }, { "prev-task": { result: "mock" } })
      )
      assert.deepStrictEqual(result, { result: "done", upstream: { "prev-task": { result: "mock" } } })

      const error = yield* Effect.flip(
        Effect.tryPromise({ try: () => runLocal(worker, "api-call", { input: { fail: 400 } }), catch: (e) => e })
      )
      assert.instanceOf(error, TaskError)
      assert.deepInclude(error as TaskError, { code: "API_ERROR", retryable: false, details: { statusCode: 400 } })

      assert.deepStrictEqual(yield* Effect.promise(() => runLocal(worker, "process-payment", { orderId: "o1", amount: 5 })), {
        charged: 5
      })
    }))
})
