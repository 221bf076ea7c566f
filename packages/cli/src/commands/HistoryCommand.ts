import { Command } from "@effect/cli"
import { CodeHistoryEntry } from "@pipeweave/domain/Service"
import { Effect, Schema } from "effect"
import { apiOptions } from "../ApiOptions.js"
import { taskIdArg } from "../Arguments.js"
import { callOrchestrator } from "../OrchestratorClient.js"
import { present, table, time } from "../Output.js"

const HistoryAnswer = Schema.Array(CodeHistoryEntry)

const historyTable = (entries: typeof HistoryAnswer.Type): string =>
  table(
    ["CODE", "HASH", "SERVICE VERSION", "RECORDED"],
    entries.map((e) => [`v${e.code_version}`, e.code_hash, e.service_version, time(e.recorded_at)])
  )

/** `pipeweave history <taskId>`: the task's code changes, newest first. */
export const HistoryCommand = Command.make(
  "history",
  { ...apiOptions, taskId: taskIdArg },
  (options) =>
    callOrchestrator(options, (client) =>
      Effect.flatMap(
        client.services.history({ path: { id: options.taskId } }),
        (history) => present(options.json, HistoryAnswer, history, historyTable)
      ))
).pipe(Command.withDescription("Show a task's code version history (GET /api/tasks/:id/history)"))
