import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Schedule } from "effect"
import { dispatch, makeDispatch, startHarness } from "./fixtures.js"

/** Retries `check` every 20 ms for up to 10 s: waiting for a condition, not for a fixed time. */
const eventually = (check: () => boolean, what: string) =>
  Effect.suspend(() => check() ? Effect.void : Effect.fail(new Error(`timed out waiting for ${what}`))).pipe(
    Effect.retry(Schedule.spaced("20 millis").pipe(Schedule.upTo("10 seconds")))
  )

describe("worker shutdown", () => {
  it.scopedLive("stop() refuses new dispatches with 503, deregisters, lets the running task finish and call back", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      const h = yield* startHarness((worker) =>
        worker.register("slow", async () => {
          Effect.runSync(Deferred.succeed(started, undefined))
          await Effect.runPromise(Deferred.await(release))
          return { done: true }
        })
      )
      const running = yield* Effect.fork(dispatch(h, yield* makeDispatch(h, { taskId: "slow", input: {} })))
      yield* Deferred.await(started)
      const stopping = yield* Effect.fork(Effect.promise(() => h.worker.stop()))
      yield* eventually(() => h.fake.state.deregistrations.length > 0, "the deregistration")
      const [leaving] = h.fake.state.deregistrations
      assert.deepStrictEqual(leaving!.body, { serviceId: "test-service", baseUrl: h.workerUrl })
      assert.deepStrictEqual(leaving!.claims, { _tag: "Service", serviceId: "test-service" })

      const refused = yield* dispatch(h, yield* makeDispatch(h, { taskId: "slow", input: {} }))
      assert.strictEqual(refused.status, 503)
      assert.strictEqual(refused.body._tag, "ShuttingDown")
      assert.strictEqual(h.fake.state.callbacks.length, 0)

      yield* Deferred.succeed(release, undefined)
      const answered = yield* Fiber.join(running)
      assert.strictEqual(answered.status, 200)
      yield* Fiber.join(stopping)
      assert.strictEqual(h.fake.state.callbacks.length, 1)
      assert.strictEqual(h.fake.state.callbacks[0]!.body.status, "success")
      assert.isTrue(h.logger.lines.some((l) => l.includes("waiting up to 30000 ms for 1 running task(s)")), h.logger.lines.join("\n"))
    }))

  it.scopedLive("a task still running after shutdownGraceMs is interrupted and stop() resolves", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const h = yield* startHarness((worker) =>
        worker.register("stuck", async (ctx) => {
          Effect.runSync(Deferred.succeed(started, undefined))
          await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve))
          return {}
        }), { shutdownGraceMs: 300 })
      yield* Effect.fork(dispatch(h, yield* makeDispatch(h, { taskId: "stuck", input: {} })))
      yield* Deferred.await(started)
      yield* Effect.promise(() => h.worker.stop())
      assert.strictEqual(h.fake.state.deregistrations.length, 1)
      assert.isTrue(
        h.logger.lines.some((l) => l.includes("1 task(s) still running after 300 ms: interrupting them")),
        h.logger.lines.join("\n")
      )
    }))
})
