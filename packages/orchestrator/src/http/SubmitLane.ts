import { HttpServerResponse } from "@effect/platform"
import { strictDecoder } from "@pipeweave/domain/api/StrictPayload"
import { QueueTaskRequest, QueueTaskResponse } from "@pipeweave/domain/Queue"
import { Effect, Either, Option, Schema } from "effect"
import { Submissions } from "../flow/Submissions.js"
import { managementTokenAccepted } from "./Auth.js"
import { answered, lane, refusal, type Taken } from "./LaneRequest.js"

// The request's fields, not its class: a submission with its input given is then taken as it is.
const decodeRequest = strictDecoder(Schema.Struct(QueueTaskRequest.fields))
const encodeResponse = Schema.encodeSync(QueueTaskResponse)

/** The lane's steps, as one generator defined once (one made per submission costs a hidden class and a prototype). */
function* submitSteps<R>({ bearer, config, json, onward, request }: Taken<R>) {
  const submission = Either.getRight(decodeRequest(json))
  if (Option.isNone(submission) || !managementTokenAccepted(config.apiToken, bearer)) return yield* onward
  const submissions = yield* Submissions
  return yield* answered(
    request,
    submissions.submit([submission.value], () => "taskId").pipe(
      Effect.map(([run]) =>
        HttpServerResponse.unsafeJson(
          encodeResponse({ runId: run!.runId, status: "queued", taskId: run!.taskId, inputPath: run!.inputPath }),
          { status: 201 }
        )
      ),
      Effect.catchTag("NotFound", refusal),
      Effect.orDie
    )
  )
}

/**
 * `POST /api/queue/task` the short way, as `callbackLane` takes callbacks: a submission that no
 * guard has to act on is decoded with the endpoint's own schema, authorized as `ManagementAuth`
 * authorizes it (`PIPEWEAVE_API_TOKEN`) and queued as the endpoint queues it; anything else goes
 * on to the API with its body already read. The answers are the API's.
 */
export const submitLane = lane<Submissions>(
  /^\/api\/queue\/task$/,
  (taken) => Effect.gen(() => submitSteps(taken))
)
