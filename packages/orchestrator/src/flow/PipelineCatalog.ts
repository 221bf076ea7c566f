import type { PipelineInfo } from "@pipeweave/domain/Pipeline"
import {
  describeProblem,
  type PipelineStructure,
  resolveStructure,
  type StructureProblem,
  structureVersion
} from "@pipeweave/domain/pipeline/PipelineStructure"
import { Clock, Effect, Either, Option } from "effect"
import { PipelineRunReads } from "../store/PipelineRunReads.js"
import { Registry, TASKS_SNAPSHOT_MS } from "../store/Registry.js"
import * as Spans from "@pipeweave/domain/Spans"

/** A pipeline as registered now, with its structure resolved from the registered tasks. */
export interface ResolvedPipeline {
  readonly id: string
  readonly declared: boolean
  readonly serviceId: string | null
  readonly description: string | null
  readonly entry: ReadonlyArray<string>
  readonly structure: Either.Either<PipelineStructure, ReadonlyArray<StructureProblem>>
}

/**
 * The pipelines of the registry: the ones workers declare (`worker.pipeline(id, { entry })`) and,
 * for every active task that no active task routes to, a pipeline named after that task. `find`
 * (a trigger's, a dry run's) answers from a read at most `TASKS_SNAPSHOT_MS` old that no
 * registration of this process has changed since, as task types are read (`Registry.tasksById`);
 * a pipeline it lacks, or holds as unable to run, is read again, so a pipeline registered or mended
 * through another orchestrator is found at once.
 */
export class PipelineCatalog extends Effect.Service<PipelineCatalog>()("@pipeweave/orchestrator/PipelineCatalog", {
  effect: Effect.gen(function*() {
    const registry = yield* Registry
    const runReads = yield* PipelineRunReads

    const all = Effect.gen(function*() {
      const declared = yield* registry.declaredPipelines
      const tasks = yield* registry.activeTasks
      const allowedNext = new Map(tasks.map((t) => [t.taskId, t.allowedNext]))
      const routedTo = new Set(tasks.flatMap((t) => t.allowedNext))
      const resolve = (entry: ReadonlyArray<string>) => resolveStructure(entry, (id) => allowedNext.get(id))
      const explicit = declared.map((p): ResolvedPipeline => ({
        id: p.pipelineId,
        declared: true,
        serviceId: p.serviceId,
        description: p.description,
        entry: p.entry,
        structure: resolve(p.entry)
      }))
      const names = new Set(explicit.map((p) => p.id))
      const implicit = tasks
        .filter((t) => !routedTo.has(t.taskId) && !names.has(t.taskId))
        .map((t): ResolvedPipeline => ({
          id: t.taskId,
          declared: false,
          serviceId: t.serviceId,
          description: null,
          entry: [t.taskId],
          structure: resolve([t.taskId])
        }))
      return [...explicit, ...implicit].sort((a, b) => a.id.localeCompare(b.id))
    }).pipe(Spans.withSpan("PipelineCatalog.all"))

    let snapshot: { readonly readAt: number; readonly changes: number; readonly pipelines: ReadonlyArray<ResolvedPipeline> } | undefined
    const read = Effect.gen(function*() {
      const readAt = yield* Clock.currentTimeMillis
      const changes = yield* registry.changesSeen
      const pipelines = yield* all
      snapshot = { readAt, changes, pipelines }
      return pipelines
    })

    const find = (id: string) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const changes = yield* registry.changesSeen
        const fresh = snapshot !== undefined && snapshot.changes === changes && now >= snapshot.readAt &&
            now - snapshot.readAt < TASKS_SNAPSHOT_MS
          ? snapshot.pipelines.find((p) => p.id === id)
          : undefined
        if (fresh !== undefined && Either.isRight(fresh.structure)) return Option.some(fresh)
        return Option.fromNullable((yield* read).find((p) => p.id === id))
      })

    const list = Effect.gen(function*() {
      const pipelines = yield* read
      const lastRuns = yield* runReads.lastRuns
      return pipelines.map((p): PipelineInfo => {
        const last = lastRuns.find((r) => r.pipelineId === p.id)
        const structure = Either.getOrUndefined(p.structure)
        return {
          id: p.id,
          declared: p.declared,
          serviceId: p.serviceId,
          description: p.description,
          entry: p.entry,
          tasks: structure ? Object.keys(structure.tasks) : [],
          edges: structure
            ? Object.entries(structure.tasks).flatMap(([from, t]) => t.allowedNext.map((to) => ({ from, to })))
            : [],
          version: structure ? structureVersion(structure) : null,
          problems: Either.isLeft(p.structure) ? p.structure.left.map(describeProblem) : [],
          lastRun: last ? { runId: last.id, status: last.status, createdAt: last.createdAt } : null
        }
      })
    })

    return { all, find, list } as const
  })
}) {}
