import { makeLocalStorage } from "@pipeweave/storage/LocalStorage"
import { StorageError } from "@pipeweave/storage/StorageError"
import { Effect } from "effect"
import type { StorageFactory } from "./StorageRegistry.js"

export const storageFactory: StorageFactory = (config) =>
  config.provider === "local"
    ? makeLocalStorage({ id: config.id, basePath: config.credentials.basePath })
    : Effect.fail(new StorageError({ operation: "open", key: config.id, cause: new Error("TEMP: provider not wired") }))
