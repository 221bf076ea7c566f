import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber } from "effect"
import { OneShot } from "../src/OneShot.js"

describe("OneShot", () => {
  it.effect("a waiter wakes with the outcome it is settled with later", () =>
    Effect.gen(function*() {
      const shot = new OneShot<number, string>()
      const waiter = yield* Effect.fork(shot.await())
      yield* Effect.yieldNow()
      assert.isNull(waiter.unsafePoll())
      shot.done(Exit.fail("refused"))
      assert.deepStrictEqual(yield* Fiber.await(waiter), Exit.fail("refused"))
    }))

  it.effect("settled before anyone waits, the outcome is there at once; a second settlement changes nothing", () =>
    Effect.gen(function*() {
      const shot = new OneShot<number>()
      shot.done(Exit.succeed(1))
      shot.done(Exit.succeed(2))
      assert.strictEqual(yield* shot.await(), 1)
      assert.strictEqual(yield* shot.await(), 1)
    }))

  it.effect("an interrupted wait leaves it unsettled, and the next waiter gets the outcome", () =>
    Effect.gen(function*() {
      const shot = new OneShot<string>()
      const first = yield* Effect.fork(shot.await())
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(first)
      const second = yield* Effect.fork(shot.await())
      yield* Effect.yieldNow()
      shot.done(Exit.succeed("done"))
      assert.strictEqual(yield* Fiber.join(second), "done")
    }))
})
