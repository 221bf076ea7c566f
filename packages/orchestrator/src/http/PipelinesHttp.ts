import { HttpApiBuilder } from "@effect/platform"
import { NotFound } from "@pipeweave/domain/Errors"
import { OrchestratorApi } from "@pipeweave/domain/OrchestratorApi"
import { Effect, Option } from "effect"
import { Cancellations } from "../flow/Cancellations.js"
import { DryRun } from "../flow/DryRun.js"
import { PipelineCatalog } from "../flow/PipelineCatalog.js"
import { PipelineTrigger } from "../flow/PipelineTrigger.js"
import { PipelineRunReads } from "../store/PipelineRunReads.js"

export const PipelinesHttp = HttpApiBuilder.group(OrchestratorApi, "pipelines", (handlers) =>
  Effect.gen(function*() {
    const catalog = yield* PipelineCatalog
    const pipelines = yield* PipelineTrigger
    const reads = yield* PipelineRunReads
    const dryRun = yield* DryRun
    const cancellations = yield* Cancellations
    return handlers
      .handle("list", () => catalog.list)
      .handle("trigger", ({ path, payload }) => pipelines.trigger(path.id, payload))
      .handle("dryRun", ({ path }) => dryRun.validate(path.id))
      .handle("runs", ({ urlParams }) => reads.runs(urlParams))
      .handle("run", ({ path }) =>
        reads.run(path.id).pipe(
          Effect.flatMap(Option.match({
            onNone: () => Effect.fail(NotFound.of("pipeline run", path.id)),
            onSome: Effect.succeed
          }))
        ))
      .handle("cancelRun", ({ path }) => cancellations.cancelPipelineRun(path.id))
  }))
