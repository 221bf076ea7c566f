import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/** Runs use cases that span several stores in one database transaction. */
export class Transactions extends Effect.Service<Transactions>()("@pipeweave/orchestrator/Transactions", {
  effect: Effect.map(SqlClient.SqlClient, (sql) => ({
    run: <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
      sql.withTransaction(effect).pipe(Effect.catchTag("SqlError", Effect.die)) as Effect.Effect<A, E, R>
  }))
}) {}
