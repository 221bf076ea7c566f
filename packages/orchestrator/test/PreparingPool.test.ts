import { SqlClient } from "@effect/sql"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import * as Database from "../src/Database.js"
import { makeStatementNames } from "../src/sql/StatementNames.js"
import { freshPostgresUrl, layerPostgres, testDatabaseUrl } from "./support/TestDatabase.js"

describe("statement names", () => {
  it("a text is named from its second run on, always with the same name, and no two texts share one", () => {
    const nameOf = makeStatementNames()
    const a = "SELECT * FROM task_runs WHERE id = $1"
    const b = "SELECT * FROM task_runs WHERE status = $1"
    assert.strictEqual(nameOf(a), undefined)
    const first = nameOf(a)
    assert.isString(first)
    assert.strictEqual(nameOf(a), first)
    assert.strictEqual(nameOf(b), undefined)
    const second = nameOf(b)
    assert.isString(second)
    assert.notStrictEqual(second, first)
  })

  it("texts with a semicolon, very long texts and texts past the remembered limit are never named", () => {
    const nameOf = makeStatementNames()
    const twice = (text: string) => [nameOf(text), nameOf(text)]
    assert.deepStrictEqual(twice("SELECT 1; SELECT 2"), [undefined, undefined])
    assert.deepStrictEqual(twice(`SELECT '${"x".repeat(20_000)}'`), [undefined, undefined])
    for (let i = 0; i < 512; i++) nameOf(`SELECT ${i}`)
    assert.deepStrictEqual(twice("SELECT 'one too many'"), [undefined, undefined])
    assert.isString(nameOf("SELECT 7"))
  })
})

describe.skipIf(testDatabaseUrl === undefined)("the orchestrator's PostgreSQL connections", () => {
  it.scoped("prepare a statement run again, keep answering it, and leave one-off statements unnamed", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const prepared = yield* sql.withTransaction(Effect.gen(function*() {
        const answers: Array<unknown> = []
        for (const n of [1, 2, 3]) {
          const rows = yield* sql<{ doubled: number }>`SELECT ${n}::int * 2 AS doubled`
          answers.push(rows[0]?.doubled)
        }
        yield* sql`SELECT ${"once"}::text AS one_off`
        const statements = yield* sql<{ statement: string }>`SELECT statement FROM pg_prepared_statements`
        return { answers, statements: statements.map((s) => s.statement) }
      }))
      assert.deepStrictEqual(prepared.answers, [2, 4, 6])
      assert.deepStrictEqual(prepared.statements.filter((s) => s.includes("doubled")), ["SELECT $1::int * 2 AS doubled"])
      assert.isFalse(prepared.statements.some((s) => s.includes("one_off")))
    }).pipe(Effect.provide(layerPostgres(testDatabaseUrl!))))

  it.scoped("prepare nothing with DATABASE_PREPARED_STATEMENTS=false (behind PgBouncer in transaction mode)", () =>
    Effect.gen(function*() {
      const { url } = yield* freshPostgresUrl(testDatabaseUrl!)
      const sql = yield* Effect.provide(SqlClient.SqlClient, yield* Layer.build(Database.layerPostgres(Redacted.make(url), undefined, undefined, false)))
      const statements = yield* sql.withTransaction(Effect.gen(function*() {
        for (const n of [1, 2, 3]) yield* sql`SELECT ${n}::int * 2 AS doubled`
        return yield* sql<{ statement: string }>`SELECT statement FROM pg_prepared_statements`
      }))
      assert.deepStrictEqual(statements, [])
    }))
})
