import { SqlClient, SqlSchema } from "@effect/sql"
import { Effect, Option, Schema } from "effect"
import { DbInt } from "./Rows.js"

/**
 * The statistics of the tables every run writes. PostgreSQL's autovacuum refreshes them; the
 * embedded database runs no autovacuum, so its orchestrator refreshes them itself
 * (`EmbeddedStatistics`).
 */
export class TableStatistics extends Effect.Service<TableStatistics>()("@pipeweave/orchestrator/TableStatistics", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const findSize = SqlSchema.findOne({
      Request: Schema.Void,
      Result: Schema.Struct({ bytes: DbInt }),
      execute: () =>
        sql`SELECT (pg_table_size('task_runs') + pg_table_size('task_run_attempts') + pg_table_size('pipeline_runs'))::bigint
              AS bytes`
    })
    return {
      /** The run tables' size on disk, in bytes. */
      size: Effect.map(Effect.orDie(findSize()), Option.match({ onNone: () => 0, onSome: (row) => row.bytes })),
      /** Refreshes the run tables' statistics: the next plans, cached ones included, see their size. */
      analyze: Effect.asVoid(Effect.orDie(sql`ANALYZE task_runs, task_run_attempts, pipeline_runs`))
    } as const
  })
}) {}
