import { Command, Options } from "@effect/cli"
import { StorageContent } from "@pipeweave/domain/api/StorageApi"
import { QueueTaskRequest, QueueTaskResponse } from "@pipeweave/domain/Queue"
import { TaskRun } from "@pipeweave/domain/TaskRun"
import { Console, Effect, Option, Schema } from "effect"
import { type ApiOptions, apiOptions } from "../ApiOptions.js"
import { inputOption, parseInput, pollIntervalOption, priorityOption, taskIdArg } from "../Arguments.js"
import { CliFailure } from "../CliFailure.js"
import { callOrchestrator, type OrchestratorClient, readStorage } from "../OrchestratorClient.js"
import { printJson } from "../Output.js"
import { failureLine, isTerminal } from "../TaskRunView.js"

const pollUntilDone = (client: OrchestratorClient, runId: string, intervalMs: number, quiet: boolean) => {
  const poll = (seen: string | undefined): Effect.Effect<TaskRun, unknown> =>
    Effect.flatMap(client.queue.taskRun({ path: { id: runId } }), (run) => {
      const note = run.status === seen || quiet ? Effect.void : Console.error(`${runId}: ${run.status} (attempt ${run.attempt})`)
      return isTerminal(run.status)
        ? Effect.as(note, run)
        : note.pipe(Effect.zipRight(Effect.sleep(intervalMs)), Effect.zipRight(Effect.suspend(() => poll(run.status))))
    })
  return poll(undefined)
}

const outputText = (stored: StorageContent): string =>
  stored.encoding === "json"
    ? JSON.stringify(stored.content, null, 2)
    : stored.encoding === "utf8"
    ? String(stored.content)
    : `(binary output, ${stored.size} bytes, at ${stored.path})`

const WaitAnswer = Schema.Struct({ run: TaskRun, output: Schema.NullOr(StorageContent) })

const finish = (options: ApiOptions, run: TaskRun) =>
  Effect.gen(function*() {
    const output = run.status === "completed" && run.outputPath !== null
      ? Option.some(yield* readStorage(options, run.outputPath))
      : Option.none()
    if (options.json) yield* printJson(WaitAnswer, { run, output: Option.getOrNull(output) })
    else if (Option.isSome(output)) yield* Console.log(outputText(output.value))
    if (run.status !== "completed") return yield* CliFailure.failed(failureLine(run))
  })

/** `pipeweave queue <taskId> -i '<json>' [--priority n] [--wait]`: queues a standalone task run. */
export const QueueCommand = Command.make(
  "queue",
  {
    ...apiOptions,
    taskId: taskIdArg,
    input: inputOption.pipe(
      Options.withDefault("{}"),
      Options.withDescription("Task input as JSON (default {})")
    ),
    priority: priorityOption.pipe(Options.withDescription("Lower runs first (default: the task's priority, 100)")),
    wait: Options.boolean("wait").pipe(
      Options.withDescription("Poll until the run completes, fails or is cancelled; print its output (exit 1 on failure)")
    ),
    pollInterval: pollIntervalOption
  },
  (options) =>
    Effect.gen(function*() {
      const input = yield* parseInput(options.input)
      const request = new QueueTaskRequest({
        taskId: options.taskId,
        input,
        ...Option.match(options.priority, { onNone: () => ({}), onSome: (priority) => ({ priority }) })
      })
      const queued = yield* callOrchestrator(options, (client) => client.queue.queueTask({ payload: request }))
      if (!options.wait) {
        return yield* options.json
          ? printJson(QueueTaskResponse, queued)
          : Console.log(`queued ${queued.runId} (task ${queued.taskId}, input ${queued.inputPath})`)
      }
      if (!options.json) yield* Console.error(`queued ${queued.runId}; waiting for it to finish (Ctrl-C stops waiting, not the run)`)
      const run = yield* callOrchestrator(options, (client) => pollUntilDone(client, queued.runId, options.pollInterval, options.json))
      yield* finish(options, run)
    })
).pipe(Command.withDescription(
  "Queue a standalone task (POST /api/queue/task); --wait polls GET /api/task-runs/:id and prints the output " +
    "(with --json: { run, output })"
))
