import type { CallbackPayload } from "@pipeweave/domain/Callback"
import { NotFound, ValidationError } from "@pipeweave/domain/Errors"
import { Effect, Option } from "effect"
import { OrchestratorConfig } from "../Config.js"
import { Registry } from "../store/Registry.js"
import { TaskRunReads } from "../store/TaskRunReads.js"
import { TaskRuns } from "../store/TaskRuns.js"
import { checkCallbackPaths } from "./CallbackPaths.js"
import { RunResults } from "./RunResults.js"
import { boundedErrorDetails } from "./WorkerErrorText.js"

/**
 * Applies a worker's callback through `RunResults`. A callback for an attempt that already
 * ended (a duplicate, or a superseded attempt that timed out) changes nothing: it is recorded
 * on its attempt and answered 409. A callback naming paths outside its run's scope, or a
 * standalone run's `selectedNext` outside its task's `allowedNext`, is refused with a 400 and
 * changes nothing.
 */
export class Callbacks extends Effect.Service<Callbacks>()("@pipeweave/orchestrator/Callbacks", {
  effect: Effect.gen(function*() {
    const results = yield* RunResults
    const taskRuns = yield* TaskRuns
    const reads = yield* TaskRunReads
    const registry = yield* Registry
    const config = yield* OrchestratorConfig

    /** A standalone run may only select tasks its task type allows; a pipeline's selection is checked against its snapshot. */
    const checkSelection = Effect.fn("Callbacks.checkSelection")(function*(runId: string, selectedNext: ReadonlyArray<string>) {
      const run = yield* reads.find(runId)
      if (Option.isNone(run)) return yield* NotFound.of("task run", runId)
      if (run.value.pipelineRunId !== null) return
      const allowedNext = (reread: boolean) =>
        Effect.map(registry.tasksById([run.value.taskId], reread), (tasks) => tasks.get(run.value.taskId)?.allowedNext ?? [])
      const outsideOf = (allowed: ReadonlyArray<string>) => selectedNext.filter((id) => !allowed.includes(id))
      let allowed = yield* allowedNext(false)
      if (outsideOf(allowed).length > 0) allowed = yield* allowedNext(true)
      const outside = outsideOf(allowed)
      if (outside.length > 0) {
        return yield* new ValidationError({
          field: "selectedNext",
          message: `selectedNext names ${outside.map((t) => `'${t}'`).join(", ")}, outside the allowedNext [${
            allowed.join(", ")
          }] of task '${run.value.taskId}'`
        })
      }
    })

    const apply = Effect.fn("Callbacks.apply")(function*(runId: string, payload: CallbackPayload) {
      const outputInline = payload.status === "success" && payload.output !== undefined ? JSON.stringify(payload.output) : null
      if (outputInline !== null && Buffer.byteLength(outputInline) > config.inlinePayloadBytes) {
        return yield* new ValidationError({
          field: "output",
          message: `an inline output may be at most ${config.inlinePayloadBytes} bytes of JSON; write larger ones to outputPath`
        })
      }
      if (payload.status === "success" && payload.selectedNext !== undefined && payload.selectedNext.length > 0) {
        yield* checkSelection(runId, payload.selectedNext)
      }
      const check = (pipelineRunId: string | null) => checkCallbackPaths(runId, pipelineRunId, payload)
      const applied = payload.status === "success"
        ? results.complete(runId, payload.attempt, {
          outputPath: payload.outputPath,
          outputSize: payload.outputSize,
          outputInline,
          assets: payload.assets,
          logsPath: payload.logsPath ?? null,
          selectedNext: payload.selectedNext ?? null
        }, check)
        : results.fail(runId, payload.attempt, {
          error: payload.error,
          errorCode: payload.errorCode ?? null,
          details: boundedErrorDetails(payload.details),
          retryable: payload.retryable,
          retryAfterMs: payload.retryAfterMs ?? null,
          logsPath: payload.logsPath ?? null
        }, undefined, check)
      return yield* applied.pipe(
        Effect.tapErrorTag("Conflict", () => taskRuns.recordLateCallback(runId, payload.attempt, payload.status))
      )
    })

    return { apply } as const
  })
}) {}
