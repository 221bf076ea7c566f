import { assert, describe, it } from "@effect/vitest"
import { GROUPED_CALLBACKS } from "@pipeweave/domain/CallbackGroup"
import { Deferred, Effect, Fiber } from "effect"
import { makeCallbackGroups } from "../src/internal/CallbackGroups.js"
import { makeFakeState } from "./FakeOrchestrator.js"
import { dispatch, makeDispatch, startHarness } from "./fixtures.js"

const TOGETHER = 6

/** A worker whose `gather` handlers all return at once, once `TOGETHER` of them are running. */
const gathering = Effect.gen(function*() {
  const allStarted = yield* Deferred.make<void>()
  let started = 0
  return (worker: import("../src/index.js").Worker) =>
    worker.register("gather", async (ctx) => {
      if (++started === TOGETHER) Effect.runSync(Deferred.succeed(allStarted, undefined))
      await Effect.runPromise(Deferred.await(allStarted))
      return ctx.input
    })
})

/** Dispatches `TOGETHER` runs of `gather` at once; every ack must say the success callback was accepted. */
const completeTogether = (h: Effect.Effect.Success<ReturnType<typeof startHarness>>) =>
  Effect.gen(function*() {
    const bodies = yield* Effect.forEach(Array.from({ length: TOGETHER }, (_, i) => i), (i) =>
      makeDispatch(h, { taskId: "gather", input: { i } }))
    const acks = yield* Effect.forEach(bodies, (body) => dispatch(h, body), { concurrency: "unbounded" })
    assert.deepStrictEqual(acks.map((a) => [a.status, a.body.status]), bodies.map(() => [200, "success"]))
    const singles = h.fake.state.requests.filter((r) => r.startsWith("POST /api/callback/"))
    assert.sameMembers(singles, bodies.map((b) => `POST /api/callback/${b.runId}`))
    return h.fake.state.requests.filter((r) => r === "POST /api/callbacks").length
  })

describe("grouped callbacks", () => {
  it.scopedLive("an orchestrator that does not advertise them gets every callback alone on the single route", () =>
    Effect.gen(function*() {
      const h = yield* startHarness(yield* gathering)
      assert.strictEqual(yield* completeTogether(h), 0)
    }))

  it.scopedLive("an orchestrator that advertises them but refuses the group (no such route) gets each callback alone", () =>
    Effect.gen(function*() {
      const state = makeFakeState()
      state.features = [GROUPED_CALLBACKS]
      state.groupedRoute = false
      const h = yield* startHarness(yield* gathering, {}, state)
      assert.isAtLeast(yield* completeTogether(h), 1)
    }))

  it.scopedLive("grouped: each callback gets its own answer; a 409 is final, a 500 is retried, the rest are accepted", () =>
    Effect.gen(function*() {
      const state = makeFakeState()
      state.features = [GROUPED_CALLBACKS]
      const h = yield* startHarness(yield* gathering, {}, state)
      const bodies = yield* Effect.forEach(Array.from({ length: TOGETHER }, (_, i) => i), (i) =>
        makeDispatch(h, { taskId: "gather", input: { i } }))
      // The first callback goes alone (nothing beside it yet); the next ones are answered in the group.
      state.callbackAnswers.push("ok", "conflict", "error")
      const acks = yield* Effect.forEach(bodies, (body) => dispatch(h, body), { concurrency: "unbounded" })
      const outcomes = acks.map((a) => a.body.callback ?? a.body.status).sort()
      assert.deepStrictEqual(outcomes, ["rejected", "success", "success", "success", "success", "success"])
      assert.isAtLeast(state.requests.filter((r) => r === "POST /api/callbacks").length, 1)
      assert.strictEqual(state.callbacks.length, TOGETHER + 1)
      assert.sameMembers([...new Set(state.callbacks.map((c) => c.runId))], bodies.map((b) => b.runId))
      assert.isTrue(state.callbacks.every((c) => c.claims._tag === "Run" && c.claims.runId === c.runId))
    }))

  it.scoped("a callback interrupted while it goes alone leaves the way free: the one queued behind it and later ones are sent", () =>
    Effect.gen(function*() {
      const sent: Array<string> = []
      const firstStarted = yield* Deferred.make<void>()
      const groups = makeCallbackGroups<{ readonly retryable: boolean; readonly status: number | undefined }>({
        single: (runId) =>
          runId === "first"
            ? Effect.zipRight(Deferred.succeed(firstStarted, undefined), Effect.never)
            : Effect.sync(() => void sent.push(`alone ${runId}`)),
        group: (items) =>
          Effect.sync(() => {
            sent.push(`group ${items.map((i) => i.runId).join(",")}`)
            return items.map((i) => ({ runId: i.runId, status: 200 }))
          }),
        answered: (status) => ({ retryable: false, status })
      })
      yield* groups.useGroups(true)
      const body = { status: "success", attempt: 1, outputPath: "o.json", outputSize: 2, assets: {} } as const
      const first = yield* Effect.fork(groups.send("first", body, "t"))
      yield* Deferred.await(firstStarted)
      const second = yield* Effect.fork(groups.send("second", body, "t"))
      yield* Effect.yieldNow()
      assert.deepStrictEqual(sent, [], "the second waits while the first is in flight")
      yield* Fiber.interrupt(first)
      yield* Fiber.join(second)
      yield* groups.send("third", body, "t")
      assert.deepStrictEqual(sent, ["alone second", "alone third"])
    }))
})
