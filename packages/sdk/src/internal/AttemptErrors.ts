import { Data } from "effect"

/** Storage failed while loading or saving a run's data; reported as `STORAGE_ERROR`, retryable. */
export class StorageFailure extends Data.TaggedError("StorageFailure")<{
  readonly message: string
  readonly cause?: unknown
}> {}

/** `ctx.getAsset(key)` named an asset that neither this run nor an upstream task has. */
export class AssetNotFound extends Data.TaggedError("AssetNotFound")<{
  readonly key: string
  readonly available: ReadonlyArray<string>
}> {
  override get message(): string {
    const known = this.available.length === 0 ? "none" : this.available.join(", ")
    return `asset '${this.key}' not found (available: ${known})`
  }
}

/** `ctx.addAsset` was given an unsafe key, an unknown type, or data that does not fit the type. */
export class InvalidAsset extends Data.TaggedError("InvalidAsset")<{ readonly message: string }> {}

/** The handler selected a next task outside the dispatch's `allowedNext`. */
export class InvalidNext extends Data.TaggedError("InvalidNext")<{ readonly message: string }> {}

/** The orchestrator cancelled the run (a heartbeat answered `cancelled: true`). */
export class Cancelled extends Data.TaggedError("Cancelled")<{ readonly runId: string }> {}

/**
 * The idempotency check ended the attempt before its handler: the orchestrator completed the run
 * with a cached result (`cached`), or no longer expects this attempt (`stale`). No callback is sent.
 */
export class Skipped extends Data.TaggedError("Skipped")<{
  readonly reason: "cached" | "stale"
  readonly message: string
}> {}

/** Errors the asset helpers of `ctx` fail with. */
export type AssetError = StorageFailure | AssetNotFound | InvalidAsset
