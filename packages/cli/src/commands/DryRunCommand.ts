import { Command, Options } from "@effect/cli"
import { DryRunRequest, DryRunResult } from "@pipeweave/domain/Pipeline"
import { Effect, Option } from "effect"
import { apiOptions } from "../ApiOptions.js"
import { inputOption, parseInput, pipelineArg } from "../Arguments.js"
import { CliFailure } from "../CliFailure.js"
import { callOrchestrator } from "../OrchestratorClient.js"
import { present } from "../Output.js"

const bullets = (title: string, items: ReadonlyArray<string>): ReadonlyArray<string> =>
  items.length === 0 ? [] : ["", `${title}:`, ...items.map((item) => `  - ${item}`)]

const renderDryRun = (result: DryRunResult): string =>
  (result.valid
    ? [
      `✓ Pipeline '${result.pipelineId}' validated`,
      "",
      "Execution plan:",
      ...result.lines.map((line) => `  ${line}`),
      ...bullets("Warnings", result.warnings)
    ]
    : [`✗ Pipeline '${result.pipelineId}' is invalid`, ...bullets("Problems", result.problems)]).join("\n")

/** `pipeweave dry-run <pipeline> [-i '<json>']`: validates a pipeline and prints its execution plan. */
export const DryRunCommand = Command.make(
  "dry-run",
  {
    ...apiOptions,
    pipeline: pipelineArg,
    input: inputOption.pipe(
      Options.optional,
      Options.withDescription("Input the run would get, as JSON (checked for syntax only; nothing runs)")
    )
  },
  (options) =>
    Effect.gen(function*() {
      const input = Option.isSome(options.input) ? { input: yield* parseInput(options.input.value) } : {}
      const result = yield* callOrchestrator(options, (client) =>
        client.pipelines.dryRun({ path: { id: options.pipeline }, payload: new DryRunRequest(input) }))
      yield* present(options.json, DryRunResult, result, renderDryRun)
      if (!result.valid) return yield* CliFailure.exit(1)
    })
).pipe(Command.withDescription(
  "Validate a pipeline and print its execution plan without running anything (POST /api/pipelines/:id/dry-run); " +
    "exit 1 when the pipeline is invalid"
))
