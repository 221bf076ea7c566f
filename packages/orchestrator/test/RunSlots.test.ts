import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer } from "effect"
import * as Config from "../src/Config.js"
import { RunSlots } from "../src/flow/RunSlots.js"
import type { ClaimTiming } from "../src/flow/Dispatcher.js"
import type { ClaimedRun } from "../src/store/ClaimedRun.js"
import { Wakeups } from "../src/flow/Wakeups.js"

const Env = RunSlots.Default.pipe(
  Layer.provideMerge(Wakeups.Default),
  Layer.provide(Config.layer(Config.defaultConfig({ maxConcurrency: 2 })))
)

const claim: ClaimTiming = { startedNs: 0n, endedNs: 0n, orchestratorId: "orch_test" }

/** Whether the scheduling loop has been woken (a wake-up is waiting to be taken), taking it. */
const woken = Effect.gen(function*() {
  const next = yield* Effect.fork((yield* Wakeups).next)
  for (let i = 0; i < 5; i++) yield* Effect.yieldNow()
  const taken = yield* Fiber.poll(next)
  if (taken._tag === "None") yield* Fiber.interrupt(next)
  return taken._tag === "Some"
})

/** Two runs holding both slots, claimed by a claim that filled every slot it had. */
const twoHeld = Effect.gen(function*() {
  const slots = yield* RunSlots
  assert.strictEqual(yield* slots.reserve(2), 2)
  yield* slots.hold(["trun_a", "trun_b"])
  yield* slots.claimed(2, 2)
  return slots
})

describe("RunSlots", () => {
  it.effect("a claim gets at most the slots that are free, and slots given back or freed are taken again", () =>
    Effect.gen(function*() {
      const slots = yield* RunSlots
      assert.strictEqual(yield* slots.reserve(3), 2, "MAX_CONCURRENCY is 2")
      assert.strictEqual(yield* slots.reserve(1), 0, "none left")
      yield* slots.release(1)
      yield* slots.hold(["trun_a"])
      assert.strictEqual(yield* slots.reserve(5), 1, "the one given back")
      yield* slots.free(["trun_a", "trun_a", "trun_unknown"])
      assert.strictEqual(yield* slots.reserve(5), 1, "a run's slot is freed once, an unknown run frees none")
      assert.strictEqual(yield* slots.reserve(5), 0)
    }).pipe(Effect.provide(Env)))

  it.effect("a freed slot wakes the loop at once when the last claim filled every slot", () =>
    Effect.gen(function*() {
      const slots = yield* twoHeld
      yield* slots.free(["trun_a"])
      assert.isTrue(yield* woken)
      yield* slots.free(["trun_a"])
      assert.isFalse(yield* woken, "freeing is idempotent per run")
    }).pipe(Effect.provide(Env)))

  it.effect("slots freed for a write are free inside it and wake nothing before it: the write's own claim takes them", () =>
    Effect.gen(function*() {
      const slots = yield* twoHeld
      const inside = yield* slots.freeFor(["trun_a", "trun_b"])(Effect.gen(function*() {
        const wokenBefore = yield* woken
        const reserved = yield* slots.reserve(2)
        yield* slots.hold(["trun_c", "trun_d"])
        yield* slots.claimed(reserved, 2)
        return { wokenBefore, reserved }
      }))
      assert.deepStrictEqual(inside, { wokenBefore: false, reserved: 2 })
      assert.isTrue(yield* woken, "its claim filled every slot: more may be due, a pass is woken after it")
    }).pipe(Effect.provide(Env)))

  it.effect("after a write whose claim was short (nothing more was due), the freed slots wake nothing", () =>
    Effect.gen(function*() {
      const slots = yield* twoHeld
      yield* slots.freeFor(["trun_a", "trun_b"])(Effect.gen(function*() {
        const reserved = yield* slots.reserve(2)
        yield* slots.hold(["trun_c"])
        yield* slots.claimed(reserved, 1)
        yield* slots.release(1)
      }))
      assert.isFalse(yield* woken)
    }).pipe(Effect.provide(Env)))

  it.effect("a write that fails or claims nothing still wakes the loop after it for the slots it freed", () =>
    Effect.gen(function*() {
      const slots = yield* twoHeld
      const failed = yield* Effect.flip(slots.freeFor(["trun_a", "trun_b"])(Effect.fail("refused")))
      assert.strictEqual(failed, "refused")
      assert.isTrue(yield* woken)
      assert.strictEqual(yield* slots.reserve(2), 2, "both slots are free")
    }).pipe(Effect.provide(Env)))

  it.effect("while parked runs wait, a freed slot wakes the loop even after a short claim; they leave first in, first out", () =>
    Effect.gen(function*() {
      const slots = yield* RunSlots
      assert.strictEqual(yield* slots.reserve(2), 2)
      yield* slots.hold(["trun_a"])
      yield* slots.claimed(2, 1)
      yield* slots.release(1)
      const parked = (id: string, releaseAtMs: number) => ({ run: { id } as ClaimedRun, claim, releaseAtMs })
      yield* slots.park([parked("trun_p1", 300), parked("trun_p2", 100), parked("trun_p3", 500)])
      assert.deepStrictEqual([slots.parkedCount(), slots.nextParkedRelease()], [3, 100])
      yield* slots.free(["trun_a"])
      assert.isTrue(yield* woken, "a parked run can take the slot")
      assert.deepStrictEqual((yield* slots.unparkExpired(300)).map((p) => p.run.id), ["trun_p1", "trun_p2"])
      yield* slots.park([parked("trun_p4", 600)])
      assert.strictEqual(yield* slots.dropParked(["trun_p4", "trun_other"]), 1, "a cancelled run is dropped")
      assert.deepStrictEqual((yield* slots.unpark(5)).map((p) => p.run.id), ["trun_p3"])
      assert.deepStrictEqual([slots.parkedCount(), slots.nextParkedRelease()], [0, undefined])
    }).pipe(Effect.provide(Env)))
  it.scoped("a freed slot goes straight to the run that has waited longest, sent at once: no slot comes free and nothing is woken", () =>
    Effect.gen(function*() {
      const slots = yield* twoHeld
      const sent: Array<string> = []
      yield* slots.sendParkedWith((runs) => {
        for (const { run } of runs) sent.push(run.id)
      })
      const waiting = (id: string) => ({ run: { id } as ClaimedRun, claim, releaseAtMs: 500 })
      yield* slots.park([waiting("trun_p1"), waiting("trun_p2"), waiting("trun_p3")])

      yield* slots.free(["trun_a"])
      assert.deepStrictEqual(sent, ["trun_p1"])
      assert.isFalse(yield* woken, "the slot was taken at once: nothing for a pass to do")
      assert.strictEqual(yield* slots.reserve(1), 0, "the slot is trun_p1's")

      const inside = yield* slots.freeFor(["trun_b", "trun_p1"])(Effect.sync(() => [...sent]))
      assert.deepStrictEqual(inside, ["trun_p1", "trun_p2", "trun_p3"], "sent before the write, in the order they waited")
      assert.strictEqual(slots.parkedCount(), 0)
      assert.isFalse(yield* woken)
      assert.strictEqual(yield* slots.reserve(1), 0)

      yield* slots.free(["trun_p2", "trun_p2"])
      assert.strictEqual(yield* slots.reserve(2), 1, "with no run waiting, a freed slot is free again, once")
    }).pipe(Effect.provide(Env)))
})
