import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import type { CallbackPayload } from "@pipeweave/domain/Callback"
import { Timeout } from "@pipeweave/domain/TaskErrors"
import type { DispatchAck, DispatchPayload } from "@pipeweave/domain/Dispatch"
import type { OpenedGrant } from "@pipeweave/storage/Crypto"
import { scopedStorage } from "@pipeweave/storage/ScopedStorage"
import type { StorageShape } from "@pipeweave/storage/Storage"
import { Cause, Context, Effect, Either, Exit, Fiber, FiberId, FiberRef, Option } from "effect"
import { Cancelled, type StorageFailure } from "./AttemptErrors.js"
import { AttemptTimers } from "./AttemptTimers.js"
import { earlyEndOf, successPayload, writeLogs } from "./attemptReports.js"
import { attemptScope } from "./checkDispatch.js"
import { deliverCallback } from "./deliverCallback.js"
import { failureOf } from "./failureOf.js"
import { hydrate, upstreamAssetsOf } from "./hydrate.js"
import { idempotencyGate } from "./idempotencyGate.js"
import { OrchestratorClient } from "./OrchestratorClient.js"
import { type AttemptSuccess, runAttempt } from "./runAttempt.js"
import { StorageRegistry } from "./StorageRegistry.js"
import type { TaskDefinition } from "./TaskDefinition.js"
import { makeTaskLog, type TaskLog } from "./TaskLog.js"
import { type LogLevel, WorkerLog } from "./WorkerLog.js"
import { WorkerSettings } from "./WorkerSettings.js"
import * as Spans from "@pipeweave/domain/Spans"

/** What executing a dispatch needs from the worker. */
export type DispatchServices =
  | OrchestratorClient
  | AttemptTimers
  | WorkerLog
  | WorkerSettings
  | StorageRegistry
  | FileSystem.FileSystem
  | Path.Path

const clampPercent = (percent: number) => Number.isFinite(percent) ? Math.min(100, Math.max(0, percent)) : 0

/**
 * `Fiber.await`, mapped with `f` where the exit arrives (no step of its own), without its
 * interruption handler (a masked region on every dispatch): the observer stays until the fiber
 * ends, which, as a child of the waiting fiber, it does with it.
 */
const exitOf = <A, E, B>(fiber: Fiber.RuntimeFiber<A, E>, f: (exit: Exit.Exit<A, E>) => B) =>
  Effect.async<B>((resume) => {
    fiber.addObserver((exit) => resume(Effect.succeed(f(exit))))
  })

/** One execution's inputs and services, and what its steps and the callbacks they hand out share. */
interface Execution {
  readonly task: TaskDefinition
  readonly payload: DispatchPayload
  readonly grant: OpenedGrant
  readonly traced: boolean
  readonly client: OrchestratorClient["Type"]
  readonly timers: AttemptTimers["Type"]
  readonly settings: WorkerSettings["Type"]
  readonly registry: StorageRegistry["Type"]
  readonly files: { readonly fs: FileSystem.FileSystem; readonly path: Path.Path }
  readonly say: (level: LogLevel, message: string) => Effect.Effect<void>
  readonly taskLog: TaskLog
  readonly cancel: Effect.Effect<void>
  cancelled: boolean
  timedOut: boolean
  attemptFiber: Fiber.RuntimeFiber<AttemptSuccess, unknown> | undefined
}

/**
 * The attempt, its logs and its callback, as one generator defined once: a generator function
 * made per dispatch costs Node 20's V8 a new hidden class and prototype on every call.
 */
