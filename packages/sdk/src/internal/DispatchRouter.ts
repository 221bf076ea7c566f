import { HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { DispatchPayload } from "@pipeweave/domain/Dispatch"
import { Crypto } from "@pipeweave/storage/Crypto"
import { Clock, Effect, Either, Fiber, Schema, type Scope } from "effect"
import { checkDispatch } from "./checkDispatch.js"
import type { DrainGate } from "./DrainGate.js"
import { type DispatchServices, executeDispatch } from "./executeDispatch.js"
import { firstIssue } from "./formatIssues.js"
import type { WorkerDefinition } from "./WorkerDefinition.js"
import { makeSeenAttempts } from "./SeenAttempts.js"
import { WorkerLog } from "./WorkerLog.js"
import { WorkerSettings } from "./WorkerSettings.js"

const decodePayload = Schema.decodeUnknownEither(DispatchPayload)

const reply = (status: number, body: unknown) => HttpServerResponse.unsafeJson(body, { status })

const badRequest = (field: string, message: string) => reply(400, { _tag: "ValidationError", field, message })

/**
 * The worker's HTTP surface: `GET /health` and `POST /tasks/:taskId`. A dispatch is executed
 * inside the request, in a fiber of `executions` so that a dropped connection does not stop it,
 * and answered with a `DispatchAck` once the callback was delivered (or given up). A dispatch is
 * executed only when its storage token and callback credential open and bind exactly its run,
 * attempt and paths (401 otherwise), and only once per attempt on this instance (409 on a replay).
 * Once `gate` is closed (the worker is shutting down) a dispatch gets 503, which the orchestrator
 * treats as back-pressure: the run goes back to pending without spending an attempt.
 */
export const makeDispatchRouter = (definition: WorkerDefinition, executions: Scope.Scope, gate: DrainGate) =>
  Effect.gen(function*() {
    const context = yield* Effect.context<DispatchServices | Crypto>()
    const settings = yield* WorkerSettings
    const crypto = yield* Crypto
    const { log } = yield* WorkerLog
    const seen = makeSeenAttempts()
    const shuttingDown = () =>
      reply(503, { _tag: "ShuttingDown", message: `worker ${settings.serviceId} is shutting down; dispatch elsewhere` })

    const dispatch = Effect.gen(function*() {
      if (gate.isClosed()) return shuttingDown()
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
      const refuse = (message: string) =>
        log("warn", `[PipeWeave] rejected dispatch of ${payload.runId}: ${message}`).pipe(
          Effect.as(reply(401, { _tag: "Unauthorized", message }))
        )
      const grant = yield* Effect.either(crypto.openStorageToken(payload.storageToken, now))
      if (Either.isLeft(grant)) return yield* refuse(grant.left.message)
      const callback = yield* Effect.either(crypto.verifyCredential(payload.callbackToken, now))
      if (Either.isLeft(callback)) return yield* refuse(`callbackToken: ${callback.left.message}`)
      const disagreement = checkDispatch(payload, grant.right, callback.right)
      if (disagreement._tag === "Some") {
        return yield* refuse(`${disagreement.value.field}: ${disagreement.value.message}`)
      }
      if (!gate.enter()) return shuttingDown()
      if (!seen.claim(payload.runId, payload.attempt, grant.right.expiresAtMs, now)) {
        const message = `attempt ${payload.attempt} of ${payload.runId} was already dispatched to this worker; a replay is not run`
        yield* log("warn", `[PipeWeave] rejected dispatch of ${payload.runId}: ${message}`)
        yield* gate.leave
        return reply(409, { _tag: "Conflict", message })
      }
      const execution = yield* executeDispatch(task, payload, grant.right).pipe(
        Effect.provide(context),
        Effect.ensuring(gate.leave),
        Effect.forkIn(executions)
      )
      return reply(200, yield* Fiber.join(execution))
    })

    const health = Effect.sync(() =>
      reply(200, {
        status: gate.isClosed() ? "draining" : "ok",
        serviceId: settings.serviceId,
        version: settings.version,
        tasks: [...definition.tasks.keys()]
      })
    )

    return HttpRouter.empty.pipe(HttpRouter.get("/health", health), HttpRouter.post("/tasks/:taskId", dispatch))
  })
