import { SqlClient } from "@effect/sql"
import { Effect, Redacted } from "effect"
import pg from "pg"
import { layerPostgres } from "./src/Database.js"
const url = "postgres://postgres@127.0.0.1:5432/postgres"
const N = 3000
const prog = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  for (const [name, q] of [
    ["select 1", () => sql`SELECT 1 AS one`],
    ["select param", () => sql`SELECT ${"x"}::text AS v, ${1}::int AS n`],
    ["tx(select)", () => sql.withTransaction(sql`SELECT 1 AS one`)],
    ["tx(3 selects)", () => sql.withTransaction(Effect.all([sql`SELECT 1 AS one`, sql`SELECT 2 AS two`, sql`SELECT 3 AS three`]))]
  ] as const) {
    for (let i = 0; i < 300; i++) yield* q()
    const c0 = process.cpuUsage(); const t = performance.now()
    for (let i = 0; i < N; i++) yield* q()
    const c = process.cpuUsage(c0)
    console.log(`effect-sql ${name.padEnd(14)} wall ${((performance.now() - t) / N).toFixed(3)} ms  cpu ${((c.user + c.system) / 1000 / N).toFixed(3)} ms`)
  }
})
await Effect.runPromise(prog.pipe(Effect.provide(layerPostgres(Redacted.make(url), "sqlbench", "sqlbench_schema")), Effect.scoped))
const client = new pg.Client({ connectionString: url }); await client.connect()
for (const [name, text] of [["select 1", "SELECT 1 AS one"]]) {
  for (let i = 0; i < 300; i++) await client.query({ text, name: "p1" })
  const c0 = process.cpuUsage(); const t = performance.now()
  for (let i = 0; i < N; i++) await client.query({ text, name: "p1" })
  const c = process.cpuUsage(c0)
  console.log(`raw pg     ${name.padEnd(14)} wall ${((performance.now() - t) / N).toFixed(3)} ms  cpu ${((c.user + c.system) / 1000 / N).toFixed(3)} ms`)
}
await client.end()
