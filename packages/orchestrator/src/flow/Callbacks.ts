import type { CallbackPayload } from "@pipeweave/domain/Callback"
import { ValidationError } from "@pipeweave/domain/Errors"
import { Effect } from "effect"
import { OrchestratorConfig } from "../Config.js"
import { TaskRuns } from "../store/TaskRuns.js"
import { RunResults } from "./RunResults.js"

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

/**
 * Applies a worker's callback through `RunResults`. A callback for an attempt that already
 * ended (a duplicate, or a superseded attempt that timed out) changes nothing: it is recorded
 * on its attempt and answered 409.
 */
export class Callbacks extends Effect.Service<Callbacks>()("@pipeweave/orchestrator/Callbacks", {
  effect: Effect.gen(function*() {
    const results = yield* RunResults
    const taskRuns = yield* TaskRuns
    const config = yield* OrchestratorConfig

    const apply = Effect.fn("Callbacks.apply")(function*(runId: string, payload: CallbackPayload) {
      yield* checkPaths(runId, payload)
      const outputInline = payload.status === "success" && payload.output !== undefined ? JSON.stringify(payload.output) : null
      if (outputInline !== null && Buffer.byteLength(outputInline) > config.inlinePayloadBytes) {
        return yield* new ValidationError({
          field: "output",
          message: `an inline output may be at most ${config.inlinePayloadBytes} bytes of JSON; write larger ones to outputPath`
        })
      }
      const applied = payload.status === "success"
        ? results.complete(runId, payload.attempt, {
          outputPath: payload.outputPath,
          outputSize: payload.outputSize,
          outputInline,
          assets: payload.assets,
          logsPath: payload.logsPath ?? null,
          selectedNext: payload.selectedNext ?? null
        })
        : results.fail(runId, payload.attempt, {
          error: payload.error,
          errorCode: payload.errorCode ?? null,
          retryable: payload.retryable,
          retryAfterMs: payload.retryAfterMs ?? null,
          logsPath: payload.logsPath ?? null
        })
      return yield* applied.pipe(
        Effect.tapErrorTag("Conflict", () => taskRuns.recordLateCallback(runId, payload.attempt, payload.status))
      )
    })

    return { apply } as const
  })
}) {}
