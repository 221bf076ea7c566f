import { SqlClient } from "@effect/sql"
import type { CallbackPayload } from "@pipeweave/domain/Callback"
import { ValidationError } from "@pipeweave/domain/Errors"
import { invalidSelection } from "@pipeweave/domain/pipeline/Routing"
import { ErrorCodes } from "@pipeweave/domain/TaskErrors"
import { Effect, Option } from "effect"
import { OrchestratorConfig } from "../Config.js"
import { type LockedRun, PipelineEngine } from "../pipeline/PipelineEngine.js"
import { type AttemptFailure, TaskQueue } from "./TaskQueue.js"

const scopeOf = (path: string, runId: string, kind: "outputs" | "logs"): string | undefined => {
  const suffix = kind === "outputs" ? `/outputs/${runId}.json` : `/logs/${runId}.jsonl`
  const match = /^runs\/((?:trun|prun)_[A-Za-z0-9]+)(\/.*)$/.exec(path)
  return match && match[2] === suffix ? match[1] : undefined
}

/** Checks that the paths a worker reports are the ones its run was given. */
const checkPaths = (runId: string, payload: CallbackPayload) =>
  Effect.gen(function*() {
    const invalid = (field: string, message: string) => new ValidationError({ field, message })
    if (payload.status === "success") {
      const scope = scopeOf(payload.outputPath, runId, "outputs")
      if (scope === undefined) {
        return yield* invalid("outputPath", `outputPath must be runs/<run>/outputs/${runId}.json`)
      }
      for (const [key, asset] of Object.entries(payload.assets)) {
        if (!asset.path.startsWith(`runs/${scope}/assets/${runId}/`)) {
          return yield* invalid(`assets.${key}.path`, `asset paths must be under runs/${scope}/assets/${runId}/`)
        }
      }
    }
    if (payload.logsPath !== undefined && scopeOf(payload.logsPath, runId, "logs") === undefined) {
      return yield* invalid("logsPath", `logsPath must be runs/<run>/logs/${runId}.jsonl`)
    }
  })

const failureOf = (payload: Extract<CallbackPayload, { status: "failure" }>): AttemptFailure => ({
  error: payload.error,
  errorCode: payload.errorCode ?? null,
  retryable: payload.retryable,
  retryAfterMs: payload.retryAfterMs ?? null,
  logsPath: payload.logsPath ?? null
})

/**
 * Applies a worker's callback: the attempt completes, or fails and is retried or dead-lettered.
 * For a pipeline task the run is locked first, `selectedNext` is checked against the run's own
 * snapshot (a name outside `allowedNext` fails the attempt, not retryable), and the result is
 * routed in the same transaction.
 */
export class Callbacks extends Effect.Service<Callbacks>()("@pipeweave/orchestrator/Callbacks", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const queue = yield* TaskQueue
    const engine = yield* PipelineEngine
    const config = yield* OrchestratorConfig

    const fail = (runId: string, attempt: number, failure: AttemptFailure, pipeline: Option.Option<LockedRun>) =>
      Effect.gen(function*() {
        const { outcome, run } = yield* queue.fail(runId, attempt, failure, config.maxRetryDelayMs)
        if (outcome === "dead-lettered" && Option.isSome(pipeline)) yield* engine.routeFailure(pipeline.value, run.taskId)
        return { runId, status: run.status }
      })

    const applyTo = (runId: string, payload: CallbackPayload, pipeline: Option.Option<LockedRun>, taskId: string) =>
      Effect.gen(function*() {
        if (payload.status === "failure") return yield* fail(runId, payload.attempt, failureOf(payload), pipeline)
        const selected = payload.selectedNext ?? null
        if (Option.isSome(pipeline) && selected !== null) {
          const invalid = invalidSelection(pipeline.value.structure, taskId, selected)
          if (invalid.length > 0) {
            const allowed = pipeline.value.structure.tasks[taskId]?.allowedNext ?? []
            return yield* fail(runId, payload.attempt, {
              error: `runNext names ${invalid.map((t) => `'${t}'`).join(", ")}, outside allowedNext [${allowed.join(", ")}]`,
              errorCode: ErrorCodes.invalidNext,
              retryable: false,
              retryAfterMs: null,
              logsPath: payload.logsPath ?? null
            }, pipeline)
          }
        }
        const run = yield* queue.complete(runId, payload.attempt, {
          outputPath: payload.outputPath,
          outputSize: payload.outputSize,
          assets: payload.assets,
          logsPath: payload.logsPath ?? null,
          selectedNext: selected
        })
        if (Option.isSome(pipeline)) yield* engine.routeCompletion(pipeline.value, taskId, selected)
        return { runId, status: run.status }
      })

    const apply = (runId: string, payload: CallbackPayload) =>
      Effect.gen(function*() {
        yield* checkPaths(runId, payload)
        const owner = yield* queue.owner(runId)
        if (Option.isNone(owner) || owner.value.pipelineRunId === null) {
          return yield* applyTo(runId, payload, Option.none(), Option.match(owner, { onNone: () => "", onSome: (o) => o.taskId }))
        }
        const { pipelineRunId, taskId } = owner.value
        return yield* Effect.flatMap(engine.lock(pipelineRunId), (pipeline) => applyTo(runId, payload, pipeline, taskId))
          .pipe(sql.withTransaction, Effect.catchTag("SqlError", Effect.die))
      }).pipe(Effect.withSpan("Callbacks.apply", { attributes: { runId } }))

    return { apply } as const
  })
}) {}
