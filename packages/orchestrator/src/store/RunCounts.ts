import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import * as Spans from "@pipeweave/domain/Spans"

/**
 * Folds the per-statement deltas the `task_runs` triggers append into `task_run_counts`, keeping
 * the queue status a read of two small tables. Safe to run from several orchestrators at once: a
 * delta is deleted by exactly one of them.
 */
export class RunCounts extends Effect.Service<RunCounts>()("@pipeweave/orchestrator/RunCounts", {
  effect: Effect.map(SqlClient.SqlClient, (sql) => ({
    compact: sql`
      WITH moved AS (DELETE FROM task_run_count_deltas RETURNING status, delta)
      INSERT INTO task_run_counts (status, n)
      SELECT status, sum(delta) FROM moved GROUP BY status ORDER BY status
      ON CONFLICT (status) DO UPDATE SET n = task_run_counts.n + EXCLUDED.n`.pipe(
      Effect.asVoid,
      Effect.orDie,
      Spans.withSpan("RunCounts.compact")
    )
  }))
}) {}
