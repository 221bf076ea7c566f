import { randomBytes } from "node:crypto"
import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, Redacted } from "effect"
import * as Database from "../../src/Database.js"

/** `TEST_DATABASE_URL`, when the machine has a PostgreSQL server to test against. */
export const testDatabaseUrl = process.env["TEST_DATABASE_URL"]

const withDatabase = (url: string, database: string): string => {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
}

const admin = (url: string, statement: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe(statement)).pipe(
    Effect.provide(PgClient.layer({ url: Redacted.make(url), maxConnections: 1 })),
    Effect.orDie
  )

/** A fresh, migrated PostgreSQL database created on the `TEST_DATABASE_URL` server and dropped afterwards. */
export const freshPostgresUrl = (baseUrl: string) =>
  Effect.acquireRelease(
    Effect.gen(function*() {
      const name = `pw_test_${randomBytes(6).toString("hex")}`
      yield* admin(baseUrl, `CREATE DATABASE ${name}`)
      return { name, url: withDatabase(baseUrl, name) }
    }),
    ({ name }) => admin(baseUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  )

export const layerPostgres = (baseUrl: string) =>
  Layer.unwrapScoped(
    Effect.map(freshPostgresUrl(baseUrl), ({ url }) => Database.layerPostgres(Redacted.make(url), "pipeweave-test"))
  )

export const layerPglite = () => Database.layerPglite()

/** The databases every repository suite runs against: PGlite always, PostgreSQL when configured. */
export const databases: ReadonlyArray<readonly [string, () => ReturnType<typeof Database.layerPglite>]> = [
  ["pglite", layerPglite],
  ...(testDatabaseUrl ? [["postgres", () => layerPostgres(testDatabaseUrl)] as const] : [])
]
