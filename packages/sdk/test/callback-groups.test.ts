import { assert, describe, it } from "@effect/vitest"
import type { CallbackPayload } from "@pipeweave/domain/Callback"
import { type CallbackItem, GROUPED_CALLBACKS } from "@pipeweave/domain/CallbackGroup"
import { pendingIo } from "@pipeweave/domain/PendingIo"
import { Deferred, Effect, Fiber } from "effect"
import { makeCallbackGroups, MAX_GROUP_REQUESTS } from "../src/internal/CallbackGroups.js"
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

/** A success callback of `runId`. */
const body = (runId: string): CallbackPayload => ({
  status: "success",
  attempt: 1,
  outputPath: `runs/${runId}/output.json`,
  outputSize: 0,
  assets: {}
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

describe("grouped callback requests in flight", () => {

  /** Group routes that hold every request until the test answers it, recording what each carried. */
  const heldRoutes = Effect.gen(function*() {
    const requests: Array<{ readonly runIds: ReadonlyArray<string>; readonly answer: Deferred.Deferred<void> }> = []
    let open = 0
    let mostOpen = 0
    const routes = makeCallbackGroups({
      single: (runId) => Effect.dieMessage(`${runId} went alone`),
      group: (items: ReadonlyArray<CallbackItem>) =>
        Effect.gen(function*() {
          const answer = yield* Deferred.make<void>()
          requests.push({ runIds: items.map((item) => item.runId), answer })
          mostOpen = Math.max(mostOpen, ++open)
          yield* Deferred.await(answer)
          open--
          return items.map((item) => ({ runId: item.runId, status: 200, runStatus: "completed" }))
        }),
      answered: (status, message) => ({ status, message, retryable: false })
    })
    yield* routes.useGroups(true)
    return { routes, requests, mostOpen: () => mostOpen }
  })

  /** Sends the callbacks of `runIds` together, as runs finishing in one turn of the event loop do. */
  const finish = (routes: Effect.Effect.Success<typeof heldRoutes>["routes"], runIds: ReadonlyArray<string>) =>
    Effect.fork(Effect.forEach(runIds, (runId) => routes.send(runId, body(runId), `token-${runId}`), {
      concurrency: "unbounded",
      discard: true
    }))

  /** Lets the event loop run what is ready, a few turns (the senders start after one). */
  const settle = Effect.repeatN(pendingIo, 3)

  it.live("groups leave while earlier ones are unanswered, up to the limit; what finishes while that many are out waits and goes together", () =>
    Effect.gen(function*() {
      assert.strictEqual(MAX_GROUP_REQUESTS, 4)
      const { mostOpen, requests, routes } = yield* heldRoutes
      const out = []
      for (let g = 0; g < MAX_GROUP_REQUESTS; g++) {
        out.push(yield* finish(routes, [`run-${g}a`, `run-${g}b`]))
        yield* settle
      }
      assert.deepStrictEqual(
        requests.map((r) => r.runIds),
        Array.from({ length: MAX_GROUP_REQUESTS }, (_, g) => [`run-${g}a`, `run-${g}b`])
      )

      const waitingA = yield* finish(routes, ["run-xa", "run-xb"])
      const waitingB = yield* finish(routes, ["run-y"])
      yield* settle
      assert.strictEqual(requests.length, MAX_GROUP_REQUESTS, "every sender is out: the next callbacks wait")

      yield* Deferred.succeed(requests[0]!.answer, undefined)
      yield* Fiber.join(out[0]!)
      yield* settle
      assert.deepStrictEqual(requests.map((r) => r.runIds).slice(MAX_GROUP_REQUESTS), [["run-xa", "run-xb", "run-y"]])

      for (const request of requests) yield* Deferred.succeed(request.answer, undefined)
      yield* Effect.all([...out.slice(1).map(Fiber.join), Fiber.join(waitingA), Fiber.join(waitingB)])
      assert.strictEqual(mostOpen(), MAX_GROUP_REQUESTS)
    }))
})

describe("a callback's sender", () => {
  /** Routes recording, in one list with the event loop's turns, when each callback leaves. */
  const recorded = Effect.gen(function*() {
    const order: Array<string> = []
    const routes = makeCallbackGroups({
      single: (runId) => Effect.sync(() => void order.push(`sent ${runId}`)),
      group: (items: ReadonlyArray<CallbackItem>) =>
        Effect.sync(() => {
          order.push(`sent ${items.map((item) => item.runId).join("+")}`)
          return items.map((item) => ({ runId: item.runId, status: 200, runStatus: "completed" }))
        }),
      answered: (status, message) => ({ status, message, retryable: false })
    })
    yield* routes.useGroups(true)
    return { order, routes }
  })

  it.live("with no other execution running, leaves at once; with others running, after the event loop's pending I/O", () =>
    Effect.gen(function*() {
      const { order, routes } = yield* recorded
      let running = 1
      yield* routes.countRunning(() => running)
      setImmediate(() => order.push("turn"))
      yield* routes.send("run-alone", body("run-alone"), "token")
      yield* pendingIo
      assert.deepStrictEqual(order, ["sent run-alone", "turn"], "alone: sent before the loop's turn")

      order.length = 0
      running = 2
      setImmediate(() => order.push("turn"))
      yield* routes.send("run-beside", body("run-beside"), "token")
      assert.deepStrictEqual(order, ["turn", "sent run-beside"], "beside another: sent after the loop's turn")
    }))
})
