import { NotFound } from "@pipeweave/domain/Errors"
import type { QueueTaskRequest } from "@pipeweave/domain/Queue"
import * as StorageKeys from "@pipeweave/domain/StorageKeys"
import { Effect } from "effect"
import { newTaskRunId } from "../Ids.js"
import { Registry } from "../registry/Registry.js"
import { StorageBackends } from "@pipeweave/storage/StorageBackends"
import { TaskQueue } from "./TaskQueue.js"

/** A queued standalone run. */
export interface Submitted {
  readonly runId: string
  readonly taskId: string
  readonly inputPath: string
}

/**
 * Queues standalone task runs: every task id is checked first (one unknown id queues nothing),
 * inputs are written to `standalone/{runId}/input.json` on the default backend, then the runs
 * are inserted in one statement.
 */
export class Submissions extends Effect.Service<Submissions>()("@pipeweave/orchestrator/Submissions", {
  effect: Effect.gen(function*() {
    const registry = yield* Registry
    const queue = yield* TaskQueue
    const backends = yield* StorageBackends

    const submit = (requests: ReadonlyArray<QueueTaskRequest>, field: (index: number) => string) =>
      Effect.gen(function*() {
        const tasks = yield* registry.tasksById(requests.map((r) => r.taskId))
        for (const [index, request] of requests.entries()) {
          const task = tasks.get(request.taskId)
          if (task === undefined || !task.active) {
            return yield* new NotFound({
              resource: "task",
              id: request.taskId,
              message: `${field(index)}: task '${request.taskId}' is not registered by any service`
            })
          }
        }
        const backend = backends.default
        const runs = requests.map((request) => {
          const task = tasks.get(request.taskId)!
          const id = newTaskRunId()
          return {
            id,
            taskId: request.taskId,
            pipelineRunId: null,
            status: "pending" as const,
            priority: request.priority ?? task.priority,
            retries: task.retries,
            storageBackend: backend.config.id,
            inputPath: StorageKeys.standaloneInput(id),
            metadata: request.metadata,
            input: request.input
          }
        })
        yield* Effect.forEach(
          runs,
          (run) => backend.put(run.inputPath, JSON.stringify(run.input ?? null), "application/json"),
          { concurrency: 16, discard: true }
        ).pipe(Effect.orDie)
        yield* queue.insertRuns(runs)
        return runs.map((run): Submitted => ({ runId: run.id, taskId: run.taskId, inputPath: run.inputPath }))
      }).pipe(Effect.withSpan("Submissions.submit"))

    return { submit } as const
  })
}) {}
