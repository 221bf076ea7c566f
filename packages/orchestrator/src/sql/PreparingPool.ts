import { SqlError } from "@effect/sql/SqlError"
import { Duration, Effect, type Scope } from "effect"
import Pg from "pg"
import { makeStatementNames } from "./StatementNames.js"

type Callback = (error: Error | null, result: unknown) => void

/**
 * Makes `client` run, under a name, every statement `nameOf` names. @effect/sql-pg runs every
 * statement as `client.query(text, params, callback)`; only that form is rewritten, to pg's
 * `{ name, text, values }`, which parses on the first use per connection and binds afterwards.
 */
const prepareRepeated = (client: Pg.PoolClient, nameOf: (text: string) => string | undefined) => {
  const query = client.query.bind(client) as (...args: ReadonlyArray<unknown>) => unknown
  const prepared = (text: unknown, values: unknown, callback: unknown) => {
    if (typeof text === "string" && Array.isArray(values) && typeof callback === "function") {
      const name = nameOf(text)
      if (name !== undefined) return query({ name, text, values }, callback as Callback)
    }
    return query(text, values, callback)
  }
  Object.assign(client, { query: prepared })
}

/** A `pg` pool, connected once to check the server answers; its connections prepare repeated statements unless `prepare` is false. */
export const acquirePreparingPool = (
  config: Pg.PoolConfig,
  connectTimeout: Duration.Duration,
  prepare = true
): Effect.Effect<Pg.Pool, SqlError, Scope.Scope> => {
  const make = Effect.sync(() => {
    const pool = new Pg.Pool(config)
    pool.on("error", () => {})
    if (prepare) {
      const nameOf = makeStatementNames()
      pool.on("connect", (client) => prepareRepeated(client, nameOf))
    }
    return pool
  })
  return Effect.acquireRelease(
    Effect.tap(make, (pool) =>
      Effect.tryPromise({
        try: () => pool.query("SELECT 1"),
        catch: (cause) => new SqlError({ cause, message: "PgClient: Failed to connect" })
      }).pipe(
        Effect.timeoutFail({
          duration: connectTimeout,
          onTimeout: () => new SqlError({ cause: new Error("Connection timed out"), message: "PgClient: Connection timed out" })
        }),
        Effect.tapError(() => Effect.promise(() => pool.end()))
      )),
    (pool) => Effect.promise(() => pool.end()).pipe(Effect.interruptible, Effect.timeoutOption(1000))
  )
}
