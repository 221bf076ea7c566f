import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Layer, TestClock } from "effect"
import { afterListening, Listening } from "../src/Listening.js"

/** Yields until a fiber sleeps on the TestClock (the one `afterListening` forks is the only one here). */
const untilSleeping = Effect.gen(function*() {
  while ((yield* TestClock.sleeps()).length === 0) yield* Effect.yieldNow()
})

describe("afterListening", () => {
  it.scoped("runs its effect once the server has been listening for the delay, not before", () =>
    Effect.gen(function*() {
      const ran = yield* Deferred.make<void>()
      const listening = yield* Listening
      yield* Layer.build(afterListening("1 second", Deferred.succeed(ran, undefined)))
      yield* TestClock.adjust("1 minute")
      assert.isFalse(yield* Deferred.isDone(ran), "ran before the server listened")
      yield* listening.open
      yield* untilSleeping
      yield* TestClock.adjust("999 millis")
      assert.isFalse(yield* Deferred.isDone(ran), "ran before the delay")
      yield* TestClock.adjust("1 millis")
      yield* Deferred.await(ran)
    }).pipe(Effect.provide(Listening.Default)))

  it.effect("does not run once its scope has closed (the server stopped first)", () =>
    Effect.gen(function*() {
      const ran = yield* Deferred.make<void>()
      const listening = yield* Listening
      yield* Effect.scoped(Effect.gen(function*() {
        yield* Layer.build(afterListening("1 second", Deferred.succeed(ran, undefined)))
        yield* listening.open
        yield* untilSleeping
      }))
      yield* TestClock.adjust("1 minute")
      assert.isFalse(yield* Deferred.isDone(ran))
    }).pipe(Effect.provide(Listening.Default)))
})
