import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Registrations } from "../../src/flow/Registrations.js"
import { registration, task } from "../support/fixtures.js"
import { databases } from "../support/TestDatabase.js"
import { target } from "./Harness.js"

for (const [name, database] of databases) {
  describe(`security harness on ${name}`, () => {
    it.scoped("refused leaves rows and objects as they were; an accepted request changes them", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database(), { inlinePayloadBytes: 0 })
        yield* orchestrator.use(Effect.flatMap(Registrations, (r) => r.register(registration("svc", [task("known")]))))
        yield* orchestrator.refused("/api/queue/task", { body: { taskId: "nope" } }, 404, /nope/)
        const before = yield* orchestrator.state
        const queued = yield* orchestrator.send("/api/queue/task", { body: { taskId: "known", input: { a: 1 } } })
        assert.strictEqual(queued.status, 201, queued.text)
        const after = yield* orchestrator.state
        assert.notDeepEqual(after.rows, before.rows)
        assert.isAbove(Object.keys(after.objects).length, Object.keys(before.objects).length)
      }), 60_000)
  })
}
