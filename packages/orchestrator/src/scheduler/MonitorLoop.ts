import { Cause, Clock, Duration, Effect, Layer } from "effect"
import { OrchestratorConfig } from "../Config.js"
import { DeadlineSweep } from "../flow/DeadlineSweep.js"
import { Listening } from "../Listening.js"

const PURGE_EVERY_MS = 3_600_000
/** How often instances unreachable and silent for `INSTANCE_PRUNE_AFTER_SECONDS` are removed. */
export const PRUNE_EVERY_MS = 60_000

/**
 * How long, at least, attempts that were in flight when the orchestrator stopped keep running after
 * it listens again: their workers' heartbeats and callbacks failed while it was down and come back
 * on their retry schedules (callbacks back off up to 10 s between tries).
 */
export const START_GRACE_MS = 30_000

/**
 * The standalone monitor loop. Once the server listens, every attempt in flight gets a fresh
 * heartbeat deadline of max(2 × its heartbeat interval, `START_GRACE_MS`) (its worker could not
 * reach a stopped orchestrator); then a sweep at each deadline or every `POLL_INTERVAL_MS`, and
 * once an hour the retention purges (finished runs batch by batch), once a minute the pruning of
 * long-unreachable worker instances. Untraced, like the scheduling loop.
 */
export const MonitorLoop = Layer.scopedDiscard(Effect.gen(function*() {
  const config = yield* OrchestratorConfig
  const monitor = yield* DeadlineSweep
  const listening = yield* Listening
  let lastPurge = Number.NEGATIVE_INFINITY
  let lastPrune = Number.NEGATIVE_INFINITY
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
    if (at - lastPrune >= PRUNE_EVERY_MS) {
      lastPrune = at
      const pruned = yield* monitor.pruneInstances
      if (pruned > 0) yield* Effect.logInfo(`Removed ${pruned} worker instance(s) unreachable for ${config.instancePruneAfterSeconds} s`)
    }
    const next = yield* monitor.nextDeadline
    const wait = next === null ? config.pollIntervalMs : Math.max(0, Math.min(config.pollIntervalMs, next.getTime() - at))
    yield* Effect.sleep(Duration.millis(wait))
  }).pipe(Effect.catchAllCause((cause) =>
    Cause.isInterruptedOnly(cause)
      ? Effect.failCause(cause)
      : Effect.zipRight(Effect.logError("monitor sweep failed", cause), Effect.sleep(Duration.millis(config.pollIntervalMs)))
  ))
  const startGrace = Effect.gen(function*() {
    yield* listening.await
    const extended = yield* monitor.extendDeadlines(START_GRACE_MS)
    if (extended > 0) {
      yield* Effect.logInfo(
        `Start-up grace: ${extended} attempt(s) in flight keep running for at least ${START_GRACE_MS / 1000} s ` +
          "while their workers reconnect"
      ).pipe(Effect.annotateLogs({ event: "startup.grace", attempts: extended, graceMs: START_GRACE_MS }))
    }
  })
  yield* Effect.forkScoped(Effect.zipRight(startGrace, Effect.forever(tick)).pipe(Effect.withTracerEnabled(false)))
}))
