import { assert, describe, it } from "@effect/vitest"
import { GROUPED_CALLBACKS } from "@pipeweave/domain/CallbackGroup"
import { Deferred, Effect } from "effect"
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

/**
 * Like `completeTogether` against an orchestrator that takes groups, with inputs and outputs inline
 * (as the orchestrator sends small ones): how many group requests there were (none alone).
 */
const completeTogetherGrouped = (h: Effect.Effect.Success<ReturnType<typeof startHarness>>) =>
  Effect.gen(function*() {
    const bodies = yield* Effect.forEach(Array.from({ length: TOGETHER }, (_, i) => i), (i) =>
      makeDispatch(h, { taskId: "gather", input: { i }, inline: true, inlineLimitBytes: 65_536 }))
    const acks = yield* Effect.forEach(bodies, (body) => dispatch(h, body), { concurrency: "unbounded" })
    assert.deepStrictEqual(acks.map((a) => [a.status, a.body.status]), bodies.map(() => [200, "success"]))
    assert.deepStrictEqual(h.fake.state.requests.filter((r) => r.startsWith("POST /api/callback/")), [])
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

  it.scopedLive("grouped: the callbacks of runs that finish together leave in one request", () =>
    Effect.gen(function*() {
      const state = makeFakeState()
      state.features = [GROUPED_CALLBACKS]
      const h = yield* startHarness(yield* gathering, {}, state)
      assert.strictEqual(yield* completeTogetherGrouped(h), 1)
    }))

  it.scopedLive("grouped: each callback gets its own answer; a 409 is final, a 500 is retried, the rest are accepted", () =>
    Effect.gen(function*() {
      const state = makeFakeState()
      state.features = [GROUPED_CALLBACKS]
      const h = yield* startHarness(yield* gathering, {}, state)
      const bodies = yield* Effect.forEach(Array.from({ length: TOGETHER }, (_, i) => i), (i) =>
        makeDispatch(h, { taskId: "gather", input: { i } }))
      // The first three callbacks the fake orchestrator sees get these answers; the rest are accepted.
      state.callbackAnswers.push("ok", "conflict", "error")
      const acks = yield* Effect.forEach(bodies, (body) => dispatch(h, body), { concurrency: "unbounded" })
      const outcomes = acks.map((a) => a.body.callback ?? a.body.status).sort()
      assert.deepStrictEqual(outcomes, ["rejected", "success", "success", "success", "success", "success"])
      assert.isAtLeast(state.requests.filter((r) => r === "POST /api/callbacks").length, 1)
      assert.strictEqual(state.callbacks.length, TOGETHER + 1)
      assert.sameMembers([...new Set(state.callbacks.map((c) => c.runId))], bodies.map((b) => b.runId))
      assert.isTrue(state.callbacks.every((c) => c.claims._tag === "Run" && c.claims.runId === c.runId))
    }))
})
