import { HttpApiBuilder } from "@effect/platform"
import { NotFound } from "@pipeweave/domain/Errors"
import { OrchestratorApi } from "@pipeweave/domain/OrchestratorApi"
import { Clock, Effect, Option } from "effect"
import { Cancellations } from "../flow/Cancellations.js"
import { Submissions } from "../flow/Submissions.js"
import { TaskRunReads } from "../store/TaskRunReads.js"

export const QueueHttp = HttpApiBuilder.group(OrchestratorApi, "queue", (handlers) =>
  Effect.gen(function*() {
    const submissions = yield* Submissions
    const reads = yield* TaskRunReads
    const cancellations = yield* Cancellations
    return handlers
      .handle("queueTask", ({ payload }) =>
        submissions.submit([payload], () => "taskId").pipe(
          Effect.map(([run]) => ({ runId: run!.runId, status: "queued" as const, taskId: run!.taskId, inputPath: run!.inputPath }))
        ))
      .handle("queueBatch", ({ payload }) =>
        submissions.submit(payload.tasks, (i) => `tasks[${i}].taskId`).pipe(
          Effect.map((runs) => ({
            queued: runs.length,
            results: runs.map(({ runId, taskId }) => ({ runId, taskId, status: "queued" as const }))
          }))
        ))
      .handle("status", () => reads.status)
      .handle("throughput", () => Effect.flatMap(Clock.currentTimeMillis, reads.throughput))
      .handle("items", ({ urlParams }) => reads.items(urlParams))
      .handle("taskRun", ({ path }) =>
        reads.get(path.id).pipe(
          Effect.flatMap(Option.match({
            onNone: () => Effect.fail(NotFound.of("task run", path.id)),
            onSome: Effect.succeed
          }))
        ))
      .handle("cancelTaskRun", ({ path }) => cancellations.cancelTaskRun(path.id))
  }))
