import { CallbackItem, type CallbackItemResult } from "@pipeweave/domain/CallbackGroup"
import type { CallbackPayload } from "@pipeweave/domain/Callback"
import { parseTraceparent, tracingEnabled } from "@pipeweave/domain/TraceContext"
import { strictDecoder } from "@pipeweave/domain/api/StrictPayload"
import { Crypto } from "@pipeweave/storage/Crypto"
import { Cause, Clock, Effect, Either, Exit, Option, ParseResult, type Tracer } from "effect"
import { callbackScopeIssue } from "./CallbackScope.js"
import type { Conflict, NotFound, ValidationError } from "@pipeweave/domain/Errors"
import { Callbacks } from "./Callbacks.js"
import type { ResultApplied } from "./RunResults.js"
import { RunSlots } from "./RunSlots.js"

const decodeItem = strictDecoder(CallbackItem)

type Answer = Omit<CallbackItemResult, "runId">

const refused = (status: number, _tag: string, message: string, field?: string): Answer => ({
  status,
  error: { _tag, message, ...(field === undefined ? {} : { field }) }
})

const fieldOf = (value: unknown, name: string): unknown =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)[name] : undefined

/** The single route's body inside an item. */
const payloadOf = ({ callbackToken: _t, runId: _r, traceparent: _p, ...payload }: typeof CallbackItem.Type): CallbackPayload => payload

/**
 * Applies a group of completion callbacks (`POST /api/callbacks`): each item authenticated by its
 * own run credential and validated, in turn, then all applied through `Callbacks.applyAll` exactly
 * as the single route applies one (the completions of standalone runs together, in one
 * statement, which also claims the next runs into the slots the accepted items free together:
 * `RunSlots.freeFor`). An item's refusal is its own; it never fails the others. A run named twice
 * gets 409 the second time. With an exporter, each item has a `Callbacks.groupItem` span in its own
 * run's trace (its `traceparent`).
 */
