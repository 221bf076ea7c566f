import type { StorageShape } from "@pipeweave/storage/Storage"
import { Effect, Exit } from "effect"

/** An input to write to storage before the rows that name it are inserted. */
export interface StoredInput {
  readonly key: string
  readonly json: string
}

/**
 * Writes `inputs` to `backend`, then runs `insert` (the rows that name them). Whatever stops it
 * before `insert` succeeds — a failed write, a failed insert, an interrupted request — the inputs
 * are deleted again, so no request leaves an object in storage without its row.
 */
export const withStoredInputs = <A, E, R>(
  backend: StorageShape,
  inputs: ReadonlyArray<StoredInput>,
  insert: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  inputs.length === 0 ? insert : Effect.uninterruptibleMask((restore) =>
    restore(
      Effect.forEach(inputs, (input) => backend.put(input.key, input.json, "application/json"), {
        concurrency: 16,
        discard: true
      }).pipe(Effect.orDie, Effect.zipRight(insert))
    ).pipe(
      Effect.onExit((exit) =>
        Exit.isSuccess(exit)
          ? Effect.void
          : Effect.forEach(inputs, (input) =>
            backend.delete(input.key).pipe(
              Effect.catchAll((error) =>
                Effect.logWarning(`could not remove the input ${input.key} of a refused request: ${error.message}`)
              )
            ), { concurrency: 16, discard: true })
      )
    )
  )
