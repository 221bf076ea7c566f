import { resolve } from "node:path"
import { Config, ConfigError, Context, Data, Effect, Either, Layer, Option, ParseResult, Schema } from "effect"
import { makeStorage } from "./StorageFactory.js"
import { Storage, type StorageShape } from "./Storage.js"
import { StorageBackendConfig } from "./StorageBackendConfig.js"
import type { StorageError } from "./StorageError.js"

/** `STORAGE_BACKENDS` or `DEFAULT_STORAGE_BACKEND_ID` is wrong; the message names the variable and field. */
export class InvalidStorageBackends extends Data.TaggedError("InvalidStorageBackends")<{ readonly message: string }> {}

/** The parsed backends (local base paths made absolute) and the id of the default one. */
export interface StorageBackendsConfig {
  readonly backends: ReadonlyArray<StorageBackendConfig>
  readonly defaultId: string
}

/** A built provider together with the config it came from (sealed into storage tokens). */
export interface StorageBackend extends StorageShape {
  readonly config: StorageBackendConfig
}

/** Where the local backend lives when `STORAGE_BACKENDS` is not set (relative to the working directory). */
export const DEFAULT_LOCAL_BASE_PATH = ".pipeweave/storage"

/** `{ id, provider: "local", credentials: { basePath } }` with `basePath` made absolute. */
export const localBackendConfig = (basePath: string, id = "local"): StorageBackendConfig => ({
  id,
  provider: "local",
  credentials: { basePath: resolve(basePath) }
})

const PROVIDERS = ["local", "aws-s3", "gcs", "minio"]
const decodeBackend = Schema.decodeUnknownEither(StorageBackendConfig)
const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)
const fieldPath = (path: ReadonlyArray<PropertyKey>) =>
  path.map((p) => typeof p === "number" ? `[${p}]` : `.${String(p)}`).join("")

const checkEntry = (entry: unknown, at: string, cwd: string): Either.Either<StorageBackendConfig, string> => {
  if (!isRecord(entry)) return Either.left(`${at} must be an object`)
  if (entry.id === undefined) return Either.left(`${at}.id is missing`)
  if (typeof entry.id !== "string" || entry.id.trim() === "") return Either.left(`${at}.id must be a non-empty string`)
  const providers = PROVIDERS.map((p) => `"${p}"`).join(", ")
  if (entry.provider === undefined) return Either.left(`${at}.provider is missing (one of ${providers})`)
  if (!PROVIDERS.includes(entry.provider as string)) {
    return Either.left(`${at}.provider must be one of ${providers} (got ${JSON.stringify(entry.provider)})`)
  }
  const decoded = decodeBackend(entry, { errors: "first" })
  if (Either.isLeft(decoded)) {
    const issue = ParseResult.ArrayFormatter.formatErrorSync(decoded.left)[0]!
    const reason = issue.message === "is missing" ? " is missing" : `: ${issue.message.replace(/, actual [\s\S]*$/, "")}`
    return Either.left(`${at}${fieldPath(issue.path)}${reason}`)
  }
  const backend = decoded.right
  if (backend.provider === "local") {
    return Either.right({ ...backend, credentials: { basePath: resolve(cwd, backend.credentials.basePath) } })
  }
  if (backend.endpoint === undefined) {
    return backend.provider === "minio"
      ? Either.left(`${at}.endpoint is missing (a MinIO backend needs one, e.g. "http://localhost:9000")`)
      : Either.right(backend)
  }
  const url = URL.canParse(backend.endpoint) ? new URL(backend.endpoint) : undefined
  return url?.protocol === "http:" || url?.protocol === "https:"
    ? Either.right(backend)
    : Either.left(`${at}.endpoint must be an http(s) URL (got ${JSON.stringify(backend.endpoint)})`)
}

/**
 * Parses `STORAGE_BACKENDS` (a JSON array) and `DEFAULT_STORAGE_BACKEND_ID`. No `STORAGE_BACKENDS`
 * means one local backend under `DEFAULT_LOCAL_BASE_PATH`. The default is the backend named by
 * `DEFAULT_STORAGE_BACKEND_ID`, else the one with `isDefault: true`, else the first.
 */
