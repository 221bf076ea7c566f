import { PgClient } from "@effect/sql-pg"
import { assert, describe, it } from "@effect/vitest"
import { Clock, Context, Effect, FiberRef, Layer, Option, Queue, Ref, Stream, TestClock } from "effect"
import * as Config from "../src/Config.js"
import { Dispatcher } from "../src/flow/Dispatcher.js"
import { InlineClaims } from "../src/flow/InlineClaims.js"
import { RunSlots } from "../src/flow/RunSlots.js"
import { holdMs, PARKED_MAX_MS, ParkedRuns } from "../src/flow/ParkedRuns.js"
import { SchedulingPass } from "../src/flow/SchedulingPass.js"
import { OrchestratorMetrics } from "../src/metrics/OrchestratorMetrics.js"
import { Wakeups } from "../src/flow/Wakeups.js"
import { Listening } from "../src/Listening.js"
import { OrchestratorIdentity } from "../src/OrchestratorIdentity.js"
import { SchedulerLoop } from "../src/scheduler/SchedulerLoop.js"
import type { ClaimedRun } from "../src/store/ClaimedRun.js"
import { TaskRuns } from "../src/store/TaskRuns.js"
import { Transactions } from "../src/store/Transactions.js"

/** Set inside the fake transaction, inherited by fibers forked in it (as a real one's connection is). */
const inTransaction = FiberRef.unsafeMake(false)

/** The session name of the harness's own database connections; notifications carry their session's. */
const OWN_SESSION = "pipeweave-orchestrator/self"

/**
 * The scheduler's loop against in-memory fakes of its ports (a queue of due times, a recording
 * dispatcher, a LISTEN channel the test feeds), so TestClock alone decides when passes run. The
 * server is listening unless `listening` is false.
 */
const harness = (settings: Partial<Config.OrchestratorSettings>, confirmedSession = OWN_SESSION, listening = true) =>
  Effect.gen(function*() {
    const due = yield* Ref.make<Array<{ id: string; at: number; heartbeatIntervalMs?: number }>>([])
    const dispatched = yield* Ref.make<Array<{ id: string; at: number }>>([])
    const notifications = yield* Queue.unbounded<string>()
    const claims = yield* Ref.make(0)
    const requeued = yield* Ref.make<Array<{ id: string; at: number }>>([])
    const claimed = (id: string, heartbeatIntervalMs = 60_000) =>
      ({ id, taskId: "t", attempt: 1, availableAt: new Date(0), heartbeatIntervalMs, timeoutSeconds: 300, workerUrl: null }) as unknown as ClaimedRun
    const claim = (limit: number) =>
      Effect.gen(function*() {
        yield* Ref.update(claims, (n) => n + 1)
        const now = yield* Clock.currentTimeMillis
        const ready = (yield* Ref.get(due)).filter((r) => r.at <= now).slice(0, limit)
        yield* Ref.update(due, (all) => all.filter((r) => !ready.includes(r)))
        return ready.map((r) => claimed(r.id, r.heartbeatIntervalMs))
      })
    const fakeTaskRuns = Layer.succeed(TaskRuns, {
      claim,
      requeue: (id: string) =>
        Effect.gen(function*() {
          const at = yield* Clock.currentTimeMillis
          yield* Ref.update(requeued, (all) => [...all, { id, at }])
          yield* Ref.update(due, (all) => [...all, { id, at }])
          return true
        })
    } as unknown as TaskRuns)
    /** While set, a dispatch never ends: only a callback (the test freeing the run's slot) frees it. */
    let dispatchesHang = false
    /** Dispatches made by fibers that inherited a transaction's context (its connection, for real). */
    const dispatchedInTransaction = yield* Ref.make<Array<string>>([])
    /** No database: a "transaction" is the effect itself, and its commit fails when the test says so. */
    let commitFails = false
    const fakeTransactions = Layer.succeed(Transactions, {
      run: (effect) =>
        Effect.locally(Effect.tap(effect, () => commitFails ? Effect.dieMessage("commit failed") : Effect.void), inTransaction, true)
    } as Transactions)
    const fakeDispatcher = Layer.succeed(Dispatcher, {
      dispatch: (run: ClaimedRun) =>
        Effect.gen(function*() {
          if (yield* FiberRef.get(inTransaction)) yield* Ref.update(dispatchedInTransaction, (all) => [...all, run.id])
          const at = yield* Clock.currentTimeMillis
          yield* Ref.update(dispatched, (all) => [...all, { id: run.id, at }])
          if (dispatchesHang) return yield* Effect.never
          return "delivered" as const
        })
    } as unknown as Dispatcher)
    const confirmSessionName = () => Effect.succeed([{ name: confirmedSession }])
    const fakeListen = Layer.succeed(
      PgClient.PgClient,
      Object.assign(confirmSessionName, {
        config: { applicationName: OWN_SESSION },
        listen: () => Stream.fromQueue(notifications)
      }) as unknown as PgClient.PgClient
    )
    const config = Config.defaultConfig({ pollIntervalMs: 1000, ...settings })
    const loop = config.mode === "standalone" ? SchedulerLoop : Layer.empty
    const context = yield* Layer.build(
      loop.pipe(
        Layer.provideMerge(SchedulingPass.Default),
        Layer.provideMerge(ParkedRuns.Default),
        Layer.provideMerge(RunSlots.Default),
        Layer.provideMerge(Wakeups.Default),
        Layer.provideMerge(InlineClaims.Default),
        Layer.provideMerge(Listening.Default),
        Layer.provide([fakeTaskRuns, fakeTransactions, fakeDispatcher, fakeListen, OrchestratorIdentity.Default, OrchestratorMetrics.Default, Config.layer(config)])
      )
    )
    if (listening) yield* Context.get(context, Listening).open
    return {
      due,
      claims,
      claim,
      dispatchedInTransaction,
      dispatched,
      requeued,
      slots: Context.get(context, RunSlots),
      hangDispatches: () => {
        dispatchesHang = true
      },
      notifications,
      scheduling: Context.get(context, SchedulingPass),
      listening: Context.get(context, Listening),
      inline: Context.get(context, InlineClaims),
      failCommits: () => {
        commitFails = true
      }
    }
  })

