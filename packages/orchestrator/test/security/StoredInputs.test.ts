import { assert, describe, it } from "@effect/vitest"
import { makeMemoryStorage } from "@pipeweave/storage/MemoryStorage"
import { Deferred, Effect, Fiber } from "effect"
import { Registrations } from "../../src/flow/Registrations.js"
import { withStoredInputs } from "../../src/flow/StoredInputs.js"
import { registration, task } from "../support/fixtures.js"
import { databases } from "../support/TestDatabase.js"
import { target } from "./Harness.js"

const inputs = [1, 2, 3].map((n) => ({ key: `standalone/trun_in${n}/input.json`, json: JSON.stringify({ n }) }))

describe("inputs stored for a request", () => {
  it.effect("stay when the insert succeeds", () =>
    Effect.gen(function*() {
      const storage = makeMemoryStorage()
      yield* withStoredInputs(storage, inputs, Effect.void)
      assert.deepStrictEqual(yield* storage.list(""), inputs.map((i) => i.key))
    }))

  it.effect("are removed when the insert fails", () =>
    Effect.gen(function*() {
      const storage = makeMemoryStorage()
      const exit = yield* Effect.exit(withStoredInputs(storage, inputs, Effect.dieMessage("insert failed")))
      assert.isTrue(exit._tag === "Failure")
      assert.deepStrictEqual(yield* storage.list(""), [])
    }))

  it.effect("are removed when one of them cannot be written", () =>
    Effect.gen(function*() {
      const memory = makeMemoryStorage()
      const storage = {
        ...memory,
        put: (key: string, body: string | Uint8Array, contentType: string) =>
          key.includes("trun_in3") ? Effect.dieMessage("disk full") : memory.put(key, body, contentType)
      }
      const exit = yield* Effect.exit(withStoredInputs(storage, inputs, Effect.void))
      assert.isTrue(exit._tag === "Failure")
      assert.deepStrictEqual(yield* memory.list(""), [])
    }))

  it.effect("are removed when the request is interrupted before its rows are in", () =>
    Effect.gen(function*() {
      const storage = makeMemoryStorage()
      const inserting = yield* Deferred.make<void>()
      const fiber = yield* Effect.fork(withStoredInputs(storage, inputs, Effect.zipRight(Deferred.succeed(inserting, undefined), Effect.never)))
      yield* Deferred.await(inserting)
      assert.strictEqual((yield* storage.list("")).length, 3)
      yield* Fiber.interrupt(fiber)
      assert.deepStrictEqual(yield* storage.list(""), [])
    }))
})

for (const [name, database] of databases) {
  describe(`requests whose rows cannot be inserted on ${name}`, () => {
    it.scoped("leave no input in storage (a queued task, item 3 of a batch, a pipeline run)", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database(), { inlinePayloadBytes: 0 })
        yield* orchestrator.use(Effect.flatMap(Registrations, (r) => r.register(registration("svc", [task("known")]))))
        const big = { blob: "x".repeat(1000) }
        const nul = { note: "a\u0000b" }
        const unchanged = (path: string, body: unknown) =>
          Effect.gen(function*() {
            const before = yield* orchestrator.state
            const answer = yield* orchestrator.send(path, { body })
            assert.isAtLeast(answer.status, 400, `${path}: ${answer.status} ${answer.text.slice(0, 300)}`)
            assert.deepStrictEqual(yield* orchestrator.state, before, `${path} left something behind`)
          })
        yield* unchanged("/api/queue/task", { taskId: "known", input: big, metadata: nul })
        yield* unchanged("/api/queue/batch", {
          tasks: [
            { taskId: "known", input: big },
            { taskId: "known", input: big },
            { taskId: "known", input: big, metadata: nul }
          ]
        })
        yield* unchanged("/api/pipelines/known/trigger", { input: big, metadata: nul })

        const queued = yield* orchestrator.send("/api/queue/task", { body: { taskId: "known", input: big } })
        assert.strictEqual(queued.status, 201, queued.text)
        assert.deepStrictEqual(Object.keys((yield* orchestrator.state).objects), [`standalone/${queued.body.runId}/input.json`])
      }), 60_000)
  })
}
