import { StorageBackends } from "@pipeweave/storage/StorageBackends"
import type { OrchestratorSettings } from "./Config.js"

/** The configured storage backends (`STORAGE_BACKENDS`, or a local one under the data directory). */
export const storageLayer = (settings: OrchestratorSettings) => StorageBackends.layer(settings.storage)
