import { assert, describe, it } from "@effect/vitest"
import { Clock, Context, Effect, Layer, Ref, TestClock } from "effect"
import * as Config from "../src/Config.js"
import { DeadlineSweep } from "../src/flow/DeadlineSweep.js"
import { Listening } from "../src/Listening.js"
import { MonitorLoop, PRUNE_EVERY_MS, START_GRACE_MS } from "../src/scheduler/MonitorLoop.js"

/** The monitor loop against a recording fake of DeadlineSweep, so TestClock alone decides what runs when. */
const harness = Effect.gen(function*() {
  const calls = yield* Ref.make<Array<string>>([])
  const record = (what: string) =>
    Effect.flatMap(Clock.currentTimeMillis, (at) => Ref.update(calls, (all) => [...all, `${what}@${at}`]))
  const fakeSweep = Layer.succeed(DeadlineSweep, {
    sweep: Effect.as(record("sweep"), 0),
    purgeDeadLetters: Effect.as(Effect.void, 0),
    purgeFinishedRuns: Effect.succeed(0),
    pruneInstances: Effect.as(record("prune"), 0),
    nextDeadline: Effect.succeed(null),
    extendDeadlines: (graceMs: number) => Effect.as(record(`extend(${graceMs})`), 3)
  } as unknown as DeadlineSweep)
  const context = yield* Layer.build(
    MonitorLoop.pipe(
      Layer.provideMerge(Listening.Default),
      Layer.provide([fakeSweep, Config.layer(Config.defaultConfig({ pollIntervalMs: 1000 }))])
    )
  )
  return { calls, listening: Context.get(context, Listening) }
})

const settle = Effect.gen(function*() {
  for (let i = 0; i < 20; i++) yield* Effect.yieldNow()
})

describe("MonitorLoop", () => {
  it.scoped("sweeps nothing and extends nothing until the server listens, then gives in-flight attempts the grace", () =>
    Effect.gen(function*() {
      const { calls, listening } = yield* harness
      yield* settle
      yield* TestClock.adjust(45_000)
      yield* settle
      assert.deepStrictEqual(yield* Ref.get(calls), [])
      yield* listening.open
      yield* settle
      yield* TestClock.adjust(2000)
      yield* settle
      assert.strictEqual(START_GRACE_MS, 30_000)
      assert.deepStrictEqual(yield* Ref.get(calls), [
        "extend(30000)@45000",
        "sweep@45000",
        "prune@45000",
        "sweep@46000",
        "sweep@47000"
      ])
    }))

  it.scoped("prunes long-unreachable instances once a minute", () =>
    Effect.gen(function*() {
      const { calls, listening } = yield* harness
      yield* listening.open
      yield* settle
      yield* TestClock.adjust(PRUNE_EVERY_MS)
      yield* settle
      const prunes = (yield* Ref.get(calls)).filter((c) => c.startsWith("prune"))
      assert.strictEqual(PRUNE_EVERY_MS, 60_000)
      assert.deepStrictEqual(prunes, ["prune@0", "prune@60000"])
    }))
})
