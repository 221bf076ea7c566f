import { Clock, Effect, Fiber, FiberSet } from "effect"
import type { ClaimedRun } from "../store/ClaimedRun.js"
import { TaskRuns } from "../store/TaskRuns.js"
import type { ClaimTiming } from "./Dispatcher.js"
import { type ParkedRun, RunSlots } from "./RunSlots.js"
import { Wakeups } from "./Wakeups.js"

/**
 * The longest a run claimed ahead waits for a slot before it goes back to pending (for another
 * orchestrator, or a later claim). Its heartbeat deadline and its timeout started at the claim, so
 * it waits no more than half its heartbeat interval nor a tenth of its timeout (`holdMs`).
 */
export const PARKED_MAX_MS = 500

/** How long `run` may wait parked (see `PARKED_MAX_MS`). */
export const holdMs = (run: Pick<ClaimedRun, "heartbeatIntervalMs" | "timeoutSeconds">): number =>
  Math.min(PARKED_MAX_MS, run.heartbeatIntervalMs / 2, run.timeoutSeconds * 100)

/**
 * Runs claimed ahead of a free slot (a completion's statement, see `ClaimingWriteOptions`) while
 * they wait in `RunSlots`: each goes back to pending, its attempt unspent, once its hold is up
 * (`holdMs`), and every one still waiting at shutdown. A watcher fiber sleeps until the earliest
 * hold ends, for as long as any run waits.
 */
export class ParkedRuns extends Effect.Service<ParkedRuns>()("@pipeweave/orchestrator/ParkedRuns", {
  scoped: Effect.gen(function*() {
    const taskRuns = yield* TaskRuns
    const slots = yield* RunSlots
    const wakeups = yield* Wakeups
    const watchers = yield* FiberSet.make()

    /** Puts runs claimed ahead back to pending (those still `dispatching` in their attempt) and wakes the loop. */
    const unclaim = (parked: ReadonlyArray<ParkedRun>) =>
      parked.length === 0 ? Effect.void : Effect.forEach(parked, ({ run }) => taskRuns.requeue(run.id, run.attempt, 0), {
        discard: true
      }).pipe(
        Effect.catchAllCause((cause) => Effect.logWarning("runs claimed ahead not put back; the deadline sweep will", cause)),
        Effect.zipRight(wakeups.wake)
      )

    /** The watcher of parked runs, and when it wakes next (`Infinity`: none runs). */
    interface Watcher {
      fiber?: Fiber.RuntimeFiber<void>
    }
    let watcher: Watcher | undefined
    let watchUntilMs = Number.POSITIVE_INFINITY

    /**
     * Puts each parked run back when its time is up, for as long as any waits (it gives up its
     * place in the same step that finds none waiting, so a run parked after it is watched).
     */
    const watchParked = (self: Watcher): Effect.Effect<void> =>
      Effect.gen(function*() {
        for (;;) {
          const nextReleaseMs = slots.nextParkedRelease()
          if (nextReleaseMs === undefined) {
            if (watcher === self) {
              watcher = undefined
              watchUntilMs = Number.POSITIVE_INFINITY
            }
            return
          }
          const now = yield* Clock.currentTimeMillis
          if (nextReleaseMs > now) {
            if (watcher === self) watchUntilMs = nextReleaseMs
            yield* Effect.sleep(nextReleaseMs - now)
          } else {
            yield* Effect.uninterruptible(Effect.flatMap(slots.unparkExpired(now), unclaim))
          }
        }
      })

    /**
     * Keeps runs claimed ahead of a free slot until one comes free (or their time is up); a run due
     * back before the watcher wakes starts a new watcher in its place.
     */
    const park = Effect.fnUntraced(function*(runs: ReadonlyArray<ClaimedRun>, claim: ClaimTiming) {
      if (runs.length === 0) return
      const now = yield* Clock.currentTimeMillis
      const parked = runs.map((run) => ({ run, claim, releaseAtMs: now + holdMs(run) }))
      yield* slots.park(parked)
      const earliest = Math.min(...parked.map((p) => p.releaseAtMs))
      if (watcher !== undefined && earliest >= watchUntilMs) return
      if (watcher?.fiber !== undefined) yield* Fiber.interruptFork(watcher.fiber)
      const self: Watcher = {}
      watcher = self
      watchUntilMs = earliest
      self.fiber = yield* FiberSet.run(watchers, watchParked(self))
    })

    yield* Effect.addFinalizer(() => Effect.flatMap(slots.unpark(Number.MAX_SAFE_INTEGER), unclaim))

    return { park } as const
  })
}) {}
