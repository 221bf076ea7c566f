import { Command, Options } from "@effect/cli"
import { PipelineRunStatus, RunsPage } from "@pipeweave/domain/Pipeline"
import { Effect, Option } from "effect"
import { apiOptions } from "../ApiOptions.js"
import { pageOptions, pipelineOption } from "../Arguments.js"
import { callOrchestrator } from "../OrchestratorClient.js"
import { elapsed, pageFooter, present, table, time } from "../Output.js"

const render = (page: typeof RunsPage.Type): string => {
  if (page.items.length === 0) {
    return page.total === 0 ? "No pipeline runs match." : `No pipeline runs at offset ${page.offset} (total ${page.total}).`
  }
  const rows = page.items.map((run) => [
    run.runId,
    run.pipelineId,
    run.status,
    run.failureMode,
    run.pipelineVersion,
    time(run.createdAt),
    run.completedAt === null ? "-" : elapsed(run.createdAt, run.completedAt)
  ])
  return `${table(["RUN", "PIPELINE", "STATUS", "FAILURE MODE", "VERSION", "CREATED", "TOOK"], rows)}\n` +
    pageFooter(page, rows.length)
}

/** `pipeweave runs [--pipeline id] [--status s] [--limit n] [--offset n]`: pipeline runs, newest first. */
export const RunsCommand = Command.make(
  "runs",
  {
    ...apiOptions,
    pipeline: pipelineOption,
    status: Options.choice("status", PipelineRunStatus.literals).pipe(
      Options.optional,
      Options.withDescription("Only runs in this state")
    ),
    ...pageOptions
  },
  (options) =>
    callOrchestrator(options, (client) =>
      Effect.flatMap(
        client.pipelines.runs({
          urlParams: {
            limit: options.limit,
            offset: options.offset,
            ...Option.match(options.pipeline, { onNone: () => ({}), onSome: (pipelineId) => ({ pipelineId }) }),
            ...Option.match(options.status, { onNone: () => ({}), onSome: (status) => ({ status }) })
          }
        }),
        (page) => present(options.json, RunsPage, page, render)
      ))
).pipe(Command.withDescription("List pipeline runs, newest first (GET /api/runs); `status prun_…` shows one"))
