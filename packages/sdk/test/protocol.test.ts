import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { dispatch, makeDispatch, otherCrypto, post, startHarness } from "./fixtures.js"

const echo = (worker: import("../src/index.js").Worker) => worker.register("echo", async (ctx) => ctx.input)

describe("dispatch protocol", () => {
  it.scopedLive("an unknown task is answered 404 with a JSON body", () =>
    Effect.gen(function*() {
      const h = yield* startHarness(echo)
      const body = yield* makeDispatch(h, { taskId: "nope", input: {} })
      const response = yield* dispatch(h, body)
      assert.strictEqual(response.status, 404)
      assert.deepInclude(response.body, { _tag: "NotFound", resource: "task", id: "nope" })
      assert.strictEqual(h.fake.state.callbacks.length, 0)
    }))

  it.scopedLive("a body that does not decode is answered 400 naming the field", () =>
    Effect.gen(function*() {
      const h = yield* startHarness(echo)
      const good = yield* makeDispatch(h, { taskId: "echo", input: {} })
      const badAttempt = yield* dispatch(h, { ...good, attempt: "one" })
      assert.strictEqual(badAttempt.status, 400)
      assert.strictEqual(badAttempt.body._tag, "ValidationError")
      assert.strictEqual(badAttempt.body.field, "attempt")

      const { callbackToken: _, ...missing } = good
      const noToken = yield* dispatch(h, missing)
      assert.strictEqual(noToken.status, 400)
      assert.strictEqual(noToken.body.field, "callbackToken")

      const badRunId = yield* dispatch(h, { ...good, runId: "run-1" })
      assert.deepStrictEqual(badRunId.body, {
        _tag: "ValidationError",
        field: "runId",
        message: "task run id must look like trun_<letters and digits>"
      })

      const notJson = yield* post(`${h.workerUrl}/tasks/echo`, "{not json")
      assert.deepStrictEqual(notJson, {
        status: 400,
        body: { _tag: "ValidationError", field: "body", message: "the request body is not valid JSON" }
      })

      const mismatch = yield* post(`${h.workerUrl}/tasks/echo`, { ...good, taskId: "other" })
      assert.strictEqual(mismatch.status, 400)
      assert.strictEqual(mismatch.body.field, "taskId")
      assert.strictEqual(h.fake.state.callbacks.length, 0)
    }))

  it.scopedLive("a body that is not JSON, too large or too deep is refused before it is parsed, and runs nothing", () =>
    Effect.gen(function*() {
      const h = yield* startHarness(echo)
      const good = yield* makeDispatch(h, { taskId: "echo", input: { a: 1 } })
      const send = (body: string, contentType: string) =>
        Effect.promise(async () => {
          const response = await fetch(`${h.workerUrl}/tasks/echo`, { method: "POST", headers: { "content-type": contentType }, body })
          return { status: response.status, body: await response.json() as { _tag: string; field: string } }
        })
      const cases: ReadonlyArray<readonly [string, string, string, number, string]> = [
        ["wrong content type", JSON.stringify(good), "text/plain", 415, "content-type"],
        ["deep JSON", JSON.stringify({ ...good, input: JSON.parse(`${"[".repeat(80)}${"]".repeat(80)}`) }), "application/json", 400, "body"],
        ["a raw NUL byte", `{"runId":\u0000}`, "application/json", 400, "body"],
        ["past 32 MB", JSON.stringify({ ...good, input: "x".repeat(33 * 1024 * 1024) }), "application/json", 413, "body"]
      ]
      for (const [label, body, contentType, status, field] of cases) {
        const answer = yield* send(body, contentType)
        assert.strictEqual(answer.status, status, label)
        assert.strictEqual(answer.body._tag, "ValidationError", label)
        assert.strictEqual(answer.body.field, field, label)
      }
      assert.strictEqual(h.fake.state.callbacks.length, 0)
      const accepted = yield* dispatch(h, good)
      assert.strictEqual(accepted.status, 200, "the same dispatch, well sent, still runs")
      assert.strictEqual(h.fake.state.callbacks.length, 1)
    }))

  it.scopedLive("a storage token sealed with another secret, or for another run, is answered 401", () =>
    Effect.gen(function*() {
      const h = yield* startHarness(echo)
      const foreign = yield* makeDispatch(h, { taskId: "echo", input: {} }, otherCrypto)
      const response = yield* dispatch(h, foreign)
      assert.strictEqual(response.status, 401)
      assert.strictEqual(response.body._tag, "Unauthorized")

      const first = yield* makeDispatch(h, { taskId: "echo", input: {} })
      const second = yield* makeDispatch(h, { taskId: "echo", input: {} })
      const swapped = yield* dispatch(h, { ...first, storageToken: second.storageToken })
      assert.deepStrictEqual(swapped, {
        status: 401,
        body: { _tag: "Unauthorized", message: "runId: the storage token was issued for another run" }
      })
      assert.strictEqual(h.fake.state.callbacks.length, 0)
      assert.strictEqual(h.fake.state.heartbeats.length, 0)
    }))

  it.scopedLive("a 409 from the callback is final: no retry, logged, and the ack is a failure naming the rejection", () =>
    Effect.gen(function*() {
      const h = yield* startHarness(echo)
      h.fake.state.callbackAnswers.push("conflict")
      const body = yield* makeDispatch(h, { taskId: "echo", input: 7 })
      const response = yield* dispatch(h, body)
      assert.deepStrictEqual(response, {
        status: 200,
        body: { runId: body.runId, attempt: 1, status: "failure", callback: "rejected" }
      })
      yield* Effect.sleep("300 millis")
      assert.strictEqual(h.fake.state.callbacks.length, 1)
      assert.isTrue(h.logger.lines.some((l) => l.includes("callback rejected by the orchestrator") && l.includes("409")))
    }))

  it.scopedLive("a 5xx from the callback is retried until delivered", () =>
    Effect.gen(function*() {
      const h = yield* startHarness(echo)
      h.fake.state.callbackAnswers.push("error", "error")
      const body = yield* makeDispatch(h, { taskId: "echo", input: 7 })
      const response = yield* dispatch(h, body)
      assert.strictEqual(response.status, 200)
      assert.strictEqual(h.fake.state.callbacks.length, 3)
      assert.deepStrictEqual(h.fake.state.callbacks.map((c) => c.body), Array(3).fill(h.fake.state.callbacks[2]!.body))
    }))

  it.scopedLive("a dispatch whose connection drops while its task runs still runs to the end and reports its result", () =>
    Effect.gen(function*() {
      let started!: () => void
      const handlerStarted = new Promise<void>((resolve) => (started = resolve))
      let release!: () => void
      const released = new Promise<void>((resolve) => (release = resolve))
      const h = yield* startHarness((worker) =>
        worker.register("slow", async (ctx) => {
          started()
          await released
          return { echoed: ctx.input }
        })
      )
      const body = yield* makeDispatch(h, { taskId: "slow", input: { n: 7 } })
      const aborted = new AbortController()
      const request = fetch(`${h.workerUrl}/tasks/slow`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: aborted.signal
      }).then(() => "answered", () => "dropped")
      yield* Effect.promise(() => handlerStarted)
      aborted.abort()
      assert.strictEqual(yield* Effect.promise(() => request), "dropped")
      assert.strictEqual(h.fake.state.callbacks.length, 0)
      release()
      const deadline = Date.now() + 30_000
      while (h.fake.state.callbacks.length === 0 && Date.now() < deadline) yield* Effect.sleep("10 millis")
      assert.strictEqual(h.fake.state.callbacks.length, 1)
      assert.deepInclude(h.fake.state.callbacks[0]!.body, { status: "success", attempt: body.attempt as number })
      const next = yield* makeDispatch(h, { taskId: "slow", input: { n: 8 } })
      const answer = yield* dispatch(h, next)
      assert.strictEqual(answer.status, 200, "the worker still answers the next dispatch")
      assert.strictEqual(h.fake.state.callbacks.length, 2)
    }))
})