function* reportedSteps(x: Execution): Effect.fn.Return<DispatchAck, never, DispatchServices> {
  const { client, files, grant, payload, say, settings, task, taskLog, timers } = x
  const { attempt, callbackToken: token, runId, timeoutSeconds } = payload
  const progress = (percent: number, message?: string) =>
    client.progress({
      runId,
      attempt,
      percent: clampPercent(percent),
      ...(message === undefined ? {} : { message: String(message).slice(0, 2000) })
    }, token)
      .pipe(
        Effect.flatMap((answer) => answer.cancelled ? x.cancel : Effect.void),
        Effect.catchAll((e) => say("warn", `progress report failed: ${e.message}`))
      )

  const storage: Either.Either<StorageShape, StorageFailure> = yield* Effect.matchEffect(x.registry.get(grant.backend), {
    onFailure: (error) => Effect.succeed(Either.left(error)),
    onSuccess: (backend) => Effect.succeed(Either.right(scopedStorage(backend, attemptScope(grant, payload.upstream))))
  })
  const outcome: Exit.Exit<AttemptSuccess, unknown> = yield* Either.match(storage, {
    onLeft: (error) => Effect.succeed(Exit.fail(error)),
    onRight: (storage) =>
      runAttempt({
        task,
        runId,
        pipelineRunId: payload.pipelineRunId,
        attempt,
        codeVersion: payload.codeVersion,
        codeHash: payload.codeHash,
        previousAttempts: payload.previousAttempts,
        allowedNext: payload.allowedNext,
        storage,
        hydrate: hydrate(storage, payload),
        beforeHandler: idempotencyGate({
          task,
          codeVersion: payload.codeVersion,
          ask: (key) => client.idempotency({ runId, attempt, key }, token),
          log: taskLog,
          report: say
        }),
        upstreamAssets: upstreamAssetsOf(payload.upstream),
        outputPath: payload.outputPath,
        inlineLimitBytes: payload.inlineLimitBytes ?? 0,
        assetsPrefix: payload.assetsPrefix,
        runDir: files.path.join(settings.tempDir, runId),
        files,
        aroundHandler: (handler) =>
          timeoutSeconds > 0
            ? timers.interruptAfter(handler, timeoutSeconds * 1000, () => {
              x.timedOut = true
            })
            : handler,
        cleanupOnFailure: settings.tempCleanupOnFailure,
        progress,
        log: taskLog
      }).pipe(
        Effect.fork,
        Effect.flatMap((fiber) => {
          x.attemptFiber = fiber
          if (x.cancelled) fiber.unsafeInterruptAsFork(FiberId.none)
          return exitOf(fiber, (exit) =>
            !Exit.isInterrupted(exit)
              ? exit
              : x.cancelled
              ? Exit.fail(new Cancelled({ runId }))
              : x.timedOut
              ? Exit.fail(new Timeout({ message: `task '${task.id}' timed out after ${timeoutSeconds}s` }))
              : exit)
        })
      )
  })

  const error = Exit.isFailure(outcome) ? Option.some(Cause.squash(outcome.cause)) : Option.none()
  const early = Option.flatMap(error, earlyEndOf)
  if (Option.isSome(early)) {
    if (Option.isSome(early.value.note)) yield* say(...early.value.note.value)
    if (Either.isRight(storage)) yield* writeLogs(storage.right, payload.logsPath, taskLog, attempt, say)
    return { runId, attempt, status: early.value.status }
  }
  const report = Option.map(error, failureOf)
  if (Option.isSome(report)) {
    const { details, errorCode } = report.value
    yield* taskLog.write(
      "error",
      `attempt ${attempt} failed: ${report.value.error}`,
      errorCode === undefined
        ? details === undefined ? {} : { details }
        : details === undefined
        ? { errorCode }
        : { errorCode, details }
    )
  }
  const logsPath = Either.isRight(storage)
    ? yield* writeLogs(storage.right, payload.logsPath, taskLog, attempt, say)
    : Option.none<string>()
  const body: CallbackPayload = Exit.isSuccess(outcome)
    ? successPayload(attempt, outcome.value, logsPath)
    : {
      status: "failure",
      attempt,
      ...Option.getOrThrow(report),
      ...Option.match(logsPath, { onNone: () => ({}), onSome: (path) => ({ logsPath: path }) })
    }
  const delivery = yield* deliverCallback(client.callback(runId, body, token), say, x.traced)
  return delivery === "delivered"
    ? { runId, attempt, status: body.status }
    : { runId, attempt, status: "failure", callback: delivery }
}

/**
 * Runs one dispatched attempt to the end: heartbeats (scoped to the execution), the attempt
 * itself (interrupted by a cancellation from the orchestrator, or at its timeout while its handler
 * runs, in the fiber of its own that both interrupt; with the idempotency check between
 * hydration and the handler), the JSONL log, and the callback delivery. Never fails: every
 * outcome is reported through the callback and the ack, except a cancellation, a cached result
 * (ack `success`) and a stale attempt, which send no callback. The ack says `success` only for a
 * success callback the orchestrator accepted. Storage is seen through the grant's scope: reads of
 * the input and the run's scope, writes of this attempt's own paths.
 */
export const executeDispatch = (
  task: TaskDefinition,
  payload: DispatchPayload,
  grant: OpenedGrant
): Effect.Effect<DispatchAck, never, DispatchServices> =>
  // One look at the fiber, on every dispatch, for its services (rather than one step per service)
  // and whether it traces (its spans are made only then: they cost steps even where they go nowhere).
  Effect.withFiberRuntime<DispatchAck, never, DispatchServices>((fiber) => {
    const services = fiber.currentContext as Context.Context<DispatchServices>
    const traced = fiber.getFiberRef(FiberRef.currentTracerEnabled)
    const client = Context.get(services, OrchestratorClient)
    const timers = Context.get(services, AttemptTimers)
    const { log } = Context.get(services, WorkerLog)
    const { attempt, runId } = payload
    const say = (level: LogLevel, message: string) => log(level, message, { taskId: task.id, runId, attempt })
    // The attempt runs in a fiber of its own that a cancellation interrupts (rather than racing it
    // against a cancellation signal, which would take two more fibers per attempt).
    const x: Execution = {
      task,
      payload,
      grant,
      traced,
      client,
      timers,
      settings: Context.get(services, WorkerSettings),
      registry: Context.get(services, StorageRegistry),
      files: { fs: Context.get(services, FileSystem.FileSystem), path: Context.get(services, Path.Path) },
      say,
      taskLog: makeTaskLog(say, attempt),
      cancel: Effect.suspend(() => {
        x.cancelled = true
        return x.attemptFiber === undefined ? Effect.void : Fiber.interruptFork(x.attemptFiber)
      }),
      cancelled: false,
      timedOut: false,
      attemptFiber: undefined
    }
    const { callbackToken: token } = payload
    const cancel = x.cancel

    // Heartbeats go on until the callback was delivered (or given up).
    const reported = Effect.gen(() => reportedSteps(x))
    const beating = timers.beatingDuring(reported, {
      beat: client.heartbeat({ runId, attempt }, token),
      intervalMs: payload.heartbeatIntervalMs,
      onCancelled: cancel,
      onError: (e) => say("warn", `heartbeat failed: ${e.message}`)
    })
    const execution = payload.codeHash === task.registration.codeHash ? beating : Effect.zipRight(
      say(
        "warn",
        `dispatched for code ${payload.codeHash} (v${payload.codeVersion}) but this worker runs ${task.registration.codeHash}`
      ),
      beating
    )
    return !traced ? execution : Spans.withSpan(execution, "Worker.executeDispatch", {
      attributes: {
        "pipeweave.run.id": payload.runId,
        "pipeweave.task.id": task.id,
        "pipeweave.attempt": payload.attempt,
        ...(payload.pipelineRunId === null ? {} : { "pipeweave.pipeline_run.id": payload.pipelineRunId })
      }
    })
  })
