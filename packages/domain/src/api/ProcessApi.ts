import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import { TaskRunId } from "../Ids.js"
import { ManagementAuth } from "./Security.js"

/** `POST /api/process` answer: what one bounded scheduling pass claimed and dispatched. */
export const ProcessResult = Schema.Struct({
  claimed: Schema.Int,
  dispatched: Schema.Array(TaskRunId)
})

/** One scheduling pass on demand (serverless mode: called by a cron). */
export class ProcessApi extends HttpApiGroup.make("process")
  .add(
    HttpApiEndpoint.post("process", "/process")
      .addSuccess(ProcessResult)
      .annotate(OpenApi.Description, "Claim and dispatch due task runs once (serverless mode)")
      .annotate(OpenApi.Summary, "Run one scheduling pass")
  )
  .middleware(ManagementAuth)
  .prefix("/api") {}
