import { redactUrlsIn } from "@pipeweave/domain/RedactedUrl"
import type { Conflict, NotFound, ValidationError } from "@pipeweave/domain/Errors"
import { invalidSelection } from "@pipeweave/domain/pipeline/Routing"
import { ErrorCodes } from "@pipeweave/domain/TaskErrors"
import type { TaskRunStatus } from "@pipeweave/domain/TaskRun"
import { Clock, Effect, Exit, Option } from "effect"
import { OrchestratorConfig } from "../Config.js"
import { type AttemptOutcome, OrchestratorMetrics } from "../metrics/OrchestratorMetrics.js"
import { newDlqId } from "../Ids.js"
import { DeadLetterStore } from "../store/DeadLetterStore.js"
import { IdempotencyKeys } from "../store/IdempotencyKeys.js"
import type { AttemptFailure, AttemptSuccess } from "../store/NewRun.js"
import { type LockedRun, PipelineRuns } from "../store/PipelineRuns.js"
import { TaskRuns, type TransitionedRun } from "../store/TaskRuns.js"
import { Transactions } from "../store/Transactions.js"
import { CompletionBatches } from "./CompletionBatches.js"
import { type DispatchedRun, DispatchedRuns } from "./DispatchedRuns.js"
import { InlineClaims } from "./InlineClaims.js"
import { PipelineRouting } from "./PipelineRouting.js"
import { RoutingStates } from "./RoutingStates.js"
import { RunTokens } from "./RunTokens.js"
import { Wakeups } from "./Wakeups.js"
import { boundedErrorCode, boundedErrorText } from "./WorkerErrorText.js"
import * as Spans from "@pipeweave/domain/Spans"

/** Where an attempt's result left its run. */
export interface ResultApplied {
  readonly runId: string
  readonly status: TaskRunStatus
  readonly taskId: string
  readonly outcome: AttemptOutcome
  readonly errorCode: string | null
}

/** A completion applied under its lock: also how many tasks its pipeline's routing made pending. */
export interface LockedCompletion extends ResultApplied {
  readonly madePending: number
}

/** The pipeline run a result is applied under, locked, and the task the run is of. */
export type PipelineLock = Option.Option<{ readonly run: LockedRun; readonly taskId: string }>

/**
 * Refuses a reported result whose paths are not in the run's scope (given its pipeline run), before
 * anything changes: the error that refuses it, or `undefined`.
 */
export type ScopeCheck<E = ValidationError> = (pipelineRunId: string | null) => E | undefined

const noCheck: ScopeCheck<never> = () => undefined

/** `check` as an effect that fails with its refusal. */
const checked = <E>(check: ScopeCheck<E>, pipelineRunId: string | null): Effect.Effect<void, E> =>
  Effect.suspend(() => {
    const refused = check(pipelineRunId)
    return refused === undefined ? Effect.void : Effect.fail(refused)
  })

const pipelineRunIdOf = (pipeline: PipelineLock): string | null =>
  Option.match(pipeline, { onNone: () => null, onSome: ({ run }) => run.id })

/**
 * The one way an attempt ends, whoever reports it (callback, monitor, dispatcher, idempotency
 * cache): the guarded transition of the task run, its idempotency key, its dead letter, and — for a
 * pipeline task — the routing of the result, in one transaction under the pipeline run's lock
 * (taken first, so locks are always acquired in the same order); the tasks a completion makes
 * pending are claimed in that transaction too, when the scheduling loop lends its claim
 * (`InlineClaims`), and dispatched once it commits. A standalone run this process
 * dispatched, with no idempotency key, completes in a single statement, grouped with the
 * completions arriving meanwhile (`CompletionBatches`).
 */
