import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import {
  type DispatchAck,
  DispatchGroup,
  DispatchPayload,
  type GroupedDecision,
  MAX_GROUPED_DISPATCHES
} from "@pipeweave/domain/Dispatch"
import { plainDecoder } from "@pipeweave/domain/PlainDecode"
import { parseTraceparent, tracingEnabled, withTracingRestored } from "@pipeweave/domain/TraceContext"
import { Crypto, type OpenedGrant } from "@pipeweave/storage/Crypto"
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import {
  Cause,
  Clock,
  Context,
  DefaultServices,
  Effect,
  Either,
  Exit,
  Fiber,
  FiberRefs,
  FiberSet,
  Option,
  type ParseResult,
  Runtime,
  Schema,
  Scope
} from "effect"
import type { IncomingMessage, ServerResponse } from "node:http"
import { PassThrough } from "node:stream"
import { checkDispatch } from "./checkDispatch.js"
import { type DispatchReply, jsonReply, toServerResponse, writeReply } from "./DispatchReply.js"
import type { DrainGate } from "./DrainGate.js"
import { executeDispatch } from "./executeDispatch.js"
import { firstIssue } from "./formatIssues.js"
import type { TaskDefinition } from "./TaskDefinition.js"
import type { WorkerDefinition } from "./WorkerDefinition.js"
import { onDispatchBody, readDispatchBody } from "./readDispatchBody.js"
import { makeSeenAttempts } from "./SeenAttempts.js"
import type { DispatchServices } from "./executeDispatch.js"
import { WorkerLog } from "./WorkerLog.js"
import { WorkerSettings } from "./WorkerSettings.js"

// Decoded as plain fields (the class's instances add nothing a dispatch uses), which an ordinary
// dispatch is already: it is then taken as it is (`plainDecoder`).
const decodePayload = plainDecoder(Schema.Struct(DispatchPayload.fields))
const decodeGroup = plainDecoder(DispatchGroup)

const reply = (status: number, body: unknown) => HttpServerResponse.unsafeJson(body, { status })

const badRequest = (field: string, message: string) => jsonReply(400, { _tag: "ValidationError", field, message })

/** Why a dispatch is not run: the status and body a single dispatch is answered with. */
interface Refusal {
  readonly status: number
  readonly body: { readonly _tag: string; readonly message: string; readonly [field: string]: unknown }
}

const notFound = (taskId: string): Refusal => ({
  status: 404,
  body: { _tag: "NotFound", resource: "task", id: taskId, message: `task '${taskId}' is not registered on this worker` }
})

const lineOf = (value: unknown) => JSON.stringify(value) + "\n"

/** A dispatch request's body decoded, or the reply refusing it, naming the field. */
const decodedWith = <A>(decode: (body: unknown) => Either.Either<A, ParseResult.ParseError>, body: unknown): Either.Either<A, DispatchReply> =>
  Either.mapLeft(decode(body), (error) => {
    const issue = firstIssue(error)
    return badRequest(issue.field, issue.message)
  })

/** A dispatch request's body read (`readDispatchBody`) and decoded, or the reply refusing it. */
const readDecoded = <A>(
  request: IncomingMessage,
  decode: (body: unknown) => Either.Either<A, ParseResult.ParseError>
): Effect.Effect<Either.Either<A, DispatchReply>> =>
  Effect.map(readDispatchBody(request), Either.flatMap((body) => decodedWith(decode, body)))

/**
 * What becomes of a single dispatch's body: answered at once (after `refused`, the logging of a
 * refusal, when there is one), or run.
 */
type SingleDecision =
  | { readonly _tag: "Answer"; readonly reply: DispatchReply; readonly refused?: Effect.Effect<void> }
  | { readonly _tag: "Run"; readonly payload: DispatchPayload; readonly grant: OpenedGrant }

/**
 * The worker's HTTP surface: `GET /health`, `POST /tasks/:taskId` and `POST /dispatches`. A dispatch
 * is executed inside the request, in a fiber of `executions` so that a dropped connection does not
 * stop it, and answered with a `DispatchAck` once the callback was delivered (or given up). A
 * dispatch is executed only when its storage token and callback credential open and bind exactly
 * its run, attempt and paths (401 otherwise), and only once per attempt on this instance (409 on a
 * replay). Once `gate` is closed (the worker is shutting down) a dispatch gets 503, which the
 * orchestrator treats as back-pressure: the run goes back to pending without spending an attempt.
 * A grouped dispatch puts each item through the same admission, in order, answers the decisions at
 * once and then each accepted item's ack as it finishes (`GroupedResults`, `GroupedDone`). Both
 * routes read their body alike (`readDispatchBody`: JSON only, bounded in size and depth).
 */
