import { Data } from "effect"

/** The object does not exist. */
export class ObjectNotFound extends Data.TaggedError("ObjectNotFound")<{ readonly key: string }> {
  override get message(): string {
    return `no object at '${this.key}'`
  }
}

/** The key escapes the backend's base or is otherwise not a valid storage key. */
export class InvalidKey extends Data.TaggedError("InvalidKey")<{ readonly key: string }> {
  override get message(): string {
    return `invalid storage key '${this.key}': keys are relative, '/'-separated, without '.' or '..' segments`
  }
}

/** The provider failed (network, permissions, disk). */
export class StorageError extends Data.TaggedError("StorageError")<{
  readonly operation: string
  readonly key: string
  readonly cause: unknown
}> {
  override get message(): string {
    const reason = this.cause instanceof Error ? this.cause.message : String(this.cause)
    return `storage ${this.operation} '${this.key}' failed: ${reason}`
  }
}
