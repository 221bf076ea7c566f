import { HttpApiBuilder } from "@effect/platform"
import { NotFound } from "@pipeweave/domain/Errors"
import { OrchestratorApi } from "@pipeweave/domain/OrchestratorApi"
import { Effect, Option } from "effect"
import { DryRun } from "../pipeline/DryRun.js"
import { PipelineCatalog } from "../pipeline/PipelineCatalog.js"
import { PipelineEngine } from "../pipeline/PipelineEngine.js"
import { PipelineReads } from "../pipeline/PipelineReads.js"
import { Scheduler } from "../scheduler/Scheduler.js"

export const PipelinesHttp = HttpApiBuilder.group(OrchestratorApi, "pipelines", (handlers) =>
  Effect.gen(function*() {
    const catalog = yield* PipelineCatalog
    const engine = yield* PipelineEngine
    const reads = yield* PipelineReads
    const dryRun = yield* DryRun
    const scheduler = yield* Scheduler
    return handlers
      .handle("list", () => catalog.list)
      .handle("trigger", ({ path, payload }) => engine.trigger(path.id, payload).pipe(Effect.tap(() => scheduler.wake)))
      .handle("dryRun", ({ path }) => dryRun.validate(path.id))
      .handle("runs", ({ urlParams }) => reads.runs(urlParams))
      .handle("run", ({ path }) =>
        reads.run(path.id).pipe(
          Effect.flatMap(Option.match({
            onNone: () => Effect.fail(NotFound.of("pipeline run", path.id)),
            onSome: Effect.succeed
          }))
        ))
  }))
