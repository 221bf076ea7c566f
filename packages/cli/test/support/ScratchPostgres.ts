import { randomBytes } from "node:crypto"
import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { Effect, Redacted } from "effect"

/** `TEST_DATABASE_URL`, when the machine has a PostgreSQL server to test against. */
export const testDatabaseUrl = process.env["TEST_DATABASE_URL"]

const admin = (url: string, statement: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe(statement)).pipe(
    Effect.provide(PgClient.layer({ url: Redacted.make(url), maxConnections: 1 })),
    Effect.orDie
  )

/** The URL of an empty database created on the server of `baseUrl`, dropped when the scope closes. */
export const scratchDatabase = (baseUrl: string) =>
  Effect.acquireRelease(
    Effect.gen(function*() {
      const name = `pw_cli_${randomBytes(6).toString("hex")}`
      yield* admin(baseUrl, `CREATE DATABASE ${name}`)
      const url = new URL(baseUrl)
      url.pathname = `/${name}`
      return { name, url: url.toString() }
    }),
    ({ name }) => admin(baseUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  )
