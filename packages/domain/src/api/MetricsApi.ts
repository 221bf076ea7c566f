import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as OpenApi from "@effect/platform/OpenApi"
import { ManagementAuth } from "./Security.js"

/** The content type of the Prometheus text exposition format (version 0.0.4). */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

/** `GET /metrics`: the orchestrator's metrics for a Prometheus scraper. */
export class MetricsApi extends HttpApiGroup.make("metrics", { topLevel: true })
  .add(
    HttpApiEndpoint.get("metrics", "/metrics")
      .addSuccess(HttpApiSchema.Text({ contentType: PROMETHEUS_CONTENT_TYPE }))
      .annotate(OpenApi.Summary, "Prometheus metrics")
      .annotate(
        OpenApi.Description,
        "Runs by status, queue depth and age, dispatch latency and attempt duration histograms by task, attempts by " +
          "outcome and error code, retries, DLQ size, claim duration, HTTP requests by route and status, and process " +
          "metrics, in the Prometheus text exposition format. Needs the API token when one is set."
      )
  )
  .middleware(ManagementAuth) {}
