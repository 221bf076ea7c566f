import type { PipelineStructure } from "@pipeweave/domain/pipeline/PipelineStructure"
import type { FailureMode, RoutingState, Transition } from "@pipeweave/domain/pipeline/Routing"
import { Effect } from "effect"
import { BoundedMap } from "./BoundedMap.js"
import type { TokenSubject } from "./RunTokens.js"

/** A pipeline run as this orchestrator last saw it: enough to plan its next completion. */
export interface SeenRouting {
  readonly structure: PipelineStructure
  readonly failureMode: FailureMode
  readonly routing: RoutingState
  /**
   * The first attempt of each task the run's trigger inserted `waiting`, by task id, when this
   * orchestrator triggered it: their tokens can be minted while the completion that starts them is
   * written (`RunTokens.mintForStart`).
   */
  readonly waiting?: ReadonlyMap<string, TokenSubject>
}

const CAPACITY = 1000

/**
 * The routing state of the pipeline runs this orchestrator triggered or moved last, so a task's
 * completion can be planned and written in one statement without locking the run first
 * (`TaskRuns.completePlanned`). A state is only ever a guess: the statement checks it against
 * the database and changes nothing when it differs (another orchestrator, a cancellation or a
 * concurrent completion moved the run), and the result is then applied under the lock. The
 * oldest are forgotten first; a run that ended is forgotten.
 */
export class RoutingStates extends Effect.Service<RoutingStates>()("@pipeweave/orchestrator/RoutingStates", {
  sync: () => {
    const states = new BoundedMap<string, SeenRouting>(CAPACITY)
    return {
      get: (pipelineRunId: string): SeenRouting | undefined => states.get(pipelineRunId),
      /** Pipeline run `pipelineRunId` is now at `routing`. */
      saw: (pipelineRunId: string, seen: SeenRouting) => Effect.sync(() => states.set(pipelineRunId, seen)),
      /** Pipeline run `pipelineRunId` made `transition` from `before`: kept at its new state, or forgotten once it ended. */
      moved: (pipelineRunId: string, before: Omit<SeenRouting, "routing">, transition: Transition) =>
        Effect.sync(() => {
          if (transition.outcome === null) {
            const waiting = states.get(pipelineRunId)?.waiting
            states.set(pipelineRunId, {
              structure: before.structure,
              failureMode: before.failureMode,
              routing: transition.state,
              ...(waiting === undefined ? {} : { waiting })
            })
          } else states.take(pipelineRunId)
        }),
      forget: (pipelineRunId: string) => Effect.sync(() => states.take(pipelineRunId))
    }
  }
}) {}
