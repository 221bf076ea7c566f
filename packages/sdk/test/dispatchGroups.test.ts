import { assert, describe, it } from "@effect/vitest"
import { GROUPED_CALLBACKS } from "@pipeweave/domain/CallbackGroup"
import { Deferred, Effect, Fiber, Schedule } from "effect"
import { request } from "node:http"
import { makeFakeState } from "./FakeOrchestrator.js"
import { dispatch, type Harness, makeDispatch, startHarness } from "./fixtures.js"

/** POSTs to the worker's grouped dispatch endpoint; the answer as its JSON lines (or its JSON body). */
const postGroup = (h: Harness, body: unknown, contentType = "application/json") =>
  Effect.promise(async () => {
    const response = await fetch(`${h.workerUrl}/dispatches`, {
      method: "POST",
      headers: { "content-type": contentType },
      body: typeof body === "string" ? body : JSON.stringify(body)
    })
    const text = await response.text()
    const lines = text.split("\n").filter((line) => line.length > 0).map((line) => JSON.parse(line) as any)
    return { status: response.status, contentType: response.headers.get("content-type") ?? "", lines, body: lines[0] }
  })

const storedKeys = (h: Harness) => Effect.orDie(h.storage.list(""))

/** A worker with `echo` (counting its executions per input) and nothing else. */
const counting = () =>
  Effect.gen(function*() {
    const executed: Array<unknown> = []
    const h = yield* startHarness((worker) =>
      worker.register("echo", async (ctx) => {
        executed.push(ctx.input)
        return { echoed: ctx.input }
      }))
    return { h, executed }
  })

/** A no-op worker whose orchestrator takes grouped callbacks, and ten inline dispatches for it. */
const tenNoops = Effect.gen(function*() {
  const state = makeFakeState()
  state.features = [GROUPED_CALLBACKS]
  const h = yield* startHarness((worker) => worker.register("noop", () => ({ ok: true })), {}, state)
  const items = yield* Effect.forEach(Array.from({ length: 10 }, (_, i) => i), (i) =>
    makeDispatch(h, { taskId: "noop", input: { i }, inline: true, inlineLimitBytes: 65_536 }))
  return { h, items, state }
})

