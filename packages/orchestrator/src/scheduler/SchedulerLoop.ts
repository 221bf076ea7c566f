import { PgClient } from "@effect/sql-pg"
import { Cause, Effect, Layer, Schedule, Stream } from "effect"
import { OrchestratorConfig } from "../Config.js"
import { InlineClaims } from "../flow/InlineClaims.js"
import { SchedulingPass } from "../flow/SchedulingPass.js"
import { Wakeups } from "../flow/Wakeups.js"
import { Listening } from "../Listening.js"

/** The channel task-run inserts and status changes notify (see packages/orchestrator/migrations/0004_hot_path.sql). */
export const TASK_RUNS_CHANNEL = "pipeweave_task_runs"

/**
 * The session name this orchestrator's changes notify with, when the server confirms the one the
 * database layer chose (PostgreSQL); undefined otherwise (PGlite, or a name forced through the
 * URL's `options`), and then no notification is dropped.
 */
const effectiveSessionName = (pg: PgClient.PgClient) =>
  Effect.gen(function*() {
    const chosen = pg.config.applicationName
    if (chosen === undefined) return undefined
    const rows = yield* pg<{ name: string }>`SELECT current_setting('application_name') AS name`.pipe(
      Effect.orElseSucceed(() => [])
    )
    return rows[0]?.name === chosen ? chosen : undefined
  })

/**
 * The standalone scheduling loop: a pass on every in-process wake-up (a run queued, a result
 * routed, a slot freed), every LISTEN/NOTIFY from another session's changes (a notification names
 * its session: this process's own changes have woken the loop already), and on a tick every
 * `POLL_INTERVAL_MS` (a fiber of its own that sleeps and wakes the loop, rather than a race of
 * two fibers after every pass); it also lends its claim to results that make pipeline tasks pending
 * (`InlineClaims`). The first pass waits for the server to listen: a dispatched worker calls back,
 * and before that its callbacks would be refused and retried. Passes are not traced (an idle
 * orchestrator exports nothing); each dispatch is, in its run's trace.
 */
export const SchedulerLoop = Layer.scopedDiscard(Effect.gen(function*() {
  const config = yield* OrchestratorConfig
  const { claimWithin, pass } = yield* SchedulingPass
  const wakeups = yield* Wakeups
  const listening = yield* Listening
  yield* Effect.flatMap(InlineClaims, (inline) => inline.lend(claimWithin))
  const pg = yield* PgClient.PgClient
  const ownSession = yield* effectiveSessionName(pg)
  yield* pg.listen(TASK_RUNS_CHANNEL).pipe(
    Stream.filter((session) => ownSession === undefined || session !== ownSession),
    Stream.runForEach(() => wakeups.wake),
    Effect.tapErrorCause((cause) => Effect.logWarning("LISTEN connection lost; polling until it is back", cause)),
    Effect.retry(Schedule.spaced("1 second")),
    Effect.forkScoped
  )
  yield* Effect.forkScoped(Effect.forever(Effect.zipRight(Effect.sleep(config.pollIntervalMs), wakeups.wake)))
  yield* pass.pipe(
    Effect.withTracerEnabled(false),
    Effect.catchAllCause((cause) =>
      Cause.isInterruptedOnly(cause) ? Effect.failCause(cause) : Effect.logError("scheduling pass failed", cause)
    ),
    Effect.zipRight(wakeups.next),
    Effect.forever,
    (passes) => Effect.zipRight(listening.await, passes),
    Effect.forkScoped
  )
}))
