import type { CallbackPayload } from "@pipeweave/domain/Callback"
import { ValidationError } from "@pipeweave/domain/Errors"
import { Effect } from "effect"
import { OrchestratorConfig } from "../Config.js"
import { TaskQueue } from "./TaskQueue.js"

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

/** Applies a worker's callback to its run: the attempt completes, or fails and is retried or dead-lettered. */
export class Callbacks extends Effect.Service<Callbacks>()("@pipeweave/orchestrator/Callbacks", {
  effect: Effect.gen(function*() {
    const queue = yield* TaskQueue
    const config = yield* OrchestratorConfig

    const apply = (runId: string, payload: CallbackPayload) =>
      Effect.gen(function*() {
        yield* checkPaths(runId, payload)
        if (payload.status === "success") {
          const run = yield* queue.complete(runId, payload.attempt, {
            outputPath: payload.outputPath,
            outputSize: payload.outputSize,
            assets: payload.assets,
            logsPath: payload.logsPath ?? null,
            selectedNext: payload.selectedNext ?? null
          })
          return { runId, status: run.status }
        }
        const { run } = yield* queue.fail(runId, payload.attempt, {
          error: payload.error,
          errorCode: payload.errorCode ?? null,
          retryable: payload.retryable,
          retryAfterMs: payload.retryAfterMs ?? null,
          logsPath: payload.logsPath ?? null
        }, config.maxRetryDelayMs)
        return { runId, status: run.status }
      }).pipe(Effect.withSpan("Callbacks.apply", { attributes: { runId } }))

    return { apply } as const
  })
}) {}
