import { PgClient } from "@effect/sql-pg"
import { Cause, Effect, FiberSet, Queue, Schedule, STM, Stream, TSemaphore } from "effect"
import { OrchestratorConfig } from "../Config.js"
import { OrchestratorIdentity } from "../OrchestratorIdentity.js"
import { PipelineReads } from "../pipeline/PipelineReads.js"
import { TaskQueue } from "../queue/TaskQueue.js"
import { Dispatcher } from "./Dispatcher.js"

/** The channel task-run inserts and status changes notify (see migrations/0001_init.sql). */
export const TASK_RUNS_CHANNEL = "pipeweave_task_runs"

const CLAIM_BATCH = 50

/** What one scheduling pass did. */
export interface PassResult {
  readonly claimed: number
  readonly dispatched: ReadonlyArray<string>
}

/**
 * Claims due runs and dispatches them, never holding more than `MAX_CONCURRENCY` dispatches in
 * this process (a transactional semaphore whose free permits size each claim). In standalone
 * mode a loop runs a pass on every LISTEN/NOTIFY wake-up, every freed slot, and at the latest
 * every `POLL_INTERVAL_MS`; in serverless mode only `pass` runs, from `POST /api/process`.
 */
export class Scheduler extends Effect.Service<Scheduler>()("@pipeweave/orchestrator/Scheduler", {
  scoped: Effect.gen(function*() {
    const config = yield* OrchestratorConfig
    const queue = yield* TaskQueue
    const dispatcher = yield* Dispatcher
    const pipelines = yield* PipelineReads
    const { id: orchestratorId } = yield* OrchestratorIdentity
    const slots = yield* TSemaphore.make(config.maxConcurrency)
    const dispatches = yield* FiberSet.make()
    const wakeUps = yield* Queue.sliding<void>(1)
    const wake = Queue.offer(wakeUps, undefined).pipe(Effect.asVoid)

    const reserve = (wanted: number) =>
      STM.commit(STM.gen(function*() {
        const free = Math.min(wanted, yield* TSemaphore.available(slots))
        if (free > 0) yield* TSemaphore.acquireN(slots, free)
        return free
      }))
    const release = (n: number) => n > 0 ? STM.commit(TSemaphore.releaseN(slots, n)) : Effect.void

    const pass: Effect.Effect<PassResult> = Effect.gen(function*() {
      const dispatched: Array<string> = []
      for (;;) {
        const reserved = yield* reserve(CLAIM_BATCH)
        if (reserved === 0) break
        const claimed = yield* queue.claim(reserved, orchestratorId).pipe(Effect.onError(() => release(reserved)))
        yield* release(reserved - claimed.length)
        const contexts = yield* pipelines.dispatchContexts(claimed.map((c) => c.run))
        for (const run of claimed) {
          dispatched.push(run.run.id)
          yield* FiberSet.run(dispatches, dispatcher.dispatch(run, contexts.get(run.run.id)).pipe(Effect.ensuring(Effect.zipRight(release(1), wake))))
        }
        if (claimed.length < reserved) break
      }
      return { claimed: dispatched.length, dispatched }
    }).pipe(Effect.withSpan("Scheduler.pass"))

    if (config.mode === "standalone") {
      const pg = yield* PgClient.PgClient
      yield* pg.listen(TASK_RUNS_CHANNEL).pipe(
        Stream.runForEach(() => wake),
        Effect.tapErrorCause((cause) => Effect.logWarning("LISTEN connection lost; polling until it is back", cause)),
        Effect.retry(Schedule.spaced("1 second")),
        Effect.forkScoped
      )
      yield* pass.pipe(
        Effect.catchAllCause((cause) =>
          Cause.isInterruptedOnly(cause) ? Effect.failCause(cause) : Effect.logError("scheduling pass failed", cause)
        ),
        Effect.zipRight(Effect.raceFirst(Queue.take(wakeUps), Effect.sleep(config.pollIntervalMs))),
        Effect.forever,
        Effect.forkScoped
      )
    }
    return { pass, wake } as const
  })
}) {}