export const parseStorageBackends = (
  json: string | undefined,
  defaultId: string | undefined,
  options: { readonly cwd?: string } = {}
): Either.Either<StorageBackendsConfig, InvalidStorageBackends> => {
  const cwd = options.cwd ?? process.cwd()
  const fail = (message: string) => Either.left(new InvalidStorageBackends({ message }))
  let raw: unknown = [localBackendConfig(resolve(cwd, DEFAULT_LOCAL_BASE_PATH))]
  if (json !== undefined && json.trim() !== "") {
    try {
      raw = JSON.parse(json)
    } catch (error) {
      const position = /position (\d+)/.exec(String(error))?.[1]
      const where = position !== undefined ? ` (at position ${position})` : /end of JSON/.test(String(error)) ? " (it ends early)" : ""
      return fail(`STORAGE_BACKENDS is not valid JSON${where}`)
    }
  }
  if (!Array.isArray(raw)) return fail("STORAGE_BACKENDS must be a JSON array of backend objects")
  if (raw.length === 0) return fail("STORAGE_BACKENDS is an empty array: configure at least one backend")
  const backends: Array<StorageBackendConfig> = []
  for (const [index, entry] of raw.entries()) {
    const checked = checkEntry(entry, `STORAGE_BACKENDS[${index}]`, cwd)
    if (Either.isLeft(checked)) return fail(checked.left)
    const backend = checked.right
    const same = backends.findIndex((b) => b.id === backend.id)
    if (same >= 0) return fail(`STORAGE_BACKENDS[${index}].id "${backend.id}" is already used by STORAGE_BACKENDS[${same}]`)
    const marked = backends.findIndex((b) => b.isDefault === true)
    if (backend.isDefault === true && marked >= 0) {
      return fail(`STORAGE_BACKENDS[${index}].isDefault: only one backend may be the default (STORAGE_BACKENDS[${marked}] is)`)
    }
    backends.push(backend)
  }
  const wanted = defaultId?.trim() ?? ""
  if (wanted !== "" && !backends.some((b) => b.id === wanted)) {
    const ids = backends.map((b) => b.id).join(", ")
    return fail(`DEFAULT_STORAGE_BACKEND_ID "${wanted}" names no backend in STORAGE_BACKENDS (ids: ${ids})`)
  }
  const chosen = wanted !== "" ? wanted : (backends.find((b) => b.isDefault === true) ?? backends[0]!).id
  return Either.right({ backends, defaultId: chosen })
}

/** `STORAGE_BACKENDS` and `DEFAULT_STORAGE_BACKEND_ID` read through Effect's `Config`. */
export const storageBackendsConfig: Config.Config<StorageBackendsConfig> = Config.all({
  json: Config.option(Config.string("STORAGE_BACKENDS")),
  defaultId: Config.option(Config.string("DEFAULT_STORAGE_BACKEND_ID"))
}).pipe(
  Config.mapOrFail(({ defaultId, json }) =>
    parseStorageBackends(Option.getOrUndefined(json), Option.getOrUndefined(defaultId)).pipe(
      Either.mapLeft((error) => ConfigError.InvalidData([], error.message))
    )
  )
)

/** Every configured backend, built once, by id; the orchestrator picks one per run. */
export class StorageBackends extends Context.Tag("@pipeweave/storage/StorageBackends")<StorageBackends, {
  readonly default: StorageBackend
  readonly get: (id: string) => Option.Option<StorageBackend>
  readonly all: ReadonlyArray<StorageBackend>
}>() {
  /** Builds every backend's provider; they are released when the layer is. */
  static layer(config: StorageBackendsConfig): Layer.Layer<StorageBackends, StorageError> {
    return Layer.scoped(
      StorageBackends,
      Effect.gen(function*() {
        const all = yield* Effect.forEach(config.backends, (backend) =>
          Effect.map(makeStorage(backend), (storage): StorageBackend => ({ ...storage, config: backend })))
        const get = (id: string) => Option.fromNullable(all.find((backend) => backend.config.id === id))
        const fallback = Option.getOrElse(get(config.defaultId), () => all[0]!)
        return { default: fallback, get, all }
      })
    )
  }

  /** `layer` over `storageBackendsConfig` (environment variables by default). */
  static readonly layerConfig: Layer.Layer<StorageBackends, StorageError | ConfigError.ConfigError> = Layer.unwrapEffect(
    Effect.map(storageBackendsConfig, (config) => StorageBackends.layer(config))
  )

  /** The default backend as the plain `Storage` service. */
  static readonly layerDefaultStorage: Layer.Layer<Storage, never, StorageBackends> = Layer.effect(
    Storage,
    Effect.map(StorageBackends, (backends) => backends.default)
  )
}
