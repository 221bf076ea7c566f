import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import { Crypto, type InvalidSecretKey } from "@pipeweave/storage/Crypto"
import { tracingLayer } from "@pipeweave/domain/OtlpTracing"
import { makeStorage } from "@pipeweave/storage/StorageFactory"
import { Layer, Redacted } from "effect"
import type { DispatchServices } from "./executeDispatch.js"
import { AttemptTimers } from "./AttemptTimers.js"
import { layerOrchestratorClient } from "./OrchestratorClient.js"
import { layerStorageRegistry, type StorageFactory } from "./StorageRegistry.js"
import type { ResolvedConfig } from "./WorkerConfig.js"
import { layerWorkerLog } from "./WorkerLog.js"
import { WorkerSettings } from "./WorkerSettings.js"

/** Everything a running worker uses. */
export type WorkerServices = DispatchServices | Crypto

/** The services of one worker: settings, logger, crypto, storage cache, orchestrator client, file system. */
export const workerServicesLayer = (
  config: ResolvedConfig,
  factory: StorageFactory = makeStorage
): Layer.Layer<WorkerServices, InvalidSecretKey> =>
  Layer.mergeAll(
    Layer.succeed(WorkerSettings, config),
    layerWorkerLog(config.logger, config.silent, config.log),
    Crypto.fromSecret(Redacted.make(config.secretKey)),
    layerStorageRegistry(factory),
    layerOrchestratorClient(config.orchestratorUrl),
    AttemptTimers.layer,
    NodeFileSystem.layer,
    NodePath.layer
  )

/** `workerServicesLayer` exporting spans over OTLP when the environment asks for it (`createWorker`). */
export const promiseWorkerLayer = (config: ResolvedConfig): Layer.Layer<WorkerServices, InvalidSecretKey> =>
  workerServicesLayer(config).pipe(Layer.provide(tracingLayer(config.tracing, config.serviceId)))
