/**
 * Times the orchestrator's own claim (its compiled module, not a copy of its SQL) inside a
 * transaction that is then rolled back, so every call sees the same backlog.
 *
 * The import of `RunStore` below is the only line that names the orchestrator's module: if the
 * claim moves again (any service with `claim(limit, orchestratorId)` and a `Default` layer that
 * needs only `SqlClient`), change that line only.
 */
import { SqlClient } from "@effect/sql"
import { layerPostgres } from "@pipeweave/orchestrator/Database"
import { TaskRuns as RunStore } from "@pipeweave/orchestrator/store/TaskRuns"
import { Data, Effect, Layer, ManagedRuntime, Redacted } from "effect"

class RolledBack extends Data.TaggedError("RolledBack")<{ readonly claimed: number; readonly ms: number }> {}

export interface ClaimProbe {
  /** One claim of up to `limit` runs: its duration and how many runs it claimed (then rolled back). */
  readonly claim: (limit: number) => Promise<{ readonly ms: number; readonly claimed: number }>
  readonly close: () => Promise<void>
}

export const makeClaimProbe = (databaseUrl: string): ClaimProbe => {
  const runtime = ManagedRuntime.make(
    RunStore.Default.pipe(Layer.provideMerge(layerPostgres(Redacted.make(databaseUrl), "pipeweave-bench-claim-probe")))
  )
  const claim = (limit: number) =>
    runtime.runPromise(Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const store = yield* RunStore
      return yield* sql.withTransaction(Effect.gen(function*() {
        const started = performance.now()
        const claimed = yield* store.claim(limit, "orch_bench_probe")
        return yield* new RolledBack({ claimed: claimed.length, ms: performance.now() - started })
      })).pipe(Effect.catchTag("RolledBack", ({ claimed, ms }) => Effect.succeed({ ms, claimed })))
    }))
  return { claim, close: () => runtime.dispose() }
}