export const makeDispatchRouter = (definition: WorkerDefinition, executions: Scope.Scope, gate: DrainGate) =>
  Effect.gen(function*() {
    const settings = yield* WorkerSettings
    const crypto = yield* Crypto
    const { log } = yield* WorkerLog
    const seen = makeSeenAttempts()
    const shuttingDownRefusal: Refusal = {
      status: 503,
      body: { _tag: "ShuttingDown", message: `worker ${settings.serviceId} is shutting down; dispatch elsewhere` }
    }
    const shuttingDown = () => jsonReply(shuttingDownRefusal.status, shuttingDownRefusal.body)

    /**
     * The checks of a decoded dispatch of a known task, as a plain function (no runtime step per
     * dispatch): tokens, their binding, the drain gate and the replay guard, at `now`. On success
     * the gate was entered: `start` (or `gate.leave`) must follow. A refusal goes through `refused`.
     */
    const admit = (payload: DispatchPayload, now: number): Either.Either<OpenedGrant, Refusal> => {
      const unauthorized = (message: string) => Either.left<Refusal>({ status: 401, body: { _tag: "Unauthorized", message } })
      const grant = crypto.sync.openStorageToken(payload.storageToken, now)
      if (Either.isLeft(grant)) return unauthorized(grant.left.message)
      const callback = crypto.sync.verifyCredential(payload.callbackToken, now)
      if (Either.isLeft(callback)) return unauthorized(`callbackToken: ${callback.left.message}`)
      const disagreement = checkDispatch(payload, grant.right, callback.right)
      if (disagreement._tag === "Some") return unauthorized(`${disagreement.value.field}: ${disagreement.value.message}`)
      if (!gate.enter()) return Either.left(shuttingDownRefusal)
      if (!seen.claim(payload.runId, payload.attempt, grant.right.expiresAtMs, now)) {
        const message = `attempt ${payload.attempt} of ${payload.runId} was already dispatched to this worker; a replay is not run`
        return Either.left<Refusal>({ status: 409, body: { _tag: "Conflict", message } })
      }
      return Either.right(grant.right)
    }

    /**
     * What follows a refusal of `admit`: an unauthorized dispatch or a replay is logged, and a
     * replay leaves the gate it entered; a worker shutting down refuses silently.
     */
    const refused = (payload: DispatchPayload, refusal: Refusal): Effect.Effect<void> => {
      if (refusal === shuttingDownRefusal) return Effect.void
      const logged = log("warn", `[PipeWeave] rejected dispatch of ${payload.runId}: ${refusal.body.message}`)
      return refusal.status === 409 ? Effect.zipRight(logged, gate.leave) : logged
    }

    // Executions outlive their request and end with the worker: daemons, tracked in a set that the
    // worker's shutdown interrupts (lighter than `forkIn` plus `ensuring`, paid on every dispatch).
    const executing = yield* Scope.extend(FiberSet.make<DispatchAck>(), executions)
    /** An execution's bookkeeping: it leaves the gate when it ends, and the worker's shutdown interrupts it. */
    const track = (fiber: Fiber.RuntimeFiber<DispatchAck>) => {
      fiber.addObserver(gate.unsafeLeave)
      FiberSet.unsafeAdd(executing, fiber)
    }
    const start = (task: TaskDefinition, payload: DispatchPayload, grant: OpenedGrant) =>
      Effect.map(Effect.forkDaemon(executeDispatch(task, payload, grant)), (fiber) => {
        track(fiber)
        return fiber
      })

    const traced = yield* tracingEnabled
    /**
     * An item of a group continues its own run's trace (its `traceparent`), not the request's: the
     * group's request is served untraced, so tracing is switched back on for the item.
     */
    const itemExecution = (task: TaskDefinition, payload: DispatchPayload, grant: OpenedGrant, traceparent: string | undefined) => {
      const execution = executeDispatch(task, payload, grant)
      if (!traced) return execution
      const parent = parseTraceparent(traceparent)
      return withTracingRestored(Option.isSome(parent) ? Effect.withParentSpan(execution, parent.value) : execution)
    }

    /**
     * A group's items, each admitted in turn at the clock's instant (`now`) as a single dispatch
     * would be, as plain code: refusals logged through `runFork`, accepted items' executions started
     * through it. Answers the decisions at once, then each execution's ack as it finishes: written by
     * hand rather than as an Effect Stream (a few lines per request, on the hot path), and acks that
     * finish together (their callbacks were answered as a group) leave in one write.
     */
    const admitGroup = (
      dispatches: ReadonlyArray<typeof DispatchGroup.Type["dispatches"][number]>,
      now: () => number,
      runFork: <A>(effect: Effect.Effect<A, never, DispatchServices>) => Fiber.RuntimeFiber<A>
    ): DispatchReply => {
      const decisions: Array<GroupedDecision> = []
      const running: Array<Fiber.RuntimeFiber<DispatchAck>> = []
      for (const item of dispatches) {
        const { traceparent, ...fields } = item
        const payload = fields as DispatchPayload
        const task = definition.tasks.get(payload.taskId)
        const admitted = task === undefined ? Either.left(notFound(payload.taskId)) : admit(payload, now())
        if (task === undefined || Either.isLeft(admitted)) {
          const refusal = Either.isLeft(admitted) ? admitted.left : notFound(payload.taskId)
          if (task !== undefined) runFork(refused(payload, refusal))
          decisions.push({ runId: payload.runId, status: refusal.status, error: refusal.body.message })
          continue
        }
        const execution = runFork(itemExecution(task, payload, admitted.right, traceparent))
        track(execution)
        running.push(execution)
        decisions.push({ runId: payload.runId, status: 200 })
      }
      const lines = new PassThrough()
      lines.write(lineOf({ results: decisions }))
      let left = running.length
      if (left === 0) lines.end()
      let pending = ""
      const flush = () => {
        if (pending !== "") lines.write(pending)
        pending = ""
        if (left === 0) lines.end()
      }
      for (const fiber of running) {
        fiber.addObserver((exit) => {
          if (pending === "" && (Exit.isSuccess(exit) || left === 1)) process.nextTick(flush)
          if (Exit.isSuccess(exit)) pending += lineOf({ done: exit.value })
          left--
        })
      }
      return { _tag: "Lines", lines }
    }

    /** The task a single dispatch to `taskId` runs, or the answer before its body is read (shutting down, unknown task). */
    const singleTask = (taskId: string): Either.Either<TaskDefinition, DispatchReply> => {
      if (gate.isClosed()) return Either.left(shuttingDown())
      const task = definition.tasks.get(taskId)
      if (task !== undefined) return Either.right(task)
      const refusal = notFound(taskId)
      return Either.left(jsonReply(refusal.status, refusal.body))
    }

    /** A single dispatch's body, decoded and admitted at `now`, as plain code: answered or run. */
    const decideSingle = (taskId: string, body: unknown, now: number): SingleDecision => {
      const decoded = decodedWith(decodePayload, body)
      if (Either.isLeft(decoded)) return { _tag: "Answer", reply: decoded.left }
      const payload = decoded.right
      if (payload.taskId !== taskId) {
        return { _tag: "Answer", reply: badRequest("taskId", `payload taskId '${payload.taskId}' does not match the URL's '${taskId}'`) }
      }
      const admitted = admit(payload, now)
      if (Either.isRight(admitted)) return { _tag: "Run", payload, grant: admitted.right }
      return { _tag: "Answer", reply: jsonReply(admitted.left.status, admitted.left.body), refused: refused(payload, admitted.left) }
    }

    const dispatch: (taskId: string, request: IncomingMessage) => Effect.Effect<DispatchReply, never, DispatchServices> =
      Effect.fnUntraced(function*(taskId: string, request: IncomingMessage) {
        const task = singleTask(taskId)
        if (Either.isLeft(task)) return task.left
        const body = yield* readDispatchBody(request)
        if (Either.isLeft(body)) return body.left
        const decision = decideSingle(taskId, body.right, (yield* Effect.clock).unsafeCurrentTimeMillis())
        if (decision._tag === "Answer") {
          if (decision.refused !== undefined) yield* decision.refused
          return decision.reply
        }
        const execution = yield* start(task.right, decision.payload, decision.grant)
        return jsonReply(200, yield* Fiber.join(execution))
      })

    const dispatchGroup: (request: IncomingMessage) => Effect.Effect<DispatchReply, never, DispatchServices> =
      Effect.fnUntraced(function*(request: IncomingMessage) {
        if (gate.isClosed()) return shuttingDown()
        const decoded = yield* readDecoded(request, decodeGroup)
        if (Either.isLeft(decoded)) return decoded.left
        const clock = yield* Effect.clock
        return admitGroup(decoded.right.dispatches, () => clock.unsafeCurrentTimeMillis(), Runtime.runFork(yield* Effect.runtime<DispatchServices>()))
      })

    const incoming = Effect.map(HttpServerRequest.HttpServerRequest, NodeHttpServerRequest.toIncomingMessage)

    /**
     * Serves `POST /tasks/:taskId` and `POST /dispatches` straight from Node's `request` event, as
     * the router would (the same answers), without the platform's per-request machinery (a quarter
     * of a millisecond per dispatch). Only while no spans go anywhere: a traced dispatch goes
     * through the router, whose server span continues the orchestrator's trace. Anything else
     * (other paths and methods, an undecodable task id) is left to the router: `false`. The clock
     * admitting dispatches is the runtime's (a `TestClock` in tests that install one).
     */
    const serveDirectly = (runtime: Runtime.Runtime<DispatchServices>) => {
      const runFork = Runtime.runFork(runtime)
      const clock = Context.get(FiberRefs.getOrDefault(runtime.fiberRefs, DefaultServices.currentServices), Clock.Clock)
      /** As the router answers a defect: 500, never a crashed process. */
      const guarded = (response: ServerResponse, serve: () => void) => {
        try {
          serve()
        } catch (defect) {
          runFork(log("error", `[PipeWeave] a dispatch failed: ${String(defect)}`))
          if (!response.headersSent) response.writeHead(500)
          response.end()
        }
      }

      /** Answers with an execution's ack, as the router would: 503 when the worker's shutdown interrupted it, 500 for a defect. */
      const answerAck = (response: ServerResponse) => (exit: Exit.Exit<DispatchAck>) => {
        if (response.destroyed) return
        if (Exit.isSuccess(exit)) return writeReply(jsonReply(200, exit.value), response)
        response.writeHead(Cause.isInterruptedOnly(exit.cause) ? 503 : 500).end()
      }

      /**
       * A single dispatch without a fiber of its own: read, decoded and admitted in Node's
       * callbacks, and its execution started at once (`runFork` runs it up to its first wait); its
       * ack is written when the execution ends. A dropped connection does not stop the execution.
       */
      const single = (taskId: string, request: IncomingMessage, response: ServerResponse) => {
        const task = singleTask(taskId)
        if (Either.isLeft(task)) return writeReply(task.left, response)
        onDispatchBody(request, (body) => guarded(response, () => {
          if (Either.isLeft(body)) return writeReply(body.left, response)
          const decision = decideSingle(taskId, body.right, clock.unsafeCurrentTimeMillis())
          if (decision._tag === "Answer") {
            if (decision.refused !== undefined) runFork(decision.refused)
            return writeReply(decision.reply, response)
          }
          const execution = runFork(executeDispatch(task.right, decision.payload, decision.grant))
          track(execution)
          execution.addObserver(answerAck(response))
        }))
      }

      /** A grouped dispatch without a fiber of its own, as `single` does it. */
      const group = (request: IncomingMessage, response: ServerResponse) => {
        if (gate.isClosed()) return writeReply(shuttingDown(), response)
        onDispatchBody(request, (body) => guarded(response, () => {
          const decoded = Either.flatMap(body, (json) => decodedWith(decodeGroup, json))
          if (Either.isLeft(decoded)) return writeReply(decoded.left, response)
          writeReply(admitGroup(decoded.right.dispatches, () => clock.unsafeCurrentTimeMillis(), runFork), response)
        }))
      }

      return (request: IncomingMessage, response: ServerResponse): boolean => {
        if (request.method !== "POST" || request.url === undefined) return false
        const path = request.url.split("?", 1)[0]!
        if (path !== "/dispatches") {
          const taskId = /^\/tasks\/([^/]+)$/.exec(path)?.[1]
          if (taskId === undefined) return false
          let decodedId: string
          try {
            decodedId = decodeURIComponent(taskId)
          } catch {
            return false
          }
          single(decodedId, request, response)
          return true
        }
        group(request, response)
        return true
      }
    }

    const health = Effect.sync(() =>
      reply(200, {
        status: gate.isClosed() ? "draining" : "ok",
        serviceId: settings.serviceId,
        version: settings.version,
        tasks: [...definition.tasks.keys()]
      })
    )

    const router = HttpRouter.empty.pipe(
      HttpRouter.get("/health", health),
      HttpRouter.post(
        "/tasks/:taskId",
        Effect.flatMap(Effect.zip(HttpRouter.params, incoming), ([{ taskId = "" }, request]) =>
          Effect.map(dispatch(taskId, request), toServerResponse))
      ),
      HttpRouter.post("/dispatches", Effect.flatMap(incoming, (request) => Effect.map(dispatchGroup(request), toServerResponse)))
    )
    return { router, serveDirectly } as const
  })

/** How many runs one grouped dispatch to this worker may carry (sent at registration). */
export const DISPATCH_GROUP_LIMIT = MAX_GROUPED_DISPATCHES
