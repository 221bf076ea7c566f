import { assert, describe, it } from "@effect/vitest"
import { Redacted } from "effect"
import { Effect, Option } from "effect"
import { Registrations } from "../../src/flow/Registrations.js"
import { registration, task } from "../support/fixtures.js"
import { databases } from "../support/TestDatabase.js"
import { type Answer, target } from "./Harness.js"

/**
 * A submission that no guard has to act on is queued by the submit lane, outside the `HttpApi`
 * router; one with an `Origin` header (the orchestrator's own, which every guard lets through)
 * takes the router. Each case is sent both ways and must get the same answer, run ids and request
 * ids aside, and leave the same runs behind.
 */
const normalised = (answer: Answer) => {
  const headers: Array<[string, string]> = []
  answer.headers.forEach((value, name) => {
    if (name !== "date" && name !== "content-length") headers.push([name, value.replace(/req_[A-Za-z0-9]+/, "REQ")])
  })
  return { status: answer.status, text: answer.text.replace(/trun_[A-Za-z0-9]+/g, "RUN").replace(/req_[A-Za-z0-9]+/g, "REQ"), headers }
}

const API_TOKEN = "lane-test-token-0123456789"

for (const [name, database] of databases) {
  describe(`the submit lane on ${name}`, () => {
    for (const token of [undefined, API_TOKEN]) {
      it.scoped(`answers every submission as the API does${token === undefined ? "" : ", with an API token"}`, () =>
        Effect.gen(function*() {
          const orchestrator = yield* target(database(), token === undefined ? {} : { apiToken: Option.some(Redacted.make(token)) })
          yield* orchestrator.use(Effect.flatMap(Registrations, (r) =>
            r.register(registration("svc", [task("known")], { baseUrl: "http://127.0.0.1:9" }))))
          const auth = token === undefined ? {} : { authorization: `Bearer ${token}` }
          const both = (label: string, body: unknown, headers: Record<string, string> = {}) =>
            Effect.gen(function*() {
              const a = yield* orchestrator.send("/api/queue/task", { headers: { ...auth, ...headers }, body })
              const b = yield* orchestrator.send("/api/queue/task", {
                headers: { ...auth, origin: orchestrator.url, ...headers },
                body
              })
              assert.deepStrictEqual(normalised(a), normalised(b), `${label}: ${a.text} / ${b.text}`)
              return a
            })

          const queued = yield* both("a submission", { taskId: "known", input: { n: 1 }, priority: 5, metadata: { k: "v" } })
          assert.strictEqual(queued.status, 201, queued.text)
          assert.deepStrictEqual(Object.keys(queued.body).sort(), ["inputPath", "runId", "status", "taskId"])
          yield* both("the default input", { taskId: "known" })
          assert.strictEqual((yield* both("an unknown task", { taskId: "nope" })).status, 404)
          assert.strictEqual((yield* both("a NUL byte in the task id", { taskId: "known\u0000" })).status, 400)
          assert.strictEqual((yield* both("a NUL byte in the input", { taskId: "known", input: { s: "a\u0000b" } })).status, 201)
          assert.strictEqual((yield* both("an unknown field", { taskId: "known", extra: 1 })).status, 400)
          assert.strictEqual((yield* both("a priority that is not an integer", { taskId: "known", priority: 1.5 })).status, 400)
          const json = { "content-type": "application/json" }
          assert.strictEqual((yield* both("not JSON", "{\"taskId\":", json)).status, 400)
          const deep = yield* both("too deep", JSON.stringify({ taskId: "known", input: JSON.parse("[".repeat(200) + "]".repeat(200)) }), json)
          assert.strictEqual(deep.status, 400)
          if (token !== undefined) {
            assert.strictEqual((yield* both("a wrong token", { taskId: "known" }, { authorization: "Bearer wrong" })).status, 401)
            assert.strictEqual((yield* both("another scheme", { taskId: "known" }, { authorization: `Basic ${token}` })).status, 401)
          }

          const runs = yield* orchestrator.send("/api/queue/items?limit=100", { headers: auth })
          assert.strictEqual(runs.status, 200, runs.text)
          const shapes = (runs.body.items as ReadonlyArray<any>)
            .map((run) => JSON.stringify({ taskId: run.taskId, priority: run.priority, status: run.status })).sort()
          assert.strictEqual(shapes.length, 6, runs.text)
          assert.deepStrictEqual([shapes[0], shapes[2], shapes[4]], [shapes[1], shapes[3], shapes[5]])
        }), 60_000)
    }
  })
}
