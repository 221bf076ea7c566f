import { assert, describe, it } from "@effect/vitest"
import type { HeartbeatResult } from "@pipeweave/domain/Callback"
import { Clock, Effect, Exit, Fiber, Ref, Scope, TestClock } from "effect"
import { deliverCallback } from "../src/internal/deliverCallback.js"
import { AttemptTimers, type HeartbeatOptions } from "../src/internal/AttemptTimers.js"
import { OrchestratorError } from "../src/internal/OrchestratorClient.js"
import { retryRegistration } from "../src/internal/registerWorker.js"

const failure = (operation: "register" | "heartbeat" | "callback", status: number | undefined) =>
  new OrchestratorError({ operation, status, message: `HTTP ${status ?? "network"}`, retryable: status === undefined || status >= 500 })

/** An in-memory stand-in for one orchestrator call: records the instant of each call and answers from a script. */
const scriptedCall = <A>(answers: ReadonlyArray<A | OrchestratorError>, then: A) =>
  Effect.gen(function*() {
    const instants = yield* Ref.make<ReadonlyArray<number>>([])
    const call = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const n = (yield* Ref.updateAndGet(instants, (xs) => [...xs, now])).length
      const answer = n <= answers.length ? answers[n - 1]! : then
      return answer instanceof OrchestratorError ? yield* Effect.fail(answer) : answer
    })
    return { call, instants: Ref.get(instants) }
  })

const running: typeof HeartbeatResult.Type = { runId: "trun_abcdef", status: "running", cancelled: false }

/** Watches one attempt's heartbeats with a fresh scheduler; closing the returned scope ends the attempt. */
const watching = (options: HeartbeatOptions) =>
  Effect.gen(function*() {
    const timers = yield* AttemptTimers.make
    const attempt = yield* Scope.make()
    yield* Scope.extend(timers.heartbeats(options), attempt)
    return attempt
  })

describe("heartbeats (TestClock)", () => {
  it.scoped("beat first after 1 s, then every interval, and keep going after failed beats", () =>
    Effect.gen(function*() {
      const { call, instants } = yield* scriptedCall([running, failure("heartbeat", 503), failure("heartbeat", undefined)], running)
      const errors = yield* Ref.make(0)
      const attempt = yield* watching({
        beat: call,
        intervalMs: 30_000,
        onCancelled: Effect.die("not cancelled"),
        onError: () => Ref.update(errors, (n) => n + 1)
      })
      yield* TestClock.adjust("999 millis")
      assert.deepStrictEqual(yield* instants, [])
      yield* TestClock.adjust("1 millis")
      assert.deepStrictEqual(yield* instants, [1000])
      yield* TestClock.adjust("29999 millis")
      assert.deepStrictEqual(yield* instants, [1000])
      yield* TestClock.adjust("1 millis")
      assert.deepStrictEqual(yield* instants, [1000, 31_000])
      yield* TestClock.adjust("90 seconds")
      assert.deepStrictEqual(yield* instants, [1000, 31_000, 61_000, 91_000, 121_000])
      assert.strictEqual(yield* Ref.get(errors), 2)
      yield* Scope.close(attempt, Exit.void)
      yield* TestClock.adjust("60 seconds")
      assert.strictEqual((yield* instants).length, 5)
    }))

  it.scoped("an interval under 1 s is also the delay of the first beat", () =>
    Effect.gen(function*() {
      const { call, instants } = yield* scriptedCall([], running)
      yield* watching({
        beat: call,
        intervalMs: 250,
        onCancelled: Effect.die("not cancelled"),
        onError: () => Effect.die("no error")
      })
      yield* TestClock.adjust("249 millis")
      assert.deepStrictEqual(yield* instants, [])
      yield* TestClock.adjust("751 millis")
      assert.deepStrictEqual(yield* instants, [250, 500, 750, 1000])
    }))

  it.scoped("an attempt that ends before its first beat sends none", () =>
    Effect.gen(function*() {
      const { call, instants } = yield* scriptedCall([], running)
      const attempt = yield* watching({
        beat: call,
        intervalMs: 60_000,
        onCancelled: Effect.die("not cancelled"),
        onError: () => Effect.die("no error")
      })
      yield* TestClock.adjust("999 millis")
      yield* Scope.close(attempt, Exit.void)
      yield* TestClock.adjust("10 minutes")
      assert.deepStrictEqual(yield* instants, [])
    }))

  it.scoped("an answer with cancelled: true runs onCancelled", () =>
    Effect.gen(function*() {
      const { call } = yield* scriptedCall<typeof HeartbeatResult.Type>([running], { ...running, status: "cancelled", cancelled: true })
      const cancelledAt = yield* Ref.make<ReadonlyArray<number>>([])
      yield* watching({
        beat: call,
        intervalMs: 1000,
        onCancelled: Effect.flatMap(Clock.currentTimeMillis, (now) => Ref.update(cancelledAt, (xs) => [...xs, now])),
        onError: () => Effect.void
      })
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(yield* Ref.get(cancelledAt), [])
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(yield* Ref.get(cancelledAt), [2000])
    }))

  it.scoped("one scheduler keeps each attempt's own rhythm; an attempt's end stops only its beats", () =>
    Effect.gen(function*() {
      const timers = yield* AttemptTimers.make
      const a = yield* scriptedCall([], running)
      const b = yield* scriptedCall([], running)
      const first = yield* Scope.make()
      yield* Scope.extend(timers.heartbeats({ beat: a.call, intervalMs: 10_000, onCancelled: Effect.void, onError: () => Effect.void }), first)
      yield* TestClock.adjust("500 millis")
      yield* Effect.scoped(Effect.gen(function*() {
        yield* timers.heartbeats({ beat: b.call, intervalMs: 3000, onCancelled: Effect.void, onError: () => Effect.void })
        yield* TestClock.adjust("7 seconds")
      }))
      assert.deepStrictEqual(yield* b.instants, [1500, 4500, 7500])
      yield* TestClock.adjust("15 seconds")
      assert.deepStrictEqual(yield* b.instants, [1500, 4500, 7500])
      assert.deepStrictEqual(yield* a.instants, [1000, 11_000, 21_000])
      yield* Scope.close(first, Exit.void)
      yield* TestClock.adjust("1 minute")
      assert.deepStrictEqual(yield* a.instants, [1000, 11_000, 21_000])
    }))
})

