import { NotFound } from "@pipeweave/domain/Errors"
import type { DryRunResult } from "@pipeweave/domain/Pipeline"
import { executionPlan, formatPlan } from "@pipeweave/domain/pipeline/ExecutionPlan"
import { describeProblem, structureVersion } from "@pipeweave/domain/pipeline/PipelineStructure"
import { Effect, Either, Option } from "effect"
import { Registry } from "../store/Registry.js"
import { PipelineCatalog } from "./PipelineCatalog.js"

/**
 * Validates a pipeline and lays out its execution plan, touching nothing: tasks exist, no
 * cycle, joins have their predecessors, and warnings for limits that shape the run.
 */
export class DryRun extends Effect.Service<DryRun>()("@pipeweave/orchestrator/DryRun", {
  effect: Effect.gen(function*() {
    const catalog = yield* PipelineCatalog
    const registry = yield* Registry

    const validate = (pipelineId: string) =>
      Effect.gen(function*() {
        const pipeline = yield* Effect.flatMap(catalog.find(pipelineId), Option.match({
          onNone: () => Effect.fail(NotFound.of("pipeline", pipelineId)),
          onSome: Effect.succeed
        }))
        if (Either.isLeft(pipeline.structure)) {
          return {
            pipelineId,
            valid: false,
            pipelineVersion: null,
            plan: [],
            lines: [],
            warnings: [],
            problems: pipeline.structure.left.map(describeProblem)
          } satisfies DryRunResult
        }
        const structure = pipeline.structure.right
        const tasks = yield* registry.tasksById(Object.keys(structure.tasks))
        const warnings: Array<string> = []
        for (const id of Object.keys(structure.tasks)) {
          const task = tasks.get(id)!
          if (task.concurrency > 0) warnings.push(`Task '${id}' has concurrency limit of ${task.concurrency}`)
          if (task.retries === 0) warnings.push(`Task '${id}' has no retries: one failure ends it`)
        }
        const services = [...new Set([...tasks.values()].map((t) => t.serviceId))]
        for (const serviceId of services) {
          if ((yield* registry.instances(serviceId)).length === 0) {
            warnings.push(`Service '${serviceId}' has no registered instance`)
          }
        }
        const plan = executionPlan(structure)
        return {
          pipelineId,
          valid: true,
          pipelineVersion: structureVersion(structure),
          plan,
          lines: formatPlan(plan),
          warnings,
          problems: []
        } satisfies DryRunResult
      })

    return { validate } as const
  })
}) {}
