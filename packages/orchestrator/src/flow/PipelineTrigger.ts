import { NotFound, ValidationError } from "@pipeweave/domain/Errors"
import type { TriggerRequest } from "@pipeweave/domain/Pipeline"
import { describeProblem, structureVersion } from "@pipeweave/domain/pipeline/PipelineStructure"
import { initialState } from "@pipeweave/domain/pipeline/Routing"
import * as StorageKeys from "@pipeweave/domain/StorageKeys"
import { StorageBackends } from "@pipeweave/storage/StorageBackends"
import { Effect, Either, Option } from "effect"
import { OrchestratorConfig } from "../Config.js"
import { newPipelineRunId, newTaskRunId } from "../Ids.js"
import type { NewPipelineRun } from "../store/PipelineRuns.js"
import { Registry } from "../store/Registry.js"
import { TaskRuns } from "../store/TaskRuns.js"
import { InlineClaims } from "./InlineClaims.js"
import { inlineJson } from "./InlinePayload.js"
import { withStoredInputs } from "./StoredInputs.js"
import { PipelineCatalog } from "./PipelineCatalog.js"
import { RoutingStates } from "./RoutingStates.js"
import { firstAttempt, RunTokens } from "./RunTokens.js"
import { Wakeups } from "./Wakeups.js"
import * as Spans from "@pipeweave/domain/Spans"

/**
 * Starts a pipeline run: validates the pipeline as registered now, stores its structure snapshot
 * (later deployments never change the run), keeps the input (inline when small), and inserts the
 * pipeline run and one task run per task — the entry tasks `pending`, the others `waiting` — in one
 * statement, which also claims the entry tasks as it inserts them when the scheduling loop lends
 * its claim (`InlineClaims`); when that fails, a stored input is removed again.
 */
export class PipelineTrigger extends Effect.Service<PipelineTrigger>()("@pipeweave/orchestrator/PipelineTrigger", {
  effect: Effect.gen(function*() {
    const catalog = yield* PipelineCatalog
    const registry = yield* Registry
    const taskRuns = yield* TaskRuns
    const backends = yield* StorageBackends
    const config = yield* OrchestratorConfig
    const inline = yield* InlineClaims
    const tokens = yield* RunTokens
    const wakeups = yield* Wakeups
    const states = yield* RoutingStates

    const trigger = Spans.fn("PipelineTrigger.trigger")(function*(pipelineId: string, request: TriggerRequest) {
      const pipeline = yield* Effect.flatMap(catalog.find(pipelineId), Option.match({
        onNone: () => Effect.fail(NotFound.of("pipeline", pipelineId)),
        onSome: Effect.succeed
      }))
      if (Either.isLeft(pipeline.structure)) {
        return yield* new ValidationError({
          field: "pipeline",
          message: `pipeline '${pipelineId}' cannot run: ${pipeline.structure.left.map(describeProblem).join("; ")}`
        })
      }
      const structure = pipeline.structure.right
      const routing = initialState(structure)
      const tasks = yield* registry.tasksById(Object.keys(structure.tasks))
      const runId = newPipelineRunId()
      const inputPath = StorageKeys.pipelineInput(runId)
      const backend = backends.default
      const pipelineVersion = structureVersion(structure)
      const input = inlineJson(request.input, config.inlinePayloadBytes)
      const inputInline = input.inline ? input.json : null
      const entry = new Set(structure.entry)
      const runs = Object.keys(structure.tasks).map((taskId) => ({
        id: newTaskRunId(),
        taskId,
        pipelineRunId: runId,
        status: entry.has(taskId) ? "pending" as const : "waiting" as const,
        priority: request.priority ?? tasks.get(taskId)!.priority,
        retries: tasks.get(taskId)!.retries,
        storageBackend: backend.config.id,
        inputPath,
        inputInline,
        metadata: request.metadata
      }))
      const pipelineRun: NewPipelineRun = {
        id: runId,
        pipelineId,
        failureMode: request.failureMode,
        priority: request.priority ?? null,
        pipelineVersion,
        structure,
        routing,
        inputPath,
        inputInline,
        storageBackend: backend.config.id,
        metadata: request.metadata
      }
      const stored = input.inline ? [] : [{ key: inputPath, json: input.json }]
      const { passNeeded } = yield* withStoredInputs(
        backend,
        stored,
        inline.claimingWrite(entry.size, (limit, orchestratorId) =>
          Effect.zipRight(
            tokens.mintForInsert(runs, limit, backend.config, (taskId) => tasks.get(taskId)!.timeoutSeconds),
            taskRuns.insert(runs, { limit, orchestratorId }, pipelineRun)
          ))
      )
      const waiting = tokens.mintsAhead
        ? new Map(runs.flatMap((run) =>
          run.status === "waiting" ? [[run.taskId, firstAttempt(run, backend.config, tasks.get(run.taskId)!.timeoutSeconds)] as const] : []
        ))
        : undefined
      yield* states.saw(runId, { structure, failureMode: request.failureMode, routing, ...(waiting === undefined ? {} : { waiting }) })
      if (passNeeded) yield* wakeups.wake
      return { pipelineRunId: runId, status: "running" as const, pipelineVersion, inputPath }
    })

    return { trigger } as const
  })
}) {}
