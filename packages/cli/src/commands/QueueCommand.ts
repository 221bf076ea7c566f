import { Command, Options } from "@effect/cli"
import { StorageContent } from "@pipeweave/domain/api/StorageApi"
import { QueueTaskRequest, QueueTaskResponse } from "@pipeweave/domain/Queue"
import { TaskRun } from "@pipeweave/domain/TaskRun"
import { Console, Effect, Option, Schema } from "effect"
import { type ApiOptions, apiOptions } from "../ApiOptions.js"
import { inputOption, parseInput, pollIntervalOption, priorityOption, taskIdArg, timeoutOption } from "../Arguments.js"
import { CliFailure } from "../CliFailure.js"
import { liveRunOfTaskRun } from "../LiveView.js"
import { callOrchestrator, readStorage } from "../OrchestratorClient.js"
import { printJson } from "../Output.js"
import { followRun } from "../RunFollow.js"
import { failureLine, isTerminal } from "../TaskRunView.js"

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
      Options.withDescription(
        "Follow the run until it completes, fails or is cancelled (live view on stderr); print its output " +
          "(exit 1 on failure, 124 --timeout, 130 Ctrl+C)"
      )
    ),
    timeout: timeoutOption,
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
      const run = yield* callOrchestrator(options, (client) =>
        followRun(
          queued.runId,
          client.queue.taskRun({ path: { id: queued.runId } }),
          liveRunOfTaskRun,
          (run) => isTerminal(run.status),
          { intervalMs: options.pollInterval, timeoutMs: options.timeout, quiet: options.json, url: options.url }
        ))
      yield* finish(options, run)
    })
).pipe(Command.withDescription(
  "Queue a standalone task (POST /api/queue/task); --wait follows the run live and prints the output " +
    "(with --json: { run, output })"
))
