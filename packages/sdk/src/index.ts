/**
 * PipeWeave worker SDK, Promise API: `createWorker`, `runLocal`, structured errors and types.
 * Effect users import from `@pipeweave/sdk/effect`.
 *
 * @module
 */
export type { AssetType } from "./internal/AssetStore.js"
export type { TaskContext, TaskHandler } from "./internal/PromiseContext.js"
export { createWorker, runLocal, type Worker } from "./internal/PromiseWorker.js"
export type { RunLocalOptions } from "./internal/runLocalAttempt.js"
export type { TaskLogger } from "./internal/TaskContext.js"
export type { TaskOptions } from "./internal/TaskDefinition.js"
export { RateLimited, TaskError, type TaskErrorOptions, Timeout } from "./internal/TaskErrors.js"
export { TaskResult } from "./internal/TaskResult.js"
export type { WorkerConfig } from "./internal/WorkerConfig.js"
export type { PipelineOptions } from "./internal/WorkerDefinition.js"
export type { WorkerLogger } from "./internal/WorkerLog.js"
