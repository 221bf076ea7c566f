import { Effect } from "effect"

/** What this orchestrator remembers of a run it dispatched, to apply its result without a lookup. */
export interface DispatchedRun {
  readonly pipelineRunId: string | null
  readonly hasIdempotencyKey: boolean
}

const CAPACITY = 100_000

/**
 * Runs this process dispatched and has not heard the end of, bounded (the oldest are forgotten
 * first). A miss is never wrong, only slower: the result is then applied on the general path.
 */
export class DispatchedRuns extends Effect.Service<DispatchedRuns>()("@pipeweave/orchestrator/DispatchedRuns", {
  sync: () => {
    const runs = new Map<string, DispatchedRun>()
    return {
      remember: (runId: string, run: DispatchedRun) =>
        Effect.sync(() => {
          if (runs.size >= CAPACITY) runs.delete(runs.keys().next().value!)
          runs.set(runId, run)
        }),
      take: (runId: string) =>
        Effect.sync(() => {
          const run = runs.get(runId)
          runs.delete(runId)
          return run
        })
    }
  }
}) {}
