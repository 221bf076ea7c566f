import type { CallbackPayload } from "@pipeweave/domain/Callback"
import { type Conflict, NotFound, ValidationError } from "@pipeweave/domain/Errors"
import { Cause, Effect, Either, Exit, Option } from "effect"
import { OrchestratorConfig } from "../Config.js"
import { Registry } from "../store/Registry.js"
import { TaskRunReads } from "../store/TaskRunReads.js"
import { TaskRuns } from "../store/TaskRuns.js"
import { callbackPathsIssue } from "./CallbackPaths.js"
import type { AttemptSuccess } from "../store/NewRun.js"
import { type ResultApplied, RunResults, type ScopeCheck } from "./RunResults.js"
import { boundedErrorDetails } from "./WorkerErrorText.js"
import * as Spans from "@pipeweave/domain/Spans"

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
    const checkSelection = Spans.fn("Callbacks.checkSelection")(function*(runId: string, selectedNext: ReadonlyArray<string>) {
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

    /** A success's inline output as stored, refused when larger than `INLINE_PAYLOAD_BYTES`. */
    const inlineOutputOf = (payload: CallbackPayload) => {
      const outputInline = payload.status === "success" && payload.output !== undefined ? JSON.stringify(payload.output) : null
      return outputInline !== null && Buffer.byteLength(outputInline) > config.inlinePayloadBytes
        ? Either.left(
          new ValidationError({
            field: "output",
            message: `an inline output may be at most ${config.inlinePayloadBytes} bytes of JSON; write larger ones to outputPath`
          })
        )
        : Either.right(outputInline)
    }

    const successOf = (payload: CallbackPayload & { readonly status: "success" }, outputInline: string | null) => ({
      outputPath: payload.outputPath,
      outputSize: payload.outputSize,
      outputInline,
      assets: payload.assets,
      logsPath: payload.logsPath ?? null,
      selectedNext: payload.selectedNext ?? null
    })

    const apply = Spans.fn("Callbacks.apply")(function*(runId: string, payload: CallbackPayload) {
      const outputInline = yield* inlineOutputOf(payload)
      if (payload.status === "success" && payload.selectedNext !== undefined && payload.selectedNext.length > 0) {
        yield* checkSelection(runId, payload.selectedNext)
      }
      const check: ScopeCheck = (pipelineRunId) => callbackPathsIssue(runId, pipelineRunId, payload)
      const applied = payload.status === "success"
        ? results.complete(runId, payload.attempt, successOf(payload, outputInline), check)
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

    /**
     * `apply` for the callbacks of one request: successes of standalone runs this process
     * dispatched (no `selectedNext`, no idempotency key) are checked and written together
     * (`RunResults.completeDispatched`); every other one goes through `apply`, all at once. Each
     * one's outcome, in order.
     */
    const applyAll = Spans.fn("Callbacks.applyAll")(function*(
      items: ReadonlyArray<{ readonly runId: string; readonly payload: CallbackPayload }>
    ) {
      type Outcome = Exit.Exit<ResultApplied, ValidationError | NotFound | Conflict>
      const outcomes: Array<Outcome | undefined> = items.map(() => undefined)
      const batch: Array<{
        readonly index: number
        readonly runId: string
        readonly attempt: number
        readonly result: AttemptSuccess
        readonly check: ScopeCheck
      }> = []
      for (const [index, { payload, runId }] of items.entries()) {
        if (payload.status !== "success" || (payload.selectedNext !== undefined && payload.selectedNext.length > 0)) continue
        const outputInline = inlineOutputOf(payload)
        if (Either.isLeft(outputInline)) {
          outcomes[index] = Exit.fail(outputInline.left)
          continue
        }
        batch.push({
          index,
          runId,
          attempt: payload.attempt,
          result: successOf(payload, outputInline.right),
          check: (pipelineRunId) => callbackPathsIssue(runId, pipelineRunId, payload)
        })
      }
      const written = batch.length === 0 ? [] : yield* results.completeDispatched(batch)
      for (const [i, { attempt, index, runId }] of batch.entries()) {
        const exit = written[i]
        if (exit === undefined) continue
        outcomes[index] = exit
        if (Exit.isFailure(exit) && Cause.failureOption(exit.cause).pipe(Option.exists((e) => e._tag === "Conflict"))) {
          yield* taskRuns.recordLateCallback(runId, attempt, "success")
        }
      }
      const rest = items.flatMap((item, index) => outcomes[index] === undefined ? [{ runId: item.runId, payload: item.payload, index }] : [])
      yield* Effect.forEach(rest, ({ index, payload, runId }) =>
        Effect.map(Effect.exit(apply(runId, payload)), (exit) => {
          outcomes[index] = exit
        }), { concurrency: "unbounded", discard: true })
      return outcomes as ReadonlyArray<Outcome>
    })

    return { apply, applyAll } as const
  })
}) {}