export class CallbackGroups extends Effect.Service<CallbackGroups>()("@pipeweave/orchestrator/CallbackGroups", {
  effect: Effect.gen(function*() {
    const callbacks = yield* Callbacks
    const crypto = yield* Crypto
    const slots = yield* RunSlots

    /**
     * An item's credential, fields and paths checked, without a runtime step: its payload, or the
     * answer that refuses it. Throws only on a defect (see `apply`).
     */
    const checkItem = (raw: unknown, runId: string, nowMs: number): Either.Either<CallbackPayload, Answer> => {
      const token = fieldOf(raw, "callbackToken")
      if (typeof token !== "string" || token.length === 0) {
        return Either.left(refused(401, "Unauthorized", "missing callbackToken (the run credential of the dispatch)"))
      }
      const claims = crypto.sync.verifyCredential(token, nowMs)
      if (Either.isLeft(claims)) {
        return Either.left(
          refused(401, "Unauthorized", "invalid worker credential (is PIPEWEAVE_SECRET_KEY the same on worker and orchestrator?)")
        )
      }
      const attempt = fieldOf(raw, "attempt")
      const claim = claims.right
      if (claim._tag !== "Run" || claim.runId !== runId || claim.attempt !== attempt) {
        return Either.left(refused(401, "Unauthorized", `the credential is not for run ${runId} attempt ${String(attempt)}`))
      }
      const decoded = decodeItem(raw, { errors: "first" })
      if (Either.isLeft(decoded)) {
        const issue = ParseResult.ArrayFormatter.formatErrorSync(decoded.left)[0]
        const field = issue === undefined || issue.path.length === 0 ? undefined : issue.path.join(".")
        return Either.left(refused(400, "ValidationError", issue?.message ?? "invalid callback", field))
      }
      const payload = payloadOf(decoded.right)
      const outside = callbackScopeIssue(runId, claim.scope, payload)
      return outside === undefined ? Either.right(payload) : Either.left(refused(400, outside._tag, outside.message, outside.field))
    }

    /** `checkItem`, a defect in it logged and answered 500 (the other items go on). */
    const checkItemOrAnswer = (raw: unknown, runId: string, nowMs: number): Effect.Effect<Either.Either<CallbackPayload, Answer>> => {
      try {
        return Effect.succeed(checkItem(raw, runId, nowMs))
      } catch (defect) {
        return Effect.as(
          Effect.logError("a grouped callback failed", Cause.pretty(Cause.die(defect))),
          Either.left(refused(500, "InternalError", "the callback could not be applied"))
        )
      }
    }

    /** What an applied item is answered: its status, or its refusal; `undefined` for a defect. */
    const answerOf = (exit: Exit.Exit<ResultApplied, ValidationError | NotFound | Conflict>): Answer | undefined =>
      Exit.match(exit, {
        onSuccess: (applied): Answer => ({ status: 200, runStatus: applied.status }),
        onFailure: (cause) =>
          Option.match(Cause.failureOption(cause), {
            onSome: (e): Answer =>
              e._tag === "ValidationError"
                ? refused(400, e._tag, e.message, e.field)
                : refused(e._tag === "NotFound" ? 404 : 409, e._tag, e.message),
            onNone: () => undefined
          })
      })

    /** The item's span, in its own run's trace when its `traceparent` is valid, else in the request's. */
    const openItemSpan = (raw: unknown, runId: string) => {
      const parent = parseTraceparent(fieldOf(raw, "traceparent"))
      return Effect.makeSpan("Callbacks.groupItem", {
        kind: "server",
        attributes: { "pipeweave.run.id": runId },
        ...(Option.isSome(parent) ? { parent: parent.value } : {})
      })
    }

    const apply: (items: ReadonlyArray<unknown>) => Effect.Effect<ReadonlyArray<CallbackItemResult>> = Effect.fnUntraced(
      function*(items: ReadonlyArray<unknown>) {
        const traced = yield* tracingEnabled
        const nowMs = yield* Clock.currentTimeMillis
        const seen = new Set<string>()
        const answers: Array<Answer> = []
        const runIds: Array<string | null> = []
        const spans = new Map<number, Tracer.Span>()
        const accepted: Array<{ readonly index: number; readonly runId: string; readonly payload: CallbackPayload }> = []
        for (const [index, raw] of items.entries()) {
          const runId = fieldOf(raw, "runId")
          runIds.push(typeof runId === "string" ? runId : null)
          if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
            answers.push(refused(400, "ValidationError", `callbacks[${index}] must be an object`))
            continue
          }
          if (typeof runId !== "string") {
            answers.push(refused(400, "ValidationError", "runId must be a string", "runId"))
            continue
          }
          if (seen.has(runId)) {
            answers.push(refused(409, "Conflict", `run ${runId} is named more than once in this request`))
            continue
          }
          seen.add(runId)
          const span = traced ? yield* openItemSpan(raw, runId) : undefined
          if (span !== undefined) spans.set(index, span)
          const checked = yield* (span === undefined
            ? checkItemOrAnswer(raw, runId, nowMs)
            : Effect.withParentSpan(Effect.suspend(() => checkItemOrAnswer(raw, runId, nowMs)), span))
          answers.push(Either.isLeft(checked) ? checked.left : { status: 0 })
          if (Either.isRight(checked)) accepted.push({ index, runId, payload: checked.right })
        }
        if (accepted.length > 0) {
          const outcomes = yield* Effect.exit(callbacks.applyAll(accepted)).pipe(slots.freeFor(accepted.map(({ runId }) => runId)))
          for (const [i, { index }] of accepted.entries()) {
            const exit = Exit.isSuccess(outcomes) ? outcomes.value[i]! : Exit.failCause(outcomes.cause)
            const answer = answerOf(exit)
            if (answer !== undefined) {
              answers[index] = answer
              continue
            }
            yield* Effect.logError("a grouped callback failed", Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "")
            answers[index] = refused(500, "InternalError", "the callback could not be applied")
          }
        }
        if (spans.size > 0) {
          const endedNs = yield* Clock.currentTimeNanos
          for (const [index, span] of spans) {
            span.attribute("http.response.status_code", answers[index]!.status)
            span.end(endedNs, Exit.void)
          }
        }
        return answers.map((answer, index): CallbackItemResult => ({ runId: runIds[index]!, ...answer }))
      }
    )

    return { apply } as const
  })
}) {}
