import { Chunk, Deferred, Effect, Either, type Exit, Option, Queue } from "effect"
import type { Conflict, NotFound } from "@pipeweave/domain/Errors"
import { OrchestratorConfig } from "../Config.js"
import type { AttemptSuccess } from "../store/NewRun.js"
import { type TransitionedRun, TaskRuns } from "../store/TaskRuns.js"
import { InlineClaims } from "./InlineClaims.js"
import { Wakeups } from "./Wakeups.js"

const MAX_BATCH = 200

interface Pending {
  readonly runId: string
  readonly attempt: number
  readonly result: AttemptSuccess
  readonly done: Deferred.Deferred<TransitionedRun, NotFound | Conflict>
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
 */
export class CompletionBatches extends Effect.Service<CompletionBatches>()("@pipeweave/orchestrator/CompletionBatches", {
  scoped: Effect.gen(function*() {
    const taskRuns = yield* TaskRuns
    const inline = yield* InlineClaims
    const wakeups = yield* Wakeups
    const { maxConcurrency } = yield* OrchestratorConfig
    const queue = yield* Queue.unbounded<Pending>()

    /**
     * Completes `items` and, unless a task type may have a concurrency limit, claims due runs into
     * the free slots, dispatched once written; the runs completed.
     */
    const completeClaiming = (items: ReadonlyArray<Pending>) =>
      Effect.gen(function*() {
        let completed: ReadonlyArray<TransitionedRun & { readonly attempt: number }> = []
        const wanted = taskRuns.mayHaveLimitedTypes() ? 0 : maxConcurrency
        const held = yield* inline.claimWithin(wanted, (limit, orchestratorId) =>
          limit === 0
            ? Effect.as(Effect.tap(taskRuns.completeMany(items), (runs) => {
              completed = runs
            }), [])
            : Effect.map(taskRuns.completeManyClaiming(items, limit, orchestratorId), (written) => {
              completed = written.completed
              return written.claimed
            }), true)
        if (Option.isSome(held)) {
          yield* held.value.committed
          if (held.value.full && held.value.claimed > 0) yield* wakeups.wake
        }
        return completed
      })

    const settle = (item: Pending, run: TransitionedRun | undefined) =>
      run === undefined
        ? Deferred.complete(item.done, taskRuns.explainMiss(item.runId, item.attempt))
        : Deferred.succeed(item.done, run)

    const writeBatch = Effect.gen(function*() {
      const first = yield* Queue.take(queue)
      // The callbacks of one group are applied in fibers of their own that reach this queue one
      // after another: a yield lets the rest of them join the first one's statement.
      yield* Effect.yieldNow()
      const items = [first, ...Chunk.toReadonlyArray(yield* Queue.takeUpTo(queue, MAX_BATCH - 1))]
      const written = yield* Effect.either(completeClaiming(items))
      if (Either.isLeft(written)) {
        yield* Effect.forEach(items, (item) =>
          Deferred.complete(item.done, taskRuns.complete(item.runId, item.attempt, item.result)), { discard: true })
        return
      }
      const byId = new Map(written.right.map((run) => [`${run.id}#${run.attempt}`, run]))
      yield* Effect.forEach(items, (item) => settle(item, byId.get(`${item.runId}#${item.attempt}`)), { discard: true })
    })

    yield* Effect.forkScoped(Effect.forever(writeBatch))

    const complete = (runId: string, attempt: number, result: AttemptSuccess) =>
      Effect.flatMap(Deferred.make<TransitionedRun, NotFound | Conflict>(), (done) =>
        Effect.zipRight(Queue.offer(queue, { runId, attempt, result, done }), Deferred.await(done)))

    /** Several completions queued at once (they go out in one statement); each one's outcome, in order. */
    const completeAll = (items: ReadonlyArray<Omit<Pending, "done">>) =>
      Effect.gen(function*() {
        const pending: Array<Pending> = []
        for (const item of items) pending.push({ ...item, done: yield* Deferred.make<TransitionedRun, NotFound | Conflict>() })
        yield* Queue.offerAll(queue, pending)
        const outcomes: Array<Exit.Exit<TransitionedRun, NotFound | Conflict>> = []
        for (const item of pending) outcomes.push(yield* Effect.exit(Deferred.await(item.done)))
        return outcomes
      })

    return { complete, completeAll } as const
  })
}) {}
