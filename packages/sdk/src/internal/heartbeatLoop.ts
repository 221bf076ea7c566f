import type { HeartbeatResult } from "@pipeweave/domain/Callback"
import { Duration, Effect, Schedule } from "effect"
import type { OrchestratorError } from "./OrchestratorClient.js"

/**
 * Beats at once and then every `intervalMs` (`Schedule.spaced`) until interrupted. A failed beat
 * is reported through `onError` and never ends the loop; an answer with `cancelled: true` runs
 * `onCancelled`.
 */
export const heartbeatLoop = (options: {
  readonly beat: Effect.Effect<typeof HeartbeatResult.Type, OrchestratorError>
  readonly intervalMs: number
  readonly onCancelled: Effect.Effect<void>
  readonly onError: (error: OrchestratorError) => Effect.Effect<void>
}): Effect.Effect<number> =>
  options.beat.pipe(
    Effect.flatMap((answer) => answer.cancelled ? options.onCancelled : Effect.void),
    Effect.catchAll(options.onError),
    Effect.repeat(Schedule.spaced(Duration.millis(options.intervalMs)))
  )
