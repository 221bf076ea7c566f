import { FileSystem, Path } from "@effect/platform"
import type { CallbackPayload } from "@pipeweave/domain/Callback"
import type { DispatchAck, DispatchPayload } from "@pipeweave/domain/Dispatch"
import type { StorageShape } from "@pipeweave/storage/Storage"
import type { StorageBackendConfig } from "@pipeweave/storage/StorageBackendConfig"
import { Cause, Deferred, Effect, Either, Exit, Option } from "effect"
import { Cancelled } from "./AttemptErrors.js"
import { deliverCallback } from "./deliverCallback.js"
import { failureOf } from "./failureOf.js"
import { heartbeatLoop } from "./heartbeatLoop.js"
import { hydrate, upstreamAssetsOf } from "./hydrate.js"
import { OrchestratorClient } from "./OrchestratorClient.js"
import { type AttemptSuccess, runAttempt } from "./runAttempt.js"
import { StorageRegistry } from "./StorageRegistry.js"
import type { TaskDefinition } from "./TaskDefinition.js"
import { makeTaskLog, type TaskLog } from "./TaskLog.js"
import { type LogLevel, WorkerLog } from "./WorkerLog.js"
import { WorkerSettings } from "./WorkerSettings.js"

/** What executing a dispatch needs from the worker. */
export type DispatchServices =
  | OrchestratorClient
  | WorkerLog
  | WorkerSettings
  | StorageRegistry
  | FileSystem.FileSystem
  | Path.Path

const clampPercent = (percent: number) => Number.isFinite(percent) ? Math.min(100, Math.max(0, percent)) : 0

const writeLogs = (storage: StorageShape, key: string, log: TaskLog, say: (l: LogLevel, m: string) => Effect.Effect<void>) =>
  Effect.flatMap(log.jsonl, (text) => storage.put(key, text, "application/x-ndjson")).pipe(
    Effect.as(Option.some(key)),
    Effect.catchAll((e) => say("warn", `writing logs to '${key}' failed: ${e.message}`).pipe(Effect.as(Option.none())))
  )

const successPayload = (attempt: number, s: AttemptSuccess, logsPath: Option.Option<string>): CallbackPayload => ({
  status: "success",
  attempt,
  outputPath: s.outputPath,
  outputSize: s.outputSize,
  assets: s.assets,
  ...Option.match(logsPath, { onNone: () => ({}), onSome: (path) => ({ logsPath: path }) }),
  ...(s.selectedNext === undefined ? {} : { selectedNext: s.selectedNext })
})

/**
 * Runs one dispatched attempt to the end: heartbeats (scoped to the execution), the attempt
 * itself (raced against a cancellation from the orchestrator), the JSONL log, and the callback
 * delivery. Never fails: every outcome is reported through the callback and the ack.
 */
export const executeDispatch = (
  task: TaskDefinition,
  payload: DispatchPayload,
  backend: StorageBackendConfig
): Effect.Effect<DispatchAck, never, DispatchServices> =>
  Effect.scoped(Effect.gen(function*() {
    const client = yield* OrchestratorClient
    const { log } = yield* WorkerLog
    const settings = yield* WorkerSettings
    const registry = yield* StorageRegistry
    const path = yield* Path.Path
    const { attempt, callbackToken: token, runId } = payload
    const say = (level: LogLevel, message: string) => log(level, `[PipeWeave] [${task.id} ${runId}#${attempt}] ${message}`)
    const cancelled = yield* Deferred.make<void>()
    const cancel = Effect.asVoid(Deferred.succeed(cancelled, undefined))
    const taskLog = yield* makeTaskLog(say)
    if (payload.codeHash !== task.registration.codeHash) {
      yield* say(
        "warn",
        `dispatched for code ${payload.codeHash} (v${payload.codeVersion}) but this worker runs ${task.registration.codeHash}`
      )
    }

    yield* Effect.forkScoped(heartbeatLoop({
      beat: client.heartbeat({ runId, attempt }, token),
      intervalMs: payload.heartbeatIntervalMs,
      onCancelled: cancel,
      onError: (e) => say("warn", `heartbeat failed: ${e.message}`)
    }))
    const progress = (percent: number, message?: string) =>
      client.progress({
        runId,
        attempt,
        percent: clampPercent(percent),
        ...(message === undefined ? {} : { message: String(message).slice(0, 2000) })
      }, token)
        .pipe(
          Effect.flatMap((answer) => answer.cancelled ? cancel : Effect.void),
          Effect.catchAll((e) => say("warn", `progress report failed: ${e.message}`))
        )

    const storage = yield* Effect.either(registry.get(backend))
    const outcome = yield* Either.match(storage, {
      onLeft: (error) => Effect.exit(Effect.fail(error)),
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
          hydrate: hydrate(storage, payload.inputPath, payload.upstream),
          upstreamAssets: upstreamAssetsOf(payload.upstream),
          outputPath: payload.outputPath,
          assetsPrefix: payload.assetsPrefix,
          runDir: path.join(settings.tempDir, runId),
          timeoutSeconds: payload.timeoutSeconds > 0 ? Option.some(payload.timeoutSeconds) : Option.none(),
          cleanupOnFailure: settings.tempCleanupOnFailure,
          progress,
          log: taskLog
        }).pipe(
          Effect.raceFirst(Effect.zipRight(Deferred.await(cancelled), Effect.fail(new Cancelled({ runId })))),
          Effect.exit
        )
    })

    const error = Exit.isFailure(outcome) ? Option.some(Cause.squash(outcome.cause)) : Option.none()
    if (Option.isSome(error) && error.value instanceof Cancelled) {
      yield* say("info", "cancelled by the orchestrator; handler interrupted, no callback sent")
      if (Either.isRight(storage)) yield* writeLogs(storage.right, payload.logsPath, taskLog, say)
      return { runId, attempt, status: "failure" as const }
    }
    const report = Option.map(error, failureOf)
    if (Option.isSome(report)) {
      yield* taskLog.write("error", `attempt ${attempt} failed: ${report.value.error}`, {
        ...(report.value.errorCode === undefined ? {} : { errorCode: report.value.errorCode })
      })
    }
    const logsPath = Either.isRight(storage)
      ? yield* writeLogs(storage.right, payload.logsPath, taskLog, say)
      : Option.none<string>()
    const body: CallbackPayload = Exit.isSuccess(outcome)
      ? successPayload(attempt, outcome.value, logsPath)
      : {
        status: "failure",
        attempt,
        ...Option.getOrThrow(report),
        ...Option.match(logsPath, { onNone: () => ({}), onSome: (path) => ({ logsPath: path }) })
      }
    yield* deliverCallback(client.callback(runId, body, token), say)
    return { runId, attempt, status: body.status }
  }))
