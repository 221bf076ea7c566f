import { HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { DispatchPayload } from "@pipeweave/domain/Dispatch"
import { Crypto } from "@pipeweave/storage/Crypto"
import { Clock, Effect, Either, Fiber, Schema, type Scope } from "effect"
import { type DispatchServices, executeDispatch } from "./executeDispatch.js"
import { firstIssue } from "./formatIssues.js"
import type { WorkerDefinition } from "./WorkerDefinition.js"
import { WorkerLog } from "./WorkerLog.js"
import { WorkerSettings } from "./WorkerSettings.js"

const decodePayload = Schema.decodeUnknownEither(DispatchPayload)

const reply = (status: number, body: unknown) => HttpServerResponse.unsafeJson(body, { status })

const badRequest = (field: string, message: string) => reply(400, { _tag: "ValidationError", field, message })

/**
 * The worker's HTTP surface: `GET /health` and `POST /tasks/:taskId`. A dispatch is executed
 * inside the request, in a fiber of `executions` so that a dropped connection does not stop it,
 * and answered with a `DispatchAck` once the callback was delivered (or given up).
 */
export const makeDispatchRouter = (definition: WorkerDefinition, executions: Scope.Scope) =>
  Effect.gen(function*() {
    const context = yield* Effect.context<DispatchServices | Crypto>()
    const settings = yield* WorkerSettings
    const crypto = yield* Crypto
    const { log } = yield* WorkerLog

    const dispatch = Effect.gen(function*() {
      const { taskId = "" } = yield* HttpRouter.params
      const task = definition.tasks.get(taskId)
      if (task === undefined) {
        return reply(404, { _tag: "NotFound", resource: "task", id: taskId, message: `task '${taskId}' is not registered on this worker` })
      }
      const request = yield* HttpServerRequest.HttpServerRequest
      const body = yield* Effect.either(request.json)
      if (Either.isLeft(body)) return badRequest("body", "the request body is not valid JSON")
      const decoded = decodePayload(body.right)
      if (Either.isLeft(decoded)) {
        const issue = firstIssue(decoded.left)
        return badRequest(issue.field, issue.message)
      }
      const payload = decoded.right
      if (payload.taskId !== taskId) {
        return badRequest("taskId", `payload taskId '${payload.taskId}' does not match the URL's '${taskId}'`)
      }
      const now = yield* Clock.currentTimeMillis
      const grant = yield* Effect.either(crypto.openStorageToken(payload.storageToken, now))
      if (Either.isLeft(grant) || grant.right.runId !== payload.runId) {
        const message = Either.isLeft(grant) ? grant.left.message : "storage token was issued for another run"
        yield* log("warn", `[PipeWeave] rejected dispatch of ${payload.runId}: ${message}`)
        return reply(401, { _tag: "Unauthorized", message })
      }
      const execution = yield* executeDispatch(task, payload, grant.right.backend).pipe(
        Effect.provide(context),
        Effect.forkIn(executions)
      )
      return reply(200, yield* Fiber.join(execution))
    })

    const health = Effect.sync(() =>
      reply(200, {
        status: "ok",
        serviceId: settings.serviceId,
        version: settings.version,
        tasks: [...definition.tasks.keys()]
      })
    )

    return HttpRouter.empty.pipe(HttpRouter.get("/health", health), HttpRouter.post("/tasks/:taskId", dispatch))
  })
