import { Effect } from "effect"
import { BoundedMap } from "./BoundedMap.js"

/** What this orchestrator remembers of a run it dispatched, to apply its result without a lookup. */
export interface DispatchedRun {
  readonly taskId: string
  readonly dispatchedAtMs: number
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
    const runs = new BoundedMap<string, DispatchedRun>(CAPACITY)
    return {
      /** What is remembered of `runId`, kept. */
      peek: (runId: string): DispatchedRun | undefined => runs.get(runId),
      take: (runId: string) => Effect.sync(() => runs.take(runId)),
      /** Remembers `runId` as dispatched (a plain call: a group's runs are handled in one step). */
      unsafeRemember: (runId: string, run: DispatchedRun): void => {
        runs.set(runId, run)
      },
      /** `take` as a plain call. */
      unsafeTake: (runId: string): DispatchedRun | undefined => runs.take(runId)
    }
  }
}) {}
