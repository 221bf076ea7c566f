import { completeTask, failTask, retryTask, type Transition } from "@pipeweave/domain/pipeline/Routing"
import { Effect } from "effect"
import { newTaskRunId } from "../Ids.js"
import { type LockedRun, PipelineRuns } from "../store/PipelineRuns.js"
import { Registry } from "../store/Registry.js"
import { TaskRuns } from "../store/TaskRuns.js"
import { RoutingStates, type SeenRouting } from "./RoutingStates.js"
import * as Spans from "@pipeweave/domain/Spans"

/**
 * Moves pipeline runs along: each task's completion or final failure is routed by the pure rules
 * of `domain/pipeline/Routing` against the run's own structure snapshot, under the run's lock, in
 * the transaction that records the task's result (a completion's routing in the very statement
 * that records it: `planCompletion`, then `TaskRuns.complete`).
 */
export class PipelineRouting extends Effect.Service<PipelineRouting>()("@pipeweave/orchestrator/PipelineRouting", {
  effect: Effect.gen(function*() {
    const taskRuns = yield* TaskRuns
    const pipelineRuns = yield* PipelineRuns
    const registry = yield* Registry
    const states = yield* RoutingStates

    /** Applies `transition`. */
    const apply = (run: LockedRun, transition: Transition) =>
      Effect.zipRight(
        taskRuns.route(run.id, transition),
        pipelineRuns.saveRouting(run.id, transition.state, transition.outcome)
      )

    /**
     * The transition a completion of `taskId` makes in `run` (locked, or as last seen), for
     * `TaskRuns.complete` to apply with the completion; `undefined` when the task is not started
     * in its routing.
     */
    const planCompletion = (run: SeenRouting, taskId: string, selected: ReadonlyArray<string> | null): Transition | undefined =>
      run.routing.tasks[taskId] === "started"
        ? completeTask(run.structure, run.routing, taskId, selected, run.failureMode)
        : undefined

    const routeFailure = Spans.fn("PipelineRouting.routeFailure")(function*(run: LockedRun, taskId: string) {
      yield* states.forget(run.id)
      if (run.routing.tasks[taskId] !== "started") return
      yield* apply(run, failTask(run.structure, run.routing, taskId, run.failureMode))
    })

    /** A dead letter of this run was retried: its failed edges are undecided again and the run goes on. */
    const resume = Spans.fn("PipelineRouting.resume")(function*(run: LockedRun, retriedTaskId: string) {
      yield* states.forget(run.id)
      const resumption = retryTask(run.structure, run.routing, retriedTaskId)
      const again = [
        ...resumption.start.filter((id) => id !== retriedTaskId).map((taskId) => ({ taskId, status: "pending" as const })),
        ...resumption.reopen.map((taskId) => ({ taskId, status: "waiting" as const }))
      ]
      const tasks = yield* registry.tasksById(again.map((t) => t.taskId))
      yield* taskRuns.insert(again.flatMap(({ status, taskId }) => {
        const task = tasks.get(taskId)
        return task === undefined ? [] : [{
          id: newTaskRunId(),
          taskId,
          pipelineRunId: run.id,
          status,
          priority: run.priority ?? task.priority,
          retries: task.retries,
          storageBackend: run.storageBackend,
          inputPath: run.inputPath,
          inputInline: run.inputInline,
          metadata: run.metadata ?? undefined,
          traceparent: run.traceparent
        }]
      }))
      yield* pipelineRuns.saveRouting(run.id, resumption.state, null)
    })

    return { planCompletion, routeFailure, resume } as const
  })
}) {}