describe("callback delivery (TestClock)", () => {
  it.effect("retries 5xx answers after 100, 200, 400 … ms, each wait capped at 10 s", () =>
    Effect.gen(function*() {
      const { call, instants } = yield* scriptedCall(Array(9).fill(failure("callback", 503)), undefined)
      const fiber = yield* Effect.fork(deliverCallback(call, () => Effect.void))
      yield* TestClock.adjust("1 minute")
      assert.strictEqual(yield* Fiber.join(fiber), "delivered")
      assert.deepStrictEqual(yield* instants, [0, 100, 300, 700, 1500, 3100, 6300, 12_700, 22_700, 32_700])
    }))

  it.effect("a 409 is final: one call, reported, not retried", () =>
    Effect.gen(function*() {
      const conflict = new OrchestratorError({ operation: "callback", status: 409, message: "HTTP 409 Conflict: stale", retryable: false })
      const { call, instants } = yield* scriptedCall([conflict], undefined)
      const reports = yield* Ref.make<ReadonlyArray<string>>([])
      const fiber = yield* Effect.fork(deliverCallback(call, (_, m) => Ref.update(reports, (xs) => [...xs, m])))
      yield* TestClock.adjust("1 minute")
      assert.strictEqual(yield* Fiber.join(fiber), "rejected")
      assert.deepStrictEqual(yield* instants, [0])
      assert.deepStrictEqual(yield* Ref.get(reports), ["callback rejected by the orchestrator (HTTP 409 Conflict: stale); not retrying"])
    }))

  it.effect("gives up after about five minutes of failures", () =>
    Effect.gen(function*() {
      const { call, instants } = yield* scriptedCall([], failure("callback", undefined))
      const fiber = yield* Effect.fork(deliverCallback(call, () => Effect.void))
      yield* TestClock.adjust("10 minutes")
      assert.strictEqual(yield* Fiber.join(fiber), "gave-up")
      const all = yield* instants
      const last = all[all.length - 1]!
      assert.isAtLeast(last, 290_000)
      assert.isAtMost(last, 310_000)
      assert.deepStrictEqual(all.slice(9, 12), [32_700, 42_700, 52_700])
    }))
})

describe("registration retry (TestClock)", () => {
  it.effect("retries after 200, 400, 800 … ms capped at 5 s until the orchestrator answers", () =>
    Effect.gen(function*() {
      const { call, instants } = yield* scriptedCall(Array(7).fill(failure("register", undefined)), "registered")
      const fiber = yield* Effect.fork(retryRegistration(call, () => Effect.void))
      yield* TestClock.adjust("1 minute")
      assert.strictEqual(yield* Fiber.join(fiber), "registered")
      assert.deepStrictEqual(yield* instants, [0, 200, 600, 1400, 3000, 6200, 11_200, 16_200])
    }))

  it.effect("a 4xx answer stops retrying and fails with the orchestrator's message", () =>
    Effect.gen(function*() {
      const rejected = new OrchestratorError({
        operation: "register",
        status: 400,
        message: "HTTP 400 ValidationError: tasks: unknown next task",
        retryable: false
      })
      const { call, instants } = yield* scriptedCall([failure("register", 502), rejected], "registered")
      const fiber = yield* Effect.fork(retryRegistration(call, () => Effect.void))
      yield* TestClock.adjust("1 minute")
      const error = yield* Effect.flip(Fiber.join(fiber))
      assert.strictEqual(error._tag, "RegistrationFailed")
      assert.strictEqual(error.message, "[PipeWeave] registration rejected: HTTP 400 ValidationError: tasks: unknown next task")
      assert.deepStrictEqual(yield* instants, [0, 200])
    }))
})
