import type { HeartbeatResult } from "@pipeweave/domain/Callback"
import { Duration, Effect, Schedule } from "effect"
import type { OrchestratorError } from "./OrchestratorClient.js"

/** How long an attempt runs before its first heartbeat, at most: short tasks send none. */
export const firstBeatAfter: Duration.Duration = Duration.seconds(1)

/**
 * Beats first after `min(1 s, intervalMs)` and then every `intervalMs` (`Schedule.spaced`) until
 * interrupted, so an attempt that ends within that time sends no heartbeat and a long one shows
 * as running within a second. A failed beat is reported through `onError` and never ends the
 * loop; an answer with `cancelled: true` runs `onCancelled`.
 */
export const heartbeatLoop = (options: {
  readonly beat: Effect.Effect<typeof HeartbeatResult.Type, OrchestratorError>
  readonly intervalMs: number
  readonly onCancelled: Effect.Effect<void>
  readonly onError: (error: OrchestratorError) => Effect.Effect<void>
}): Effect.Effect<number> => {
  const interval = Duration.millis(options.intervalMs)
  return options.beat.pipe(
    Effect.flatMap((answer) => answer.cancelled ? options.onCancelled : Effect.void),
    Effect.catchAll(options.onError),
    Effect.repeat(Schedule.spaced(interval)),
    Effect.delay(Duration.min(firstBeatAfter, interval))
  )
}
