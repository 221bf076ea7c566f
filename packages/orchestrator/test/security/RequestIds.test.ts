import { SqlClient } from "@effect/sql"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, HashMap, Logger, Option } from "effect"
import { databases } from "../support/TestDatabase.js"
import { target } from "./Harness.js"

interface Line {
  readonly level: string
  readonly message: string
  readonly cause: string
  readonly requestId: string | undefined
}

const captured = () => {
  const lines: Array<Line> = []
  const logger = Logger.make<unknown, void>(({ annotations, cause, logLevel, message }) => {
    lines.push({
      level: logLevel.label,
      message: (Array.isArray(message) ? message : [message]).map(String).join(" "),
      cause: Cause.isEmpty(cause) ? "" : Cause.pretty(cause),
      requestId: Option.getOrUndefined(HashMap.get(annotations, "requestId")) as string | undefined
    })
  })
  return { lines, layer: Logger.add(logger) }
}

for (const [name, database] of databases) {
  describe(`request ids and server failures on ${name}`, () => {
    it.scoped("every answer carries x-request-id; a defect is a 500 with a JSON body naming the id, logged with its cause", () => {
      const log = captured()
      return Effect.gen(function*() {
        const orchestrator = yield* target(database())
        const health = yield* orchestrator.send("/health")
        const missing = yield* orchestrator.send("/api/task-runs/trun_abcdefabcdef")
        assert.match(health.headers.get("x-request-id") ?? "", /^req_[A-Za-z0-9]{16}$/)
        assert.match(missing.headers.get("x-request-id") ?? "", /^req_[A-Za-z0-9]{16}$/)
        assert.notStrictEqual(health.headers.get("x-request-id"), missing.headers.get("x-request-id"))
        assert.isFalse(log.lines.some((line) => line.level === "ERROR"), "a 404 is not a server failure")

        yield* orchestrator.use(Effect.flatMap(SqlClient.SqlClient, (sql) => sql`ALTER TABLE dead_letters RENAME TO dead_letters_gone`))
        const failed = yield* orchestrator.send("/api/dlq")
        assert.strictEqual(failed.status, 500)
        const requestId = failed.headers.get("x-request-id")
        assert.match(requestId ?? "", /^req_/)
        assert.strictEqual(failed.body.requestId, requestId)
        assert.strictEqual(failed.body._tag, "InternalServerError")
        const logged = log.lines.filter((line) => line.level === "ERROR")
        assert.strictEqual(logged.length, 1, JSON.stringify(logged))
        assert.strictEqual(logged[0]!.requestId, requestId)
        assert.include(logged[0]!.message, "GET /api/dlq answered 500")
        assert.match(logged[0]!.cause, /SqlError/)
      }).pipe(Effect.provide(log.layer))
    }, 60_000)
  })
}
