import { NotFound } from "@pipeweave/domain/Errors"
import type { QueueTaskRequest } from "@pipeweave/domain/Queue"
import * as StorageKeys from "@pipeweave/domain/StorageKeys"
import { StorageBackends } from "@pipeweave/storage/StorageBackends"
import { Effect } from "effect"
import { OrchestratorConfig } from "../Config.js"
import { newTaskRunId } from "../Ids.js"
import { Registry } from "../store/Registry.js"
import { TaskRuns } from "../store/TaskRuns.js"
import { inlineJson } from "./InlinePayload.js"
import { withStoredInputs } from "./StoredInputs.js"
import { InlineClaims } from "./InlineClaims.js"
import { RunTokens } from "./RunTokens.js"
import { Wakeups } from "./Wakeups.js"
import * as Spans from "@pipeweave/domain/Spans"

/** A queued standalone run. */
export interface Submitted {
  readonly runId: string
  readonly taskId: string
  readonly inputPath: string
}

/**
 * Queues standalone task runs: every task id is checked first (one unknown id queues nothing).
 * An input of at most `INLINE_PAYLOAD_BYTES` is kept in the database; a larger one is written to
 * `standalone/{runId}/input.json` on the default backend. The runs are inserted in one statement;
 * when that fails the written inputs are removed again.
 */
export class Submissions extends Effect.Service<Submissions>()("@pipeweave/orchestrator/Submissions", {
  effect: Effect.gen(function*() {
    const registry = yield* Registry
    const taskRuns = yield* TaskRuns
    const backends = yield* StorageBackends
    const config = yield* OrchestratorConfig
    const wakeups = yield* Wakeups
    const inline = yield* InlineClaims
    const tokens = yield* RunTokens

    const submit = Spans.fn("Submissions.submit")(function*(
      requests: ReadonlyArray<QueueTaskRequest>,
      field: (index: number) => string
    ) {
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
        const input = inlineJson(request.input, config.inlinePayloadBytes)
        return {
          id,
          taskId: request.taskId,
          pipelineRunId: null,
          status: "pending" as const,
          priority: request.priority ?? task.priority,
          retries: task.retries,
          storageBackend: backend.config.id,
          inputPath: StorageKeys.standaloneInput(id),
          inputInline: input.inline ? input.json : null,
          inputJson: input.json,
          metadata: request.metadata
        }
      })
      const stored = runs.filter((run) => run.inputInline === null).map((run) => ({ key: run.inputPath, json: run.inputJson }))
      const { passNeeded } = yield* withStoredInputs(
        backend,
        stored,
        inline.claimingWrite(runs.length, (limit, orchestratorId) =>
          Effect.zipRight(
            tokens.mintForInsert(runs, limit, backend.config, (taskId) => tasks.get(taskId)!.timeoutSeconds),
            taskRuns.insert(runs, { limit, orchestratorId })
          ))
      )
      if (passNeeded) yield* wakeups.wake
      return runs.map((run): Submitted => ({ runId: run.id, taskId: run.taskId, inputPath: run.inputPath }))
    })

    return { submit } as const
  })
}) {}
