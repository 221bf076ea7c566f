import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import { Schema } from "effect"

/** A resource the request names does not exist. */
export class NotFound extends Schema.TaggedError<NotFound>()(
  "NotFound",
  { resource: Schema.String, id: Schema.String, message: Schema.String },
  HttpApiSchema.annotations({ status: 404 })
) {
  static of(resource: string, id: string): NotFound {
    return new NotFound({ resource, id, message: `${resource} '${id}' not found` })
  }
}

/** The request is well-formed JSON but not acceptable; `field` names the offending part. */
export class ValidationError extends Schema.TaggedError<ValidationError>()(
  "ValidationError",
  { field: Schema.String, message: Schema.String },
  HttpApiSchema.annotations({ status: 400 })
) {}

/** Missing or invalid credential. */
export class Unauthorized extends Schema.TaggedError<Unauthorized>()(
  "Unauthorized",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 401 })
) {}

/** The request conflicts with the current state (a duplicate or stale callback, say); nothing changed. */
export class Conflict extends Schema.TaggedError<Conflict>()(
  "Conflict",
  { message: Schema.String, currentStatus: Schema.optional(Schema.String) },
  HttpApiSchema.annotations({ status: 409 })
) {}

/** The orchestrator cannot serve this request in its current mode or configuration. */
export class Unavailable extends Schema.TaggedError<Unavailable>()(
  "Unavailable",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 503 })
) {}
