import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"

/** `GET /health` answer. */
export const Health = Schema.Struct({
  status: Schema.Literal("ok"),
  mode: Schema.Literal("standalone", "serverless"),
  database: Schema.Literal("pglite", "postgres"),
  orchestratorId: Schema.String
})

export class HealthApi extends HttpApiGroup.make("health", { topLevel: true })
  .add(
    HttpApiEndpoint.get("health", "/health").addSuccess(Health)
      .annotate(OpenApi.Summary, "Liveness and configuration")
      .annotate(OpenApi.Description, "Answers 200 while the orchestrator serves requests: its mode, database kind and id. Needs no credential.")
  ) {}