export class RunResults extends Effect.Service<RunResults>()("@pipeweave/orchestrator/RunResults", {
  effect: Effect.gen(function*() {
    const taskRuns = yield* TaskRuns
    const pipelineRuns = yield* PipelineRuns
    const keys = yield* IdempotencyKeys
    const deadLetters = yield* DeadLetterStore
    const routing = yield* PipelineRouting
    const tx = yield* Transactions
    const config = yield* OrchestratorConfig
    const dispatched = yield* DispatchedRuns
    const wakeups = yield* Wakeups
    const batches = yield* CompletionBatches
    const inline = yield* InlineClaims
    const metrics = yield* OrchestratorMetrics
    const states = yield* RoutingStates
    const tokens = yield* RunTokens

    const record = (applied: ResultApplied, dispatch: DispatchedRun | undefined) =>
      dispatch === undefined
        ? metrics.attemptApplied(applied.taskId, applied.outcome, applied.errorCode, undefined)
        : Effect.flatMap(Clock.currentTimeMillis, (nowMs) =>
          metrics.attemptApplied(applied.taskId, applied.outcome, applied.errorCode, nowMs - dispatch.dispatchedAtMs))

    /**
     * After a completion: a pass, when a run waiting for its type's concurrency slot may now be
     * claimed. (A run waiting for one of this process's slots is woken for as the slot comes free.)
     */
    const wakeIfTypesLimited = Effect.suspend(() => taskRuns.mayHaveLimitedTypes() ? wakeups.wake : Effect.void)

    /** Runs `body` in a transaction under the lock of `runId`'s pipeline run, if it has one. */
    const underLock = <A, E, R>(runId: string, body: (pipeline: PipelineLock) => Effect.Effect<A, E, R>) =>
      tx.run(Effect.flatMap(pipelineRuns.lockOf(runId), body))

    const failLocked = Spans.fn("RunResults.failLocked")(function*(
      runId: string,
      attempt: number,
      failure: AttemptFailure,
      pipeline: PipelineLock,
      onlyIn?: ReadonlyArray<TaskRunStatus>
    ) {
      failure = Object.assign({}, failure, {
        error: boundedErrorText(failure.error),
        errorCode: failure.errorCode === null ? null : boundedErrorCode(failure.errorCode)
      })
      const failed = yield* taskRuns.fail(runId, attempt, failure, config.maxRetryDelayMs, onlyIn)
      yield* keys.releaseFor(runId)
      const annotations = {
        runId,
        taskId: failed.run.taskId,
        attempt,
        errorCode: failure.errorCode ?? "none",
        ...(failed.run.pipelineRunId === null ? {} : { pipelineRunId: failed.run.pipelineRunId })
      }
      yield* Effect.logWarning(`attempt ${attempt} of ${failed.run.taskId} failed: ${redactUrlsIn(failure.error)}`).pipe(
        Effect.annotateLogs({ event: "attempt.failed", ...annotations })
      )
      if (failed.outcome === "retry-scheduled") {
        yield* Effect.logInfo(`retry of ${failed.run.taskId} scheduled in ${failed.retryDelayMs} ms`).pipe(
          Effect.annotateLogs({ event: "retry.scheduled", ...annotations, delayMs: failed.retryDelayMs })
        )
      }
      if (failed.outcome === "dead-lettered") {
        const dlqId = newDlqId()
        yield* Effect.logWarning(`${failed.run.taskId} dead-lettered after ${attempt} attempt(s)`).pipe(
          Effect.annotateLogs({ event: "run.dead-lettered", ...annotations, dlqId })
        )
        yield* deadLetters.insert({
          id: dlqId,
          taskRunId: runId,
          taskId: failed.run.taskId,
          pipelineRunId: failed.run.pipelineRunId,
          codeVersion: failed.codeVersion,
          codeHash: failed.codeHash,
          error: failure.error,
          errorCode: failure.errorCode,
          attempts: attempt
        })
        if (Option.isSome(pipeline)) yield* routing.routeFailure(pipeline.value.run, failed.run.taskId)
      }
      return {
        runId,
        status: failed.run.status,
        taskId: failed.run.taskId,
        outcome: failed.outcome,
        errorCode: failure.errorCode
      } satisfies ResultApplied
    })

    const completeLocked = Spans.fn("RunResults.completeLocked")(function*(
      runId: string,
      attempt: number,
      result: AttemptSuccess,
      pipeline: PipelineLock,
      mayHoldKey = true
    ) {
      if (Option.isSome(pipeline) && result.selectedNext !== null) {
        const { run, taskId } = pipeline.value
        const invalid = invalidSelection(run.structure, taskId, result.selectedNext)
        if (invalid.length > 0) {
          const allowed = run.structure.tasks[taskId]?.allowedNext ?? []
          const failed = yield* failLocked(runId, attempt, {
            error: `runNext names ${invalid.map((t) => `'${t}'`).join(", ")}, outside allowedNext [${allowed.join(", ")}]`,
            errorCode: ErrorCodes.invalidNext,
            retryable: false,
            retryAfterMs: null,
            logsPath: result.logsPath
          }, pipeline)
          return Object.assign({}, failed, { madePending: 0 }) satisfies LockedCompletion
        }
      }
      const transition = Option.isSome(pipeline)
        ? routing.planCompletion(pipeline.value.run, pipeline.value.taskId, result.selectedNext)
        : undefined
      const routed = transition === undefined || Option.isNone(pipeline)
        ? undefined
        : { pipelineRunId: pipeline.value.run.id, transition }
      const run = yield* taskRuns.complete(runId, attempt, result, routed)
      if (routed !== undefined && Option.isSome(pipeline)) {
        yield* states.moved(routed.pipelineRunId, pipeline.value.run, routed.transition)
      }
      if (mayHoldKey) yield* keys.completeFor(runId, config.idempotencyTtlSeconds)
      const madePending = transition?.start.length ?? 0
      return {
        runId,
        status: run.status,
        taskId: run.taskId,
        outcome: "completed",
        errorCode: null,
        madePending
      } satisfies LockedCompletion
    })

    const fail = Spans.fn("RunResults.fail")(function*<E = never>(
      runId: string,
      attempt: number,
      failure: AttemptFailure,
      onlyIn?: ReadonlyArray<TaskRunStatus>,
      check: ScopeCheck<E> = noCheck
    ) {
      const hint = yield* dispatched.take(runId)
      const applied = yield* underLock(runId, (pipeline) =>
        Effect.zipRight(checked(check, pipelineRunIdOf(pipeline)), failLocked(runId, attempt, failure, pipeline, onlyIn)))
      yield* record(applied, hint)
      yield* wakeups.wake
      return applied
    })

    /**
     * `complete` for several results at once, as far as they take its single-statement path
     * (standalone runs this process dispatched, with no idempotency key): each checked, then
     * written together, with one wake-up. Each item's outcome in order; `undefined` for an item
     * left to `complete` (it was not dispatched here, or is a pipeline's or holds a key).
     */
    const completeDispatched = Spans.fn("RunResults.completeDispatched")(function*<E>(
      items: ReadonlyArray<{
        readonly runId: string
        readonly attempt: number
        readonly result: AttemptSuccess
        readonly check: ScopeCheck<E>
      }>
    ) {
      const outcomes: Array<Exit.Exit<ResultApplied, E | NotFound | Conflict> | undefined> = items.map(() => undefined)
      const batch: Array<{ readonly index: number; readonly hint: DispatchedRun }> = []
      for (const [index, item] of items.entries()) {
        const hint = dispatched.peek(item.runId)
        if (hint === undefined || hint.pipelineRunId !== null || hint.hasIdempotencyKey) continue
        const refused = item.check(null)
        if (refused !== undefined) {
          outcomes[index] = Exit.fail(refused)
          continue
        }
        dispatched.unsafeTake(item.runId)
        batch.push({ index, hint })
      }
      if (batch.length === 0) return outcomes
      const written = yield* batches.completeAll(batch.map(({ index }) => items[index]!))
      const nowMs = yield* Clock.currentTimeMillis
      const recorded: Array<Parameters<typeof metrics.attemptsApplied>[0][number]> = []
      for (const [i, { hint, index }] of batch.entries()) {
        const exit = written[i]!
        if (Exit.isFailure(exit)) {
          outcomes[index] = Exit.failCause(exit.cause)
          continue
        }
        const applied: ResultApplied = {
          runId: items[index]!.runId,
          status: exit.value.status,
          taskId: exit.value.taskId,
          outcome: "completed",
          errorCode: null
        }
        recorded.push({ taskId: applied.taskId, outcome: "completed", errorCode: null, durationMs: nowMs - hint.dispatchedAtMs })
        outcomes[index] = Exit.succeed(applied)
      }
      if (recorded.length > 0) {
        yield* metrics.attemptsApplied(recorded)
        yield* wakeIfTypesLimited
      }
      return outcomes
    })

    /**
     * A completion of a pipeline task this process dispatched (with no idempotency key), planned
     * against its pipeline run's routing as last seen here (`RoutingStates`) and written in one
     * statement that also claims the tasks it starts (`TaskRuns.completePlanned`), dispatched
     * once it has run. `None` when there is no such state, or the statement changed nothing (the
     * state was stale, the run locked, the attempt no longer in flight): `complete` then applies
     * it under the lock.
     */
    const completeAsSeen = Spans.fn("RunResults.completeAsSeen")(function*<E>(
      runId: string,
      attempt: number,
      result: AttemptSuccess,
      check: ScopeCheck<E>
    ) {
      const hint = dispatched.peek(runId)
      if (hint === undefined || hint.pipelineRunId === null || hint.hasIdempotencyKey) return Option.none<ResultApplied>()
      const pipelineRunId = hint.pipelineRunId
      const seen = states.get(pipelineRunId)
      if (seen === undefined) return Option.none<ResultApplied>()
      if (result.selectedNext !== null && invalidSelection(seen.structure, hint.taskId, result.selectedNext).length > 0) {
        return Option.none<ResultApplied>()
      }
      const transition = routing.planCompletion(seen, hint.taskId, result.selectedNext)
      if (transition === undefined) return Option.none<ResultApplied>()
      yield* checked(check, pipelineRunId)
      let run = Option.none<TransitionedRun>()
      const { passNeeded } = yield* inline.claimingWrite(transition.start.length, (limit, orchestratorId) =>
        Effect.zipRight(
          tokens.mintForStart(seen.waiting, transition.start, limit),
          taskRuns.completePlanned(runId, attempt, result, { pipelineRunId, transition, expected: seen.routing }, {
            limit,
            orchestratorId
          }).pipe(Effect.map(Option.match({
            onNone: () => [],
            onSome: (done) => {
              run = Option.some(done.run)
              return done.claimed
            }
          })))
        ))
      if (Option.isNone(run)) return Option.none<ResultApplied>()
      yield* dispatched.take(runId)
      yield* states.moved(pipelineRunId, seen, transition)
      const applied: ResultApplied = {
        runId,
        status: run.value.status,
        taskId: run.value.taskId,
        outcome: "completed",
        errorCode: null
      }
      yield* record(applied, hint)
      if (passNeeded) yield* wakeups.wake
      else yield* wakeIfTypesLimited
      return Option.some(applied)
    })

    const complete = Spans.fn("RunResults.complete")(function*<E = never>(
      runId: string,
      attempt: number,
      result: AttemptSuccess,
      check: ScopeCheck<E> = noCheck
    ) {
      const [single] = yield* completeDispatched([{ runId, attempt, result, check }])
      if (single !== undefined) return yield* single
      const asSeen = yield* completeAsSeen(runId, attempt, result, check)
      if (Option.isSome(asSeen)) return asSeen.value
      const hint = yield* dispatched.take(runId)
      const mayHoldKey = hint?.hasIdempotencyKey ?? true
      const { passNeeded, value: applied } = yield* inline.transact(
        Effect.flatMap(pipelineRuns.lockOf(runId), (pipeline) =>
          Effect.zipRight(checked(check, pipelineRunIdOf(pipeline)), completeLocked(runId, attempt, result, pipeline, mayHoldKey))),
        (done) => done.madePending
      )
      yield* record(applied, hint)
      if (passNeeded) yield* wakeups.wake
      else yield* wakeIfTypesLimited
      return applied
    })

    return { fail, complete, completeDispatched, underLock, completeLocked, explainMiss: taskRuns.explainMiss } as const
  })
}) {}
