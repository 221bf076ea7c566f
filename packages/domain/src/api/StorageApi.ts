import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { NotFound, ValidationError } from "../Errors.js"
import { Json } from "../Ids.js"
import { ManagementAuth } from "./Security.js"

/** `GET /api/storage/*` answer: JSON files come back parsed, text as a string, binary as base64. */
export const StorageContent = Schema.Struct({
  path: Schema.String,
  contentType: Schema.String,
  size: Schema.Int,
  encoding: Schema.Literal("json", "utf8", "base64"),
  content: Json
})
export type StorageContent = typeof StorageContent.Type

/** Reads stored inputs, outputs, assets and logs through the orchestrator. */
export class StorageApi extends HttpApiGroup.make("storage")
  .add(
    HttpApiEndpoint.get("read", "/storage/*")
      .setPath(Schema.Struct({ "*": Schema.String }))
      .setUrlParams(Schema.Struct({ backend: Schema.optional(Schema.String) }))
      .addSuccess(StorageContent)
      .addError(NotFound)
      .addError(ValidationError)
      .annotate(OpenApi.Description, "Read a stored object by key, e.g. runs/prun_x/outputs/trun_y.json")
  )
  .middleware(ManagementAuth)
  .prefix("/api") {}
