/**
 * PipeWeave worker SDK, Effect API: `Worker.make(config)`, `Worker.layer(worker, { port })`,
 * `Worker.runLocal`, with handlers returning Effects that fail with the domain's tagged errors.
 *
 * @module
 */
export { RateLimited, TaskError, Timeout } from "@pipeweave/domain/TaskErrors"
export type { AssetType } from "./internal/AssetStore.js"
export { AssetNotFound, type AssetError, InvalidAsset, StorageFailure } from "./internal/AttemptErrors.js"
export * as Worker from "./internal/EffectWorker.js"
export { RegistrationFailed } from "./internal/registerWorker.js"
export { ListenFailed, type ListenOptions } from "./internal/serveWorker.js"
export type { TaskContext, TaskLogger } from "./internal/TaskContext.js"
export type { TaskOptions } from "./internal/TaskDefinition.js"
export { TaskResult } from "./internal/TaskResult.js"
export { InvalidWorkerConfig, type WorkerConfig } from "./internal/WorkerConfig.js"
export type { PipelineOptions } from "./internal/WorkerDefinition.js"
export type { WorkerLogger } from "./internal/WorkerLog.js"
