import { HttpClient, HttpClientRequest } from "@effect/platform"
import { SqlClient } from "@effect/sql"
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { Registrations } from "../src/flow/Registrations.js"
import { registration, task } from "./support/fixtures.js"
import { databases } from "./support/TestDatabase.js"
import { databaseSnapshot, testOrchestrator } from "./support/TestOrchestrator.js"

const send = (request: HttpClientRequest.HttpClientRequest) =>
  Effect.gen(function*() {
    const response = yield* (yield* HttpClient.HttpClient).execute(request)
    return { status: response.status, body: (yield* response.json) as any }
  }).pipe(Effect.scoped, Effect.orDie)

const get = (path: string) => send(HttpClientRequest.get(path))
const post = (path: string, body: unknown) => send(HttpClientRequest.post(path).pipe(HttpClientRequest.bodyUnsafeJson(body)))

const idsOf = (answer: { body: { items: ReadonlyArray<{ runId: string }> } }) => answer.body.items.map((i) => i.runId).sort()

for (const [name, database] of databases) {
  layer(testOrchestrator(database()), { timeout: "60 seconds" })(`GET /api/queue/items filters on ${name}`, (it) => {
    it.effect("standalone=true leaves out pipeline tasks; since/until bound the creation time", () =>
      Effect.gen(function*() {
        yield* (yield* Registrations).register(registration("svc", [task("first", { allowedNext: ["second"] }), task("second"), task("alone")]))
        const triggered = yield* post("/api/pipelines/first/trigger", { input: {} })
        assert.strictEqual(triggered.status, 201, JSON.stringify(triggered))
        const early = (yield* post("/api/queue/task", { taskId: "alone", input: { n: 1 } })).body.runId as string
        const late = (yield* post("/api/queue/task", { taskId: "alone", input: { n: 2 } })).body.runId as string
        const sql = yield* SqlClient.SqlClient
        yield* sql`UPDATE task_runs SET created_at = ${new Date("2026-01-01T10:00:00Z")} WHERE id = ${early}`
        yield* sql`UPDATE task_runs SET created_at = ${new Date("2026-01-02T10:00:00Z")} WHERE id = ${late}`

        const all = yield* get("/api/queue/items")
        const pipelineTasks = all.body.items.filter((i: any) => i.pipelineRunId !== null)
        assert.isAbove(pipelineTasks.length, 0)

        const standalone = yield* get("/api/queue/items?standalone=true")
        assert.deepStrictEqual(idsOf(standalone), [early, late].sort())
        assert.strictEqual(standalone.body.total, 2)
        assert.strictEqual((yield* get("/api/queue/items?standalone=false")).body.total, all.body.total)

        const since = yield* get("/api/queue/items?standalone=true&since=2026-01-02T00:00:00Z")
        assert.deepStrictEqual(idsOf(since), [late])
        const until = yield* get("/api/queue/items?standalone=true&until=2026-01-02T00:00:00Z")
        assert.deepStrictEqual(idsOf(until), [early])
        const window = yield* get("/api/queue/items?since=2026-01-01T10:00:00Z&until=2026-01-01T10:00:01Z")
        assert.deepStrictEqual(idsOf(window), [early])

        const paged = yield* get("/api/queue/items?standalone=true&limit=1&offset=1")
        assert.deepStrictEqual([paged.body.total, paged.body.items.length, paged.body.items[0].runId], [2, 1, early])
      }))

    it.effect("bad filters are refused with a 400 naming the parameter, and change nothing", () =>
      Effect.gen(function*() {
        for (const [query, mention] of [
          ["standalone=yes", /standalone|true|false/],
          ["since=yesterday", /since|Date/],
          ["until=99999-01-01T00:00:00Z", /until|Date|year/],
          ["since=%00", /since|Date/]
        ] as const) {
          const before = yield* databaseSnapshot
          const answer = yield* get(`/api/queue/items?${query}`)
          assert.strictEqual(answer.status, 400, `${query}: ${JSON.stringify(answer)}`)
          assert.match(JSON.stringify(answer.body), mention)
          assert.deepStrictEqual(yield* databaseSnapshot, before)
        }
      }))
  })
}
