import { Conflict, NotFound } from "@pipeweave/domain/Errors"
import { cancelRun, cancelTask } from "@pipeweave/domain/pipeline/Routing"
import type { PipelineRunDetail } from "@pipeweave/domain/Pipeline"
import { Effect, Option } from "effect"
import { IdempotencyKeys } from "../store/IdempotencyKeys.js"
import { PipelineRunReads } from "../store/PipelineRunReads.js"
import { PipelineRuns } from "../store/PipelineRuns.js"
import { TaskRunReads } from "../store/TaskRunReads.js"
import { TaskRuns } from "../store/TaskRuns.js"
import { Transactions } from "../store/Transactions.js"
import { RunSlots } from "./RunSlots.js"
import { Wakeups } from "./Wakeups.js"
import * as Spans from "@pipeweave/domain/Spans"

const TASK_RUN_REASON = "cancelled by an operator"
const PIPELINE_RUN_REASON = "cancelled by an operator (pipeline run cancelled)"

/**
 * An operator stops runs. A task run not yet ended is cancelled at once, in flight or not: a
 * worker running it learns it at its next heartbeat (the SDK interrupts the handler) and its
 * callback is refused, so the run is neither retried nor dead-lettered. A task of a pipeline run
 * counts as failed for the pipeline's routing. A pipeline run cancels every task not yet ended and
 * ends `cancelled`. Cancelling a cancelled run answers its state again; a run that ended otherwise
 * is a `Conflict`. A run this process claimed ahead and has not dispatched yet is dropped, not sent.
 */
export class Cancellations extends Effect.Service<Cancellations>()("@pipeweave/orchestrator/Cancellations", {
  effect: Effect.gen(function*() {
    const taskRuns = yield* TaskRuns
    const pipelineRuns = yield* PipelineRuns
    const keys = yield* IdempotencyKeys
    const tx = yield* Transactions
    const taskRunReads = yield* TaskRunReads
    const pipelineRunReads = yield* PipelineRunReads
    const wakeups = yield* Wakeups
    const slots = yield* RunSlots

    /** Cancels the run under its pipeline run's lock (taken first, as `RunResults` does); tells whether it did. */
    const cancelLocked = (runId: string) =>
      tx.run(Effect.gen(function*() {
        const pipeline = yield* pipelineRuns.lockOf(runId)
        const cancelled = yield* taskRuns.cancel(runId, TASK_RUN_REASON)
        if (cancelled === undefined) return false
        yield* keys.releaseFor(runId)
        if (Option.isSome(pipeline)) {
          const { run, taskId } = pipeline.value
          const state = run.routing.tasks[taskId]
          if (run.status === "running" && (state === "started" || state === "waiting")) {
            const transition = cancelTask(run.structure, run.routing, taskId, run.failureMode)
            yield* taskRuns.route(run.id, transition)
            yield* pipelineRuns.saveRouting(run.id, transition.state, transition.outcome)
          }
        }
        return true
      }))

    const cancelTaskRun = Spans.fn("Cancellations.cancelTaskRun")(function*(runId: string) {
      const cancelled = yield* cancelLocked(runId)
      const run = yield* taskRunReads.get(runId)
      if (Option.isNone(run)) return yield* NotFound.of("task run", runId)
      if (cancelled) {
        yield* slots.dropParked([runId])
        yield* Effect.logInfo("task run cancelled").pipe(
          Effect.annotateLogs({ taskRunId: runId, taskId: run.value.taskId, pipelineRunId: run.value.pipelineRunId })
        )
        yield* wakeups.wake
        return run.value
      }
      if (run.value.status === "cancelled") return run.value
      return yield* new Conflict({
        message: `task run ${runId} has already ended (status ${run.value.status}); only a run not yet ended can be cancelled`,
        currentStatus: run.value.status
      })
    })

    const cancelPipelineRun = Spans.fn("Cancellations.cancelPipelineRun")(function*(pipelineRunId: string) {
      const outcome = yield* tx.run(Effect.gen(function*() {
        const locked = yield* pipelineRuns.lock(pipelineRunId)
        if (Option.isNone(locked)) return yield* NotFound.of("pipeline run", pipelineRunId)
        const run = locked.value
        if (run.status === "cancelled") return Option.none()
        if (run.status !== "running") {
          return yield* new Conflict({
            message:
              `pipeline run ${pipelineRunId} has already ended (status ${run.status}); only a running run can be cancelled`,
            currentStatus: run.status
          })
        }
        const cancelled = yield* taskRuns.cancelAllOf(pipelineRunId, PIPELINE_RUN_REASON)
        yield* Effect.forEach(cancelled, (r) => keys.releaseFor(r.id), { discard: true })
        yield* pipelineRuns.saveRouting(pipelineRunId, cancelRun(run.routing).state, "cancelled")
        return Option.some(cancelled)
      }))
      if (Option.isSome(outcome)) {
        yield* slots.dropParked(outcome.value.map((r) => r.id))
        yield* Effect.logInfo("pipeline run cancelled").pipe(
          Effect.annotateLogs({ pipelineRunId, taskRunIds: outcome.value.map((r) => r.id).join(",") })
        )
        yield* wakeups.wake
      }
      const detail = yield* pipelineRunReads.run(pipelineRunId)
      return yield* Option.match(detail, {
        onNone: () => Effect.fail(NotFound.of("pipeline run", pipelineRunId)),
        onSome: (d) => Effect.succeed<PipelineRunDetail>(d)
      })
    })

    return { cancelTaskRun, cancelPipelineRun } as const
  })
}) {}
