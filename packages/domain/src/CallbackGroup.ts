import { Schema } from "effect"
import { CallbackFailure, CallbackSuccess } from "./Callback.js"
import { TaskRunId } from "./Ids.js"
import { taggedUnion } from "./TaggedUnion.js"

/** How many callbacks one `POST /api/callbacks` may carry. */
export const MAX_GROUPED_CALLBACKS = 100

/** What the orchestrator names in `RegisterResponse.features` when it serves `POST /api/callbacks`. */
export const GROUPED_CALLBACKS = "grouped-callbacks"

const itemFields = {
  runId: TaskRunId,
  /** The run credential of the dispatch, as the single route takes it in `Authorization: Bearer`. */
  callbackToken: Schema.String,
  /** The W3C `traceparent` of the attempt reporting, as the single route takes it in a header. */
  traceparent: Schema.optional(Schema.String)
}

/** One callback of a group: the single route's body plus its run, credential and trace. */
export const CallbackItem = taggedUnion(
  "status",
  Schema.Struct({ ...itemFields, ...CallbackSuccess.fields }),
  Schema.Struct({ ...itemFields, ...CallbackFailure.fields })
).annotations({ identifier: "CallbackItem" })
export type CallbackItem = typeof CallbackItem.Type

/**
 * `POST /api/callbacks` body. Each item is checked on its own (so one bad item cannot refuse the
 * others); the envelope only bounds how many there are.
 */
export const CallbackGroup = Schema.Struct({
  callbacks: Schema.Array(
    Schema.Unknown.annotations({
      description: "A CallbackItem: runId, callbackToken, optional traceparent, and the fields of the single callback body"
    })
  ).pipe(
    Schema.minItems(1, { message: () => "callbacks must hold at least one callback" }),
    Schema.maxItems(MAX_GROUPED_CALLBACKS, {
      message: () => `callbacks may hold at most ${MAX_GROUPED_CALLBACKS} callbacks`
    })
  )
})

/** What the worker sends (items fully typed). */
export const CallbackGroupRequest = Schema.Struct({ callbacks: Schema.Array(CallbackItem) })

/** How one item went: `status` is what the single route would have answered for it. */
export const CallbackItemResult = Schema.Struct({
  runId: Schema.NullOr(Schema.String),
  status: Schema.Int,
  /** The run's status after a 200 (a `TaskRunStatus`; read as any string, so newer statuses decode). */
  runStatus: Schema.optional(Schema.String),
  error: Schema.optional(Schema.Struct({
    _tag: Schema.String,
    message: Schema.String,
    field: Schema.optional(Schema.String)
  }))
})
export type CallbackItemResult = typeof CallbackItemResult.Type

/** `POST /api/callbacks` answer: one result per item, in order. */
export const CallbackGroupResult = Schema.Struct({ results: Schema.Array(CallbackItemResult) })
export type CallbackGroupResult = typeof CallbackGroupResult.Type
