import type { HttpApp } from "@effect/platform"
import { HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { strictPayload } from "@pipeweave/domain/api/StrictPayload"
import { QueueTaskRequest, QueueTaskResponse } from "@pipeweave/domain/Queue"
import { tracingEnabled } from "@pipeweave/domain/TraceContext"
import { Effect, Option, Schema } from "effect"
import { OrchestratorConfig } from "../Config.js"
import { Submissions } from "../flow/Submissions.js"
import type { OrchestratorMetrics } from "../metrics/OrchestratorMetrics.js"
import { managementTokenAccepted } from "./Auth.js"
import { answered, plainJsonPost, readLaneBody, refusal } from "./LaneRequest.js"

/** What the lane uses beside the request. */
type LaneServices =
  | HttpServerRequest.HttpServerRequest
  | OrchestratorConfig
  | OrchestratorMetrics
  | Submissions

const PATH = /^\/api\/queue\/task$/
const decodeRequest = Schema.decodeUnknownOption(strictPayload(QueueTaskRequest))
const encodeResponse = Schema.encodeSync(QueueTaskResponse)

/**
 * `POST /api/queue/task` the short way, as `callbackLane` does for callbacks: a submission that no
 * guard has to act on is decoded with the endpoint's own schema, authorized as `ManagementAuth`
 * authorizes it (`PIPEWEAVE_API_TOKEN`) and queued as the endpoint queues it; anything else goes
 * on to the API with its body already read. The answers are the API's.
 */
export const submitLane = <R>(app: HttpApp.Default<never, R>): HttpApp.Default<never, R | LaneServices> =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
    Effect.flatMap(OrchestratorConfig, (config) => {
      const post = config.corsOrigins.length === 0 ? plainJsonPost(request, PATH, config.maxBodyBytes) : undefined
      if (post === undefined) return app
      return Effect.flatMap(tracingEnabled, (traced) => traced ? app : lane(request, post.bearer, app))
    }))

const lane = <R>(
  request: HttpServerRequest.HttpServerRequest,
  bearer: string,
  app: HttpApp.Default<never, R>
): HttpApp.Default<never, R | LaneServices> =>
  Effect.gen(function*() {
    const config = yield* OrchestratorConfig
    const body = yield* readLaneBody(request, config.maxBodyBytes, app)
    if (body._tag === "Refused") return yield* answered(request, body.response)
    if (body._tag === "Onward") return yield* body.onward
    const submission = decodeRequest(body.json)
    if (Option.isNone(submission)) return yield* body.onward
    if (!managementTokenAccepted(config.apiToken, bearer)) return yield* body.onward
    const submissions = yield* Submissions
    return yield* answered(
      request,
      submissions.submit([submission.value], () => "taskId").pipe(
        Effect.map(([run]) => HttpServerResponse.unsafeJson(encodeResponse({ ...run!, status: "queued" }), { status: 201 })),
        Effect.catchTag("NotFound", refusal),
        Effect.orDie
      )
    )
  })
