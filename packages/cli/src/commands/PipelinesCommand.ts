import { Command } from "@effect/cli"
import { PipelineInfo } from "@pipeweave/domain/Pipeline"
import { Effect, Schema } from "effect"
import { apiOptions } from "../ApiOptions.js"
import { callOrchestrator } from "../OrchestratorClient.js"
import { list, present, table, time } from "../Output.js"

const PipelinesAnswer = Schema.Array(PipelineInfo)

const lastRun = (run: PipelineInfo["lastRun"]): string => (run === null ? "-" : `${run.status} ${run.runId} ${time(run.createdAt)}`)

const render = (pipelines: ReadonlyArray<PipelineInfo>): string => {
  if (pipelines.length === 0) {
    return "No pipelines yet (workers declare them, and every task nothing routes to is one, when they register)."
  }
  const rows = table(
    ["PIPELINE", "KIND", "ENTRY", "VERSION", "TASKS", "LAST RUN"],
    pipelines.map((p) => [
      p.id,
      p.declared ? "declared" : "implicit",
      list(p.entry),
      p.version ?? "(invalid)",
      String(p.tasks.length),
      lastRun(p.lastRun)
    ])
  )
  const invalid = pipelines.filter((p) => p.problems.length > 0)
  if (invalid.length === 0) return rows
  const problems = invalid.flatMap((p) => p.problems.map((problem) => `  - ${p.id}: ${problem}`))
  return `${rows}\n\nProblems:\n${problems.join("\n")}`
}

/** `pipeweave pipelines`: the pipelines registered now, their version and last run, and what is wrong with invalid ones. */
export const PipelinesCommand = Command.make(
  "pipelines",
  apiOptions,
  (options) =>
    callOrchestrator(options, (client) =>
      Effect.flatMap(client.pipelines.list(), (pipelines) => present(options.json, PipelinesAnswer, pipelines, render)))
).pipe(Command.withDescription(
  "List pipelines (GET /api/pipelines): declared by a worker or implicit (a task nothing routes to), " +
    "entry tasks, structure version, task count, last run; problems of invalid ones"
))
