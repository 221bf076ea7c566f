import { HttpApiBuilder } from "@effect/platform"
import { NotFound, ValidationError } from "@pipeweave/domain/Errors"
import { OrchestratorApi } from "@pipeweave/domain/OrchestratorApi"
import type { StorageContent } from "@pipeweave/domain/api/StorageApi"
import { isSafeKey } from "@pipeweave/domain/StorageKeys"
import { Effect, Option } from "effect"
import { StorageBackends } from "@pipeweave/storage/StorageBackends"
import { TaskRunReads } from "../store/TaskRunReads.js"

const decodeContent = (path: string, contentType: string, bytes: Uint8Array): StorageContent => {
  const text = () => Buffer.from(bytes).toString("utf8")
  const base = { path, contentType, size: bytes.byteLength }
  if (contentType.startsWith("application/json") || path.endsWith(".json")) {
    try {
      return { ...base, encoding: "json", content: JSON.parse(text()) }
    } catch {
      return { ...base, encoding: "utf8", content: text() }
    }
  }
  if (contentType.startsWith("text/") || path.endsWith(".jsonl")) return { ...base, encoding: "utf8", content: text() }
  return { ...base, encoding: "base64", content: Buffer.from(bytes).toString("base64") }
}

const shown = (key: string): string => JSON.stringify(key.length > 200 ? `${key.slice(0, 200)}…` : key)

/** A safe key the backend still refuses: on a local backend, one that passes through a symlink. */
const refusedLink = (key: string) =>
  new ValidationError({
    field: "path",
    message: `${shown(key)} passes through a symbolic link under the storage root; symlinks are never followed`
  })

export const StorageHttp = HttpApiBuilder.group(OrchestratorApi, "storage", (handlers) =>
  Effect.gen(function*() {
    const backends = yield* StorageBackends
    const reads = yield* TaskRunReads
    return handlers.handle("read", ({ path, urlParams }) =>
      Effect.gen(function*() {
        const key = path.path
        if (!isSafeKey(key)) {
          return yield* new ValidationError({
            field: "path",
            message: `${shown(key)} is not a valid storage key: keys are relative, '/'-separated segments of letters, digits, '.', '_' and '-', without '.' or '..' segments`
          })
        }
        const backendId = urlParams.backend ?? backends.default.config.id
        const found = backends.get(backendId)
        if (Option.isNone(found)) return yield* NotFound.of("storage backend", backendId)
        const backend = found.value
        const info = yield* backend.head(key).pipe(Effect.catchTags({ InvalidKey: () => refusedLink(key), StorageError: Effect.die }))
        if (Option.isNone(info)) {
          const inline = urlParams.backend === undefined ? yield* reads.inlineObject(key) : Option.none()
          if (Option.isNone(inline)) return yield* NotFound.of("object", key)
          return decodeContent(key, "application/json", Buffer.from(inline.value, "utf8"))
        }
        const bytes = yield* backend.get(key).pipe(
          Effect.catchTag("ObjectNotFound", () => Effect.fail(NotFound.of("object", key))),
          Effect.catchTags({ StorageError: Effect.die, InvalidKey: () => refusedLink(key) })
        )
        return decodeContent(key, info.value.contentType, bytes)
      }))
  }))
