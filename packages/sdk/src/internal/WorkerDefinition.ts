import { PipelineDeclaration } from "@pipeweave/domain/Registration"
import { Either, Schema } from "effect"
import { describeIssues } from "./formatIssues.js"
import type { CoreHandler } from "./TaskContext.js"
import type { TaskDefinition } from "./TaskDefinition.js"
import { type InvalidWorkerConfig, type ResolvedConfig, resolveConfig, type WorkerConfig } from "./WorkerConfig.js"

/** Options of `worker.pipeline(id, options)`. */
export interface PipelineOptions {
  /** The tasks a run of this pipeline starts with. */
  readonly entry: ReadonlyArray<string>
  readonly description?: string | undefined
}

const decodePipeline = Schema.decodeUnknownEither(PipelineDeclaration, { onExcessProperty: "error" })

/** Everything a worker declares, shared by the Promise facade and the Effect API. */
export class WorkerDefinition {
  readonly tasks = new Map<string, TaskDefinition>()
  readonly pipelines: Array<PipelineDeclaration> = []
  /** Code version per task, as the orchestrator last assigned it. */
  readonly codeVersions = new Map<string, number>()
  readonly config: Either.Either<ResolvedConfig, InvalidWorkerConfig>

  constructor(config: WorkerConfig) {
    this.config = resolveConfig(config)
  }

  addTask(task: TaskDefinition): void {
    if (this.tasks.has(task.id)) throw new Error(`[PipeWeave] task '${task.id}' is registered twice`)
    this.tasks.set(task.id, task)
  }

  addPipeline(id: string, options: PipelineOptions): void {
    const decoded = decodePipeline({ id, ...options })
    if (Either.isLeft(decoded)) throw new Error(`[PipeWeave] invalid pipeline '${id}': ${describeIssues(decoded.left)}`)
    if (this.pipelines.some((p) => p.id === id)) throw new Error(`[PipeWeave] pipeline '${id}' is declared twice`)
    this.pipelines.push(decoded.right)
  }

  /**
   * The same declarations with each handler transformed (the Effect API gives handlers the
   * services they require). Code versions and pipelines are shared with this definition.
   */
  mapHandlers(f: (handler: CoreHandler) => CoreHandler): WorkerDefinition {
    const tasks = new Map([...this.tasks].map(([id, task]) => [id, { ...task, handler: f(task.handler) }]))
    return Object.assign(Object.create(WorkerDefinition.prototype) as WorkerDefinition, this, { tasks })
  }
}
