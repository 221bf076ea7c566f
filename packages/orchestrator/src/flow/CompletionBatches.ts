import { Clock, Effect, Either, Exit, Option } from "effect"
import { OneShot } from "@pipeweave/domain/OneShot"
import type { Conflict, NotFound } from "@pipeweave/domain/Errors"
import { OrchestratorConfig } from "../Config.js"
import type { AttemptSuccess } from "../store/NewRun.js"
import { type TransitionedRun, TaskRuns } from "../store/TaskRuns.js"
import { InlineClaims } from "./InlineClaims.js"
import { Wakeups } from "./Wakeups.js"

const MAX_BATCH = 200
/**
 * A batch that starts within this long of the previous one's end claims runs ahead: results are
 * coming back in a steady stream, so the next batch will free slots for them within a cycle.
 */
export const AHEAD_WINDOW_MS = 50

interface Completion {
  readonly runId: string
  readonly attempt: number
  readonly result: AttemptSuccess
}

type Outcome = Exit.Exit<TransitionedRun, NotFound | Conflict>

/** Completions queued together (one callback, or a group of them), settled together. */
interface Pending {
  readonly items: ReadonlyArray<Completion>
  readonly done: OneShot<ReadonlyArray<Outcome>>
}

/**
 * Group commit for completions: the completions that arrive while one batch is being written go
 * out together in the next statement, so a busy orchestrator writes one statement (and one commit)
 * for many callbacks, and an idle one writes each at once. The same statement claims the next due
 * runs into this process's free slots — those the completed runs' callbacks just freed
 * (`RunSlots.freeFor`) — when the scheduling loop lends its claim (`InlineClaims`): one round trip
 * and one commit per cycle of results and dispatches instead of two statements racing for the same
 * cores; a claim that filled every slot wakes a pass for what may still be due. It claims only
 * while no task type may have a concurrency limit: a pass claims limited types first, in their
 * own transaction, and this claim would take the slots before it. Only for runs whose
 * completion touches nothing else (standalone, no idempotency key); a batch the database refuses is
 * retried one by one, claiming nothing.
 *
 * While results stream in (a batch within `AHEAD_WINDOW_MS` of the last), the statement also claims
 * ahead up to twice as many runs as the batch completes (at most `2 × MAX_CONCURRENCY` waiting),
 * parked until slots come free: a freed slot goes straight to a waiting run (`RunSlots`), so a
 * cycle's dispatches leave when its callbacks arrive, not after a statement's round trip. Twice,
 * because the next callbacks usually arrive while this statement is still out: runs claimed ahead
 * by the one before must still be waiting then (see `SchedulingPass`).
 */
export class CompletionBatches extends Effect.Service<CompletionBatches>()("@pipeweave/orchestrator/CompletionBatches", {
  scoped: Effect.gen(function*() {
    const taskRuns = yield* TaskRuns
    const inline = yield* InlineClaims
    const wakeups = yield* Wakeups
    const { maxConcurrency } = yield* OrchestratorConfig
    /** Completions queued for the next statement, and the writer's wake-up while it waits for one. */
    const queue: Array<Pending> = []
    let queued: OneShot<void> | undefined
    let lastBatchEndedMs = Number.NEGATIVE_INFINITY

    /**
     * Completes `items` and, unless a task type may have a concurrency limit, claims due runs into
     * the free slots, dispatched once written; the runs completed.
     */
    const completeClaiming = Effect.fnUntraced(function*(items: ReadonlyArray<Completion>) {
      let completed: ReadonlyArray<TransitionedRun & { readonly attempt: number }> = []
      const wanted = taskRuns.mayHaveLimitedTypes() ? 0 : maxConcurrency
      const startedMs = yield* Clock.currentTimeMillis
      const ahead = wanted > 0 && startedMs - lastBatchEndedMs <= AHEAD_WINDOW_MS ? 2 * Math.min(items.length, maxConcurrency) : 0
      const held = yield* inline.claimWithin(wanted, (limit, orchestratorId) =>
        limit === 0
          ? Effect.as(Effect.tap(taskRuns.completeMany(items), (runs) => {
            completed = runs
          }), [])
          : Effect.map(taskRuns.completeManyClaiming(items, limit, orchestratorId), (written) => {
            completed = written.completed
            return written.claimed
          }), { claimsDue: true, ahead })
      if (Option.isSome(held)) {
        yield* held.value.committed
        if (held.value.full && held.value.claimed > 0) yield* wakeups.wake
      }
      lastBatchEndedMs = yield* Clock.currentTimeMillis
      return completed
    })

    /** Each completion's outcome: its run as written, or why it was not (looked up). */
    const outcomesOf = (items: ReadonlyArray<Completion>, byId: ReadonlyMap<string, TransitionedRun>) =>
      Effect.forEach(items, (item): Effect.Effect<Outcome> => {
        const run = byId.get(`${item.runId}#${item.attempt}`)
        return run === undefined ? Effect.exit(taskRuns.explainMiss(item.runId, item.attempt)) : Effect.succeed(Exit.succeed(run))
      })

    /** The queued completions, up to about `MAX_BATCH` of them (whole groups only). */
    const takeBatch = Effect.gen(function*() {
      if (queue.length === 0) {
        queued = new OneShot()
        yield* queued.await()
      }
      // The callbacks applied in fibers of their own reach this queue one after another: a yield
      // lets the rest of them join the first one's statement.
      yield* Effect.yieldNow()
      const groups = [queue.shift()!]
      let size = groups[0].items.length
      while (size < MAX_BATCH && queue.length > 0) {
        const next = queue.shift()!
        groups.push(next)
        size += next.items.length
      }
      return groups
    })

    const writeBatch = Effect.gen(function*() {
      const groups = yield* takeBatch
      const items = groups.flatMap((group) => group.items)
      const written = yield* Effect.either(completeClaiming(items))
      for (const group of groups) {
        if (Either.isLeft(written)) {
          const one = (item: Completion) => Effect.exit(taskRuns.complete(item.runId, item.attempt, item.result))
          group.done.done(Exit.succeed(yield* Effect.forEach(group.items, one)))
          continue
        }
        const byId = new Map(written.right.map((run) => [`${run.id}#${run.attempt}`, run]))
        group.done.done(Exit.succeed(yield* outcomesOf(group.items, byId)))
      }
    })

    yield* Effect.forkScoped(Effect.forever(writeBatch))

    /** Several completions queued at once (they go out in one statement); each one's outcome, in order. */
    const completeAll = (items: ReadonlyArray<Completion>) =>
      Effect.suspend(() => {
        const done = new OneShot<ReadonlyArray<Outcome>>()
        queue.push({ items, done })
        const waiting = queued
        queued = undefined
        waiting?.done(Exit.void)
        return done.await()
      })

    const complete = (runId: string, attempt: number, result: AttemptSuccess) =>
      Effect.flatMap(completeAll([{ runId, attempt, result }]), (outcomes) => outcomes[0]!)

    return { complete, completeAll } as const
  })
}) {}