describe("grouped dispatches: POST /dispatches", () => {
  it.scopedLive("registers the capability; runs every item once and answers decisions, then one ack per item", () =>
    Effect.gen(function*() {
      const { executed, h } = yield* counting()
      assert.strictEqual(h.fake.state.registrations.at(-1)!.body.dispatchGroups, 100)
      const items = yield* Effect.forEach([0, 1, 2, 3, 4], (i) => makeDispatch(h, { taskId: "echo", input: { i }, inline: true }))
      const answer = yield* postGroup(h, { dispatches: items })
      assert.strictEqual(answer.status, 200)
      assert.match(answer.contentType, /^application\/x-ndjson/)
      assert.deepStrictEqual(answer.lines[0], { results: items.map((item) => ({ runId: item.runId, status: 200 })) })
      assert.sameDeepMembers(
        answer.lines.slice(1),
        items.map((item) => ({ done: { runId: item.runId, attempt: 1, status: "success" } }))
      )
      assert.sameDeepMembers(executed, [0, 1, 2, 3, 4].map((i) => ({ i })))
      assert.sameMembers(h.fake.state.callbacks.map((c) => c.runId), items.map((item) => item.runId))
    }))

  it.scopedLive("the callbacks of a group's runs that finish together leave in one request, none alone", () =>
    Effect.gen(function*() {
      const { h, items, state } = yield* tenNoops
      const answer = yield* postGroup(h, { dispatches: items })
      assert.strictEqual(answer.lines.length, 11)
      assert.deepStrictEqual(state.requests.filter((r) => r.startsWith("POST /api/callback")), ["POST /api/callbacks"])
      assert.sameMembers(state.callbacks.map((c) => c.runId), items.map((item) => item.runId))
    }))

  it.scopedLive("the acks of runs whose callbacks were answered together arrive together, not one write each", () =>
    Effect.gen(function*() {
      const { h, items, state } = yield* tenNoops
      // Node's client hands over each chunk of a chunked answer as it was written.
      const chunks = yield* Effect.async<Array<string>>((resume) => {
        const body = JSON.stringify({ dispatches: items })
        const seen: Array<string> = []
        request(`${h.workerUrl}/dispatches`, { method: "POST", headers: { "content-type": "application/json" } }, (res) => {
          res.setEncoding("utf8")
          res.on("data", (chunk: string) => seen.push(chunk))
          res.on("end", () => resume(Effect.succeed(seen)))
        }).end(body)
      })
      const acks = chunks.filter((chunk) => chunk.includes(`"done"`))
      assert.strictEqual(chunks.join("").split("\n").filter((line) => line.includes(`"done"`)).length, 10)
      assert.deepStrictEqual(state.requests.filter((r) => r.startsWith("POST /api/callback")), ["POST /api/callbacks"])
      assert.isAtMost(acks.length, 2, `the 10 acks came in ${acks.length} writes`)
    }))

  it.scopedLive("each item gets the checks of a single dispatch: unknown task 404, foreign token 401, replays 409; the rest runs", () =>
    Effect.gen(function*() {
      const { executed, h } = yield* counting()
      const first = yield* makeDispatch(h, { taskId: "echo", input: "first", inline: true })
      const ranBefore = yield* makeDispatch(h, { taskId: "echo", input: "ran before", inline: true })
      const unknown = yield* makeDispatch(h, { taskId: "nope", input: "unknown", inline: true })
      const victim = yield* makeDispatch(h, { taskId: "echo", input: "victim", inline: true })
      const last = yield* makeDispatch(h, { taskId: "echo", input: "last", inline: true })
      assert.strictEqual((yield* dispatch(h, ranBefore)).status, 200)
      assert.deepStrictEqual(executed, ["ran before"])

      const answer = yield* postGroup(h, {
        dispatches: [
          first,
          unknown,
          { ...victim, callbackToken: first.callbackToken },
          first,
          ranBefore,
          last
        ]
      })
      assert.strictEqual(answer.status, 200)
      const results = answer.lines[0].results as Array<any>
      assert.deepStrictEqual(results.map((r) => [r.runId, r.status]), [
        [first.runId, 200],
        [unknown.runId, 404],
        [victim.runId, 401],
        [first.runId, 409],
        [ranBefore.runId, 409],
        [last.runId, 200]
      ])
      assert.match(results[1].error, /task 'nope' is not registered/)
      assert.match(results[2].error, /^callbackToken: /)
      assert.match(results[3].error, /already dispatched/)
      assert.sameMembers(answer.lines.slice(1).map((line) => line.done.runId), [first.runId, last.runId])
      assert.sameMembers(executed, ["ran before", "first", "last"])
      assert.sameMembers(h.fake.state.callbacks.map((c) => c.runId), [ranBefore.runId, first.runId, last.runId])
    }))

  it.scopedLive("hostile envelopes are refused with the field named, and start nothing", () =>
    Effect.gen(function*() {
      const { executed, h } = yield* counting()
      const good = yield* makeDispatch(h, { taskId: "echo", input: { a: 1 } })
      const before = yield* storedKeys(h)
      const deep = `{"dispatches":[${"[".repeat(100)}${"]".repeat(100)}]}`
      const { callbackToken: _, ...withoutToken } = good
      const cases: ReadonlyArray<readonly [string, unknown, number, string, string?]> = [
        ["wrong content type", { dispatches: [good] }, 415, "content-type", "text/plain"],
        ["not JSON", "{\"dispatches\": [", 400, "body"],
        ["a raw NUL byte", `{"dispatches":[\u0000]}`, 400, "body"],
        ["a NUL in an id", { dispatches: [{ ...good, runId: `${good.runId}\u0000` }] }, 400, "dispatches.0.runId"],
        ["deep JSON", deep, 400, "body"],
        ["no dispatches", {}, 400, "dispatches"],
        ["an empty group", { dispatches: [] }, 400, "dispatches"],
        ["too many items", { dispatches: Array.from({ length: 101 }, () => good) }, 400, "dispatches"],
        ["a malformed item after a good one", { dispatches: [good, withoutToken] }, 400, "dispatches.1.callbackToken"],
        ["an item that is not an object", { dispatches: [good, 42] }, 400, "dispatches.1"]
      ]
      for (const [label, body, status, field, contentType] of cases) {
        const answer = yield* postGroup(h, body, contentType)
        assert.strictEqual(answer.status, status, `${label}: ${JSON.stringify(answer.lines)}`)
        assert.strictEqual(answer.body._tag, "ValidationError", label)
        assert.strictEqual(answer.body.field, field, `${label}: ${JSON.stringify(answer.body)}`)
      }
      const huge = yield* postGroup(h, `{"dispatches":[{"input":"${"x".repeat(33 * 1024 * 1024)}"}]}`)
      assert.strictEqual(huge.status, 413)
      assert.strictEqual(huge.body.field, "body")

      assert.deepStrictEqual(executed, [])
      assert.strictEqual(h.fake.state.callbacks.length, 0)
      assert.strictEqual(h.fake.state.heartbeats.length, 0)
      assert.deepStrictEqual(yield* storedKeys(h), before)
      // The good dispatch was never admitted: it still runs once.
      const single = yield* dispatch(h, good)
      assert.strictEqual(single.status, 200)
      assert.deepStrictEqual(executed, [{ a: 1 }])
    }))

  it.scopedLive("a replayed group runs nothing the second time", () =>
    Effect.gen(function*() {
      const { executed, h } = yield* counting()
      const items = yield* Effect.forEach([0, 1], (i) => makeDispatch(h, { taskId: "echo", input: i, inline: true }))
      const first = yield* postGroup(h, { dispatches: items })
      assert.deepStrictEqual(first.lines[0].results.map((r: any) => r.status), [200, 200])
      const replay = yield* postGroup(h, { dispatches: items })
      assert.deepStrictEqual(replay.lines[0].results.map((r: any) => r.status), [409, 409])
      assert.strictEqual(replay.lines.length, 1)
      assert.sameMembers(executed, [0, 1])
      assert.strictEqual(h.fake.state.callbacks.length, 2)
    }))

  it.scopedLive("a draining worker answers a group 503 and runs none of it; the group already running finishes", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      const executed: Array<unknown> = []
      const h = yield* startHarness((worker) =>
        worker.register("slow", async (ctx) => {
          executed.push(ctx.input)
          Effect.runSync(Deferred.succeed(started, undefined))
          await Effect.runPromise(Deferred.await(release))
          return {}
        }))
      const first = yield* makeDispatch(h, { taskId: "slow", input: "running", inline: true })
      const running = yield* Effect.fork(postGroup(h, { dispatches: [first] }))
      yield* Deferred.await(started)
      const stopping = yield* Effect.fork(Effect.promise(() => h.worker.stop()))
      yield* Effect.suspend(() => h.fake.state.deregistrations.length > 0 ? Effect.void : Effect.fail("draining")).pipe(
        Effect.retry(Schedule.spaced("20 millis").pipe(Schedule.upTo("10 seconds"))),
        Effect.orDie
      )
      const late = yield* Effect.forEach(["late 1", "late 2"], (input) => makeDispatch(h, { taskId: "slow", input, inline: true }))
      const refused = yield* postGroup(h, { dispatches: late })
      assert.strictEqual(refused.status, 503)
      assert.strictEqual(refused.body._tag, "ShuttingDown")
      yield* Deferred.succeed(release, undefined)
      const answered = yield* Fiber.join(running)
      assert.deepStrictEqual(answered.lines, [
        { results: [{ runId: first.runId, status: 200 }] },
        { done: { runId: first.runId, attempt: 1, status: "success" } }
      ])
      yield* Fiber.join(stopping)
      assert.deepStrictEqual(executed, ["running"])
      assert.deepStrictEqual(h.fake.state.callbacks.map((c) => c.runId), [first.runId])
    }))
})