const settle = Effect.gen(function*() {
  for (let i = 0; i < 20; i++) yield* Effect.yieldNow()
})

describe("SchedulerLoop", () => {
  it.scoped("polls every POLL_INTERVAL_MS when no notification arrives", () =>
    Effect.gen(function*() {
      const { dispatched, due } = yield* harness({})
      yield* Ref.set(due, [{ id: "trun_a", at: 2500 }, { id: "trun_b", at: 4000 }])
      yield* settle
      for (let t = 0; t < 5000; t += 100) {
        yield* TestClock.adjust(100)
        yield* settle
      }
      assert.deepStrictEqual(yield* Ref.get(dispatched), [{ id: "trun_a", at: 3000 }, { id: "trun_b", at: 4000 }])
    }))

  it.scoped("no pass dispatches before the server listens: a worker's callbacks could not reach it", () =>
    Effect.gen(function*() {
      const { claims, dispatched, due, listening, notifications } = yield* harness({}, OWN_SESSION, false)
      yield* Ref.set(due, [{ id: "trun_early", at: 0 }])
      yield* Queue.offer(notifications, "pipeweave-orchestrator/other")
      for (let t = 0; t < 5000; t += 100) {
        yield* TestClock.adjust(100)
        yield* settle
      }
      assert.strictEqual(yield* Ref.get(claims), 0)
      yield* listening.open
      yield* settle
      assert.deepStrictEqual(yield* Ref.get(dispatched), [{ id: "trun_early", at: 5000 }])
    }))

  it.scoped("a notification wakes the loop at once, without waiting for the next poll", () =>
    Effect.gen(function*() {
      const { dispatched, due, notifications } = yield* harness({})
      yield* settle
      yield* TestClock.adjust(300)
      yield* Ref.set(due, [{ id: "trun_now", at: 300 }])
      yield* Queue.offer(notifications, "pipeweave-orchestrator/other")
      yield* settle
      assert.deepStrictEqual(yield* Ref.get(dispatched), [{ id: "trun_now", at: 300 }])
    }))

  it.scoped("a notification of this process's own session does not wake the loop: its own changes woke it in process", () =>
    Effect.gen(function*() {
      const { dispatched, due, notifications } = yield* harness({})
      yield* settle
      yield* TestClock.adjust(300)
      yield* Ref.set(due, [{ id: "trun_own", at: 300 }])
      yield* Queue.offer(notifications, OWN_SESSION)
      yield* settle
      assert.deepStrictEqual(yield* Ref.get(dispatched), [])
      yield* TestClock.adjust(700)
      yield* settle
      assert.deepStrictEqual(yield* Ref.get(dispatched), [{ id: "trun_own", at: 1000 }])
    }))

  it.scoped("when the server does not confirm the chosen session name, no notification is ignored", () =>
    Effect.gen(function*() {
      const { dispatched, due, notifications } = yield* harness({}, "forced-by-the-url")
      yield* settle
      yield* TestClock.adjust(300)
      yield* Ref.set(due, [{ id: "trun_any", at: 300 }])
      yield* Queue.offer(notifications, OWN_SESSION)
      yield* settle
      assert.deepStrictEqual(yield* Ref.get(dispatched), [{ id: "trun_any", at: 300 }])
    }))

  it.scoped("serverless mode runs no loop: only an explicit pass dispatches", () =>
    Effect.gen(function*() {
      const { dispatched, due, scheduling } = yield* harness({ mode: "serverless" })
      yield* Ref.set(due, [{ id: "trun_x", at: 0 }, { id: "trun_y", at: 0 }])
      yield* TestClock.adjust(10_000)
      yield* settle
      assert.deepStrictEqual(yield* Ref.get(dispatched), [])
      const result = yield* scheduling.pass
      assert.deepStrictEqual(result, { claimed: 2, dispatched: ["trun_x", "trun_y"] })
      yield* settle
      assert.deepStrictEqual((yield* Ref.get(dispatched)).map((d) => d.id), ["trun_x", "trun_y"])
    }))

  it.scoped("the loop lends its claim: runs claimed in a caller's transaction are dispatched only once it commits", () =>
    Effect.gen(function*() {
      const { dispatched, due, inline } = yield* harness({ maxConcurrency: 2 })
      yield* settle
      yield* Ref.set(due, [{ id: "trun_next", at: 0 }, { id: "trun_other", at: 0 }, { id: "trun_third", at: 0 }])
      const held = yield* inline.claimWithin(1)
      assert.isTrue(Option.isSome(held))
      assert.deepStrictEqual((yield* Ref.get(due)).map((r) => r.id), ["trun_other", "trun_third"])
      yield* settle
      assert.deepStrictEqual(yield* Ref.get(dispatched), [])
      yield* Option.getOrThrow(held).committed
      yield* settle
      assert.strictEqual((yield* Ref.get(dispatched))[0]?.id, "trun_next")
    }))

  it.scoped("a rolled-back inline claim frees its slots for the next pass", () =>
    Effect.gen(function*() {
      const { dispatched, due, inline, scheduling } = yield* harness({ maxConcurrency: 2 })
      yield* settle
      yield* Ref.set(due, [{ id: "trun_a", at: 0 }, { id: "trun_b", at: 0 }])
      const held = Option.getOrThrow(yield* inline.claimWithin(2))
      assert.isTrue(held.full)
      yield* held.rolledBack
      yield* Ref.set(due, [{ id: "trun_c", at: 0 }, { id: "trun_d", at: 0 }])
      const result = yield* scheduling.pass
      assert.strictEqual(result.claimed, 2)
      yield* settle
      assert.deepStrictEqual((yield* Ref.get(dispatched)).map((d) => d.id), ["trun_c", "trun_d"])
    }))

  it.scoped("serverless mode lends no claim: results claim nothing inline", () =>
    Effect.gen(function*() {
      const { due, inline } = yield* harness({ mode: "serverless" })
      yield* Ref.set(due, [{ id: "trun_x", at: 0 }])
      assert.isTrue(Option.isNone(yield* inline.claimWithin(1)))
      assert.deepStrictEqual((yield* Ref.get(due)).map((r) => r.id), ["trun_x"])
    }))

  it.scoped("a transaction that queues runs claims them last and dispatches them once it has ended", () =>
    Effect.gen(function*() {
      const { dispatched, due, inline } = yield* harness({ maxConcurrency: 4 })
      yield* settle
      const queued = inline.transact(
        Effect.zipRight(Ref.set(due, [{ id: "trun_new", at: 0 }]), Effect.succeed("queued")),
        () => 2
      )
      const { passNeeded, value } = yield* queued
      assert.strictEqual(value, "queued")
      assert.isFalse(passNeeded, "the claim took fewer runs than it could: it saw everything due")
      yield* settle
      assert.deepStrictEqual((yield* Ref.get(dispatched)).map((d) => d.id), ["trun_new"])
    }))

  it.scoped("a transaction whose commit fails after its claim dispatches nothing and frees the slots it reserved", () =>
    Effect.gen(function*() {
      const { dispatched, due, failCommits, inline, scheduling } = yield* harness({ maxConcurrency: 2 })
      yield* settle
      yield* Ref.set(due, [{ id: "trun_a", at: 0 }, { id: "trun_b", at: 0 }])
      failCommits()
      const failed = yield* Effect.exit(inline.transact(Effect.void, () => 2))
      assert.isTrue(failed._tag === "Failure")
      yield* settle
      assert.deepStrictEqual(yield* Ref.get(dispatched), [])
      yield* Ref.set(due, [{ id: "trun_c", at: 0 }, { id: "trun_d", at: 0 }, { id: "trun_e", at: 0 }])
      assert.strictEqual((yield* scheduling.pass).claimed, 2)
    }))

  it.scoped("a freed slot wakes the loop when the last claim filled every slot it had", () =>
    Effect.gen(function*() {
      const { dispatched, due, notifications } = yield* harness({ maxConcurrency: 1 })
      yield* settle
      yield* Ref.set(due, [{ id: "trun_a", at: 0 }, { id: "trun_b", at: 0 }])
      yield* Queue.offer(notifications, "pipeweave-orchestrator/other")
      yield* settle
      yield* settle
      assert.deepStrictEqual(yield* Ref.get(dispatched), [{ id: "trun_a", at: 0 }, { id: "trun_b", at: 0 }], "b took a's slot at once")
    }))

  it.scoped("a freed slot wakes nothing when the last claim left slots unused: nothing else was due", () =>
    Effect.gen(function*() {
      const { claims, dispatched, due, notifications } = yield* harness({ maxConcurrency: 4 })
      yield* settle
      yield* Ref.set(due, [{ id: "trun_a", at: 0 }])
      yield* Queue.offer(notifications, "pipeweave-orchestrator/other")
      yield* settle
      yield* settle
      assert.deepStrictEqual((yield* Ref.get(dispatched)).map((d) => d.id), ["trun_a"])
      assert.strictEqual(yield* Ref.get(claims), 2, "the first pass and a's: a's end ran no third")
      yield* Ref.set(due, [{ id: "trun_later", at: 0 }])
      yield* TestClock.adjust(1000)
      yield* settle
      assert.deepStrictEqual((yield* Ref.get(dispatched)).map((d) => d.id), ["trun_a", "trun_later"], "the poll still finds new runs")
    }))

  it.scoped("a transaction asks for one run more than it made due, so a slot left over spares a pass", () =>
    Effect.gen(function*() {
      const { claims, dispatched, due, inline } = yield* harness({ maxConcurrency: 4 })
      yield* settle
      const alone = yield* inline.transact(Effect.zipRight(Ref.set(due, [{ id: "trun_made", at: 0 }]), Effect.void), () => 1)
      assert.isFalse(alone.passNeeded, "only the run it made was due")
      const beside = yield* inline.transact(
        Effect.zipRight(Ref.set(due, [{ id: "trun_waiting", at: 0 }, { id: "trun_made2", at: 0 }, { id: "trun_more", at: 0 }]), Effect.void),
        () => 1
      )
      assert.isTrue(beside.passNeeded, "it filled both slots it asked for: more may be due")
      const before = yield* Ref.get(claims)
      const nothing = yield* inline.transact(Effect.void, () => 0)
      assert.isFalse(nothing.passNeeded, "a transaction that made nothing due needs no pass")
      assert.strictEqual(yield* Ref.get(claims), before, "and claims nothing")
      yield* settle
      assert.deepStrictEqual((yield* Ref.get(dispatched)).map((d) => d.id).slice(0, 3), ["trun_made", "trun_waiting", "trun_made2"])
    }))

  it.scoped("a completion's claim ahead parks the runs beyond its slots; freed slots dispatch them before any new claim", () =>
    Effect.gen(function*() {
      const { claim, claims, dispatched, due, hangDispatches, inline, requeued, slots } = yield* harness({ maxConcurrency: 2 })
      hangDispatches()
      yield* settle
      yield* Ref.set(due, ["a", "b", "c", "d", "e"].map((id) => ({ id: `trun_${id}`, at: 0 })))
      const held = Option.getOrThrow(yield* inline.claimWithin(2, claim, { claimsDue: true, ahead: 2 }))
      assert.deepStrictEqual([held.claimed, held.full], [2, true])
      yield* held.committed
      yield* settle
      assert.deepStrictEqual((yield* Ref.get(dispatched)).map((d) => d.id), ["trun_a", "trun_b"], "two slots, two dispatches")
      assert.deepStrictEqual((yield* Ref.get(due)).map((r) => r.id), ["trun_e"], "c and d are claimed, parked")
      const before = yield* Ref.get(claims)
      yield* slots.free(["trun_a"])
      yield* settle
      assert.deepStrictEqual((yield* Ref.get(dispatched)).map((d) => d.id), ["trun_a", "trun_b", "trun_c"])
      assert.strictEqual(yield* Ref.get(claims), before, "the freed slot went to the parked run, with no claim")
      const next = Option.getOrThrow(yield* inline.claimWithin(2, claim, { claimsDue: true, ahead: 2 }))
      assert.strictEqual(next.claimed, 0, "no slot is free")
      yield* next.committed
      assert.deepStrictEqual((yield* Ref.get(due)).map((r) => r.id), [], "one more claimed ahead: d waits, so room for one")
      assert.deepStrictEqual(yield* Ref.get(requeued), [])
      assert.strictEqual(slots.parkedCount(), 2)
    }))

  it.scoped("a parked run goes back to pending when no slot frees within its hold, and is claimed again later", () =>
    Effect.gen(function*() {
      const { claim, dispatched, due, hangDispatches, inline, requeued, slots } = yield* harness({ maxConcurrency: 1 })
      hangDispatches()
      yield* settle
      yield* Ref.set(due, [{ id: "trun_a", at: 0 }, { id: "trun_b", at: 0 }])
      yield* (Option.getOrThrow(yield* inline.claimWithin(1, claim, { claimsDue: true, ahead: 1 }))).committed
      yield* settle
      yield* TestClock.adjust(PARKED_MAX_MS - 1)
      yield* settle
      assert.deepStrictEqual(yield* Ref.get(requeued), [])
      yield* TestClock.adjust(1)
      yield* settle
      assert.deepStrictEqual(yield* Ref.get(requeued), [{ id: "trun_b", at: PARKED_MAX_MS }])
      assert.strictEqual(slots.parkedCount(), 0)
      yield* slots.free(["trun_a"])
      yield* settle
      assert.deepStrictEqual((yield* Ref.get(dispatched)).map((d) => d.id), ["trun_a", "trun_b"], "b is claimed again into a's slot")
      assert.deepStrictEqual(yield* Ref.get(due), [])
    }))

  it.effect("at shutdown, parked runs go back to pending", () =>
    Effect.gen(function*() {
      const requeued = yield* Effect.scoped(Effect.gen(function*() {
        const { claim, due, hangDispatches, inline, requeued } = yield* harness({ maxConcurrency: 1 })
        hangDispatches()
        yield* settle
        yield* Ref.set(due, [{ id: "trun_a", at: 0 }, { id: "trun_b", at: 0 }, { id: "trun_c", at: 0 }])
        yield* (Option.getOrThrow(yield* inline.claimWithin(1, claim, { claimsDue: true, ahead: 2 }))).committed
        yield* settle
        return requeued
      }))
      assert.deepStrictEqual((yield* Ref.get(requeued)).map((r) => r.id), ["trun_b", "trun_c"])
    }))

  it.scoped("only a completion's claim parks runs: a pass claims no more than its slots", () =>
    Effect.gen(function*() {
      const { claim, due, hangDispatches, inline, scheduling, slots } = yield* harness({ mode: "serverless", maxConcurrency: 1 })
      hangDispatches()
      yield* Ref.set(due, [{ id: "trun_a", at: 0 }, { id: "trun_b", at: 0 }])
      assert.strictEqual((yield* scheduling.pass).claimed, 1)
      assert.deepStrictEqual([slots.parkedCount(), (yield* Ref.get(due)).length], [0, 1])
      assert.isTrue(Option.isNone(yield* inline.claimWithin(1, claim, { claimsDue: true, ahead: 1 })), "nothing is lent in serverless mode")
    }))

  it("a parked run waits at most 500 ms, half its heartbeat interval and a tenth of its timeout", () => {
    assert.strictEqual(holdMs({ heartbeatIntervalMs: 60_000, timeoutSeconds: 300 }), PARKED_MAX_MS)
    assert.strictEqual(holdMs({ heartbeatIntervalMs: 100, timeoutSeconds: 300 }), 50)
    assert.strictEqual(holdMs({ heartbeatIntervalMs: 60_000, timeoutSeconds: 1 }), 100)
  })

  it.scoped("a parked run is held at most half its heartbeat interval, even when parked after runs held longer", () =>
    Effect.gen(function*() {
      const { claim, due, hangDispatches, inline, requeued } = yield* harness({ maxConcurrency: 1 })
      hangDispatches()
      yield* settle
      yield* Ref.set(due, [{ id: "trun_a", at: 0 }, { id: "trun_slow", at: 0 }])
      yield* (Option.getOrThrow(yield* inline.claimWithin(1, claim, { claimsDue: true, ahead: 1 }))).committed
      yield* settle
      yield* TestClock.adjust(100)
      yield* Ref.set(due, [{ id: "trun_quick", at: 0, heartbeatIntervalMs: 100 }])
      yield* (Option.getOrThrow(yield* inline.claimWithin(1, claim, { claimsDue: true, ahead: 2 }))).committed
      yield* settle
      yield* TestClock.adjust(50)
      yield* settle
      assert.deepStrictEqual(yield* Ref.get(requeued), [{ id: "trun_quick", at: 150 }], "its deadline is 200 ms after its claim")
      yield* TestClock.adjust(PARKED_MAX_MS - 150)
      yield* settle
      assert.deepStrictEqual((yield* Ref.get(requeued)).map((r) => r.id), ["trun_quick", "trun_slow"])
    }))

  it.scoped("a slot freed while a run waits parked goes to it at once, outside any transaction (its dispatch would inherit the connection)", () =>
    Effect.gen(function*() {
      const { claim, dispatched, dispatchedInTransaction, due, hangDispatches, inline, slots } = yield* harness({ maxConcurrency: 2 })
      hangDispatches()
      yield* settle
      yield* Ref.set(due, [{ id: "trun_a", at: 0 }, { id: "trun_b", at: 0 }, { id: "trun_parked", at: 0 }])
      yield* (Option.getOrThrow(yield* inline.claimWithin(2, claim, { claimsDue: true, ahead: 1 }))).committed
      yield* settle
      assert.strictEqual(slots.parkedCount(), 1)
      yield* slots.free(["trun_a"])
      yield* settle
      assert.deepStrictEqual((yield* Ref.get(dispatched)).map((d) => d.id), ["trun_a", "trun_b", "trun_parked"])
      assert.strictEqual(slots.parkedCount(), 0)
      yield* inline.transact(Effect.zipRight(Ref.set(due, [{ id: "trun_new", at: 0 }]), Effect.void), () => 1)
      yield* settle
      assert.deepStrictEqual(yield* Ref.get(dispatchedInTransaction), [])
      assert.deepStrictEqual(
        (yield* Ref.get(dispatched)).map((d) => d.id),
        ["trun_a", "trun_b", "trun_parked"],
        "no slot was free for the transaction's claim: trun_new waits for a pass"
      )
    }))
})
