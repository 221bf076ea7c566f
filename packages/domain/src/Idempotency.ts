import { Schema } from "effect"
import { TaskRunId } from "./Ids.js"
import { taggedUnion } from "./TaggedUnion.js"
import { Text } from "./Text.js"

/** `POST /api/idempotency`: the worker computed `idempotencyKey(input, codeVersion)` for this attempt. */
export const IdempotencyRequest = Schema.Struct({
  runId: TaskRunId,
  attempt: Schema.Int,
  key: Text.pipe(
    Schema.minLength(1, { message: () => "key must not be empty" }),
    Schema.maxLength(512, { message: () => "key must be at most 512 characters" })
  )
})

/**
 * What the worker does next: run the handler (this attempt now owns the key), stop because the
 * orchestrator completed the run with the cached output of `fromRunId` (downstream tasks are
 * triggered as usual; no callback is sent), or ask again after `retryAfterMs` because another run
 * holding the key is still executing.
 */
export const IdempotencyDecision = taggedUnion(
  "_tag",
  Schema.TaggedStruct("Execute", {}),
  Schema.TaggedStruct("Cached", { fromRunId: TaskRunId }),
  Schema.TaggedStruct("Wait", { retryAfterMs: Schema.Int.pipe(Schema.positive()) })
)
export type IdempotencyDecision = typeof IdempotencyDecision.Type
