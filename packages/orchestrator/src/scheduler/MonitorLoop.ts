import { Cause, Clock, Duration, Effect, Layer } from "effect"
import { OrchestratorConfig } from "../Config.js"
import { DeadlineSweep } from "../flow/DeadlineSweep.js"

const PURGE_EVERY_MS = 3_600_000

/**
 * The standalone monitor loop: on start, every attempt in flight gets a fresh heartbeat deadline
 * (its worker could not reach a stopped orchestrator); then a sweep at each deadline or every
 * `POLL_INTERVAL_MS`, and once an hour the retention purges (finished runs batch by batch).
 */
export const MonitorLoop = Layer.scopedDiscard(Effect.gen(function*() {
  const config = yield* OrchestratorConfig
  const monitor = yield* DeadlineSweep
  yield* monitor.extendDeadlines
  let lastPurge = Number.NEGATIVE_INFINITY
  let purging = false
  const tick = Effect.gen(function*() {
    yield* monitor.sweep
    const at = yield* Clock.currentTimeMillis
    if (at - lastPurge >= PURGE_EVERY_MS) {
      lastPurge = at
      purging = true
      yield* monitor.purgeDeadLetters
    }
    if (purging) purging = (yield* monitor.purgeFinishedRuns) > 0
    const next = yield* monitor.nextDeadline
    const wait = next === null ? config.pollIntervalMs : Math.max(0, Math.min(config.pollIntervalMs, next.getTime() - at))
    yield* Effect.sleep(Duration.millis(wait))
  }).pipe(Effect.catchAllCause((cause) =>
    Cause.isInterruptedOnly(cause)
      ? Effect.failCause(cause)
      : Effect.zipRight(Effect.logError("monitor sweep failed", cause), Effect.sleep(Duration.millis(config.pollIntervalMs)))
  ))
  yield* Effect.forkScoped(Effect.forever(tick))
}))
