import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as OpenApi from "@effect/platform/OpenApi"
import { CallbackGroup, CallbackGroupResult, MAX_GROUPED_CALLBACKS } from "../CallbackGroup.js"
import { strictPayload } from "./StrictPayload.js"

/**
 * Completion callbacks in groups. No Bearer on the request: each item carries the run credential
 * of its own dispatch and is authenticated on its own, exactly as the single callback route does.
 */
export class CallbacksApi extends HttpApiGroup.make("callbacks")
  .add(
    HttpApiEndpoint.post("callbacks", "/callbacks")
      .setPayload(strictPayload(CallbackGroup))
      .addSuccess(CallbackGroupResult)
      .annotate(OpenApi.Summary, "Complete several attempts")
      .annotate(
        OpenApi.Description,
        `Up to ${MAX_GROUPED_CALLBACKS} completion callbacks in one request, each with its run's \`callbackToken\` and optional \`traceparent\`. Every item is authenticated, validated and applied on its own; the answer holds one result per item, in order, whose \`status\` is what \`POST /api/callback/:runId\` would have answered (200, 400, 401, 404, 409). A run named twice gets 409 the second time. Offered to workers whose registration answer lists the \`grouped-callbacks\` feature.`
      )
  )
  .prefix("/api") {}
