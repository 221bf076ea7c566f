import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import { NotFound, ValidationError } from "../Errors.js"
import { Json } from "../Ids.js"
import { ManagementAuth } from "./Security.js"

/** `GET /api/storage/{path}` answer: JSON files come back parsed, text as a string, binary as base64. */
export const StorageContent = Schema.Struct({
  path: Schema.String,
  contentType: Schema.String,
  size: Schema.Int,
  encoding: Schema.Literal("json", "utf8", "base64"),
  content: Json
})
export type StorageContent = typeof StorageContent.Type

/**
 * The object's storage key, the rest of the URL after `/api/storage/` ('/'-separated, slashes not
 * encoded). The router names a trailing wildcard `*`; handlers and clients see it as `path`.
 */
export const StorageKeyPath = Schema.Struct({ "*": Schema.String }).pipe(Schema.rename({ "*": "path" }))

/** Reads stored inputs, outputs, assets and logs through the orchestrator. */
export class StorageApi extends HttpApiGroup.make("storage")
  .add(
    HttpApiEndpoint.get("read", "/storage/*")
      .setPath(StorageKeyPath)
      .setUrlParams(Schema.Struct({ backend: Schema.optional(Schema.String) }))
      .addSuccess(StorageContent)
      .addError(NotFound)
      .addError(ValidationError)
      .annotate(OpenApi.Summary, "Read a stored object")
      .annotate(
        OpenApi.Description,
        "Reads a stored input, output, asset or log by key, e.g. GET /api/storage/runs/prun_x/outputs/trun_y.json: JSON comes back parsed, text as a string, binary as base64."
      )
  )
  .middleware(ManagementAuth)
  .prefix("/api") {}
