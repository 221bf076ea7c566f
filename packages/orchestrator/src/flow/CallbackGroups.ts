import { CallbackItem, type CallbackItemResult } from "@pipeweave/domain/CallbackGroup"
import type { CallbackPayload } from "@pipeweave/domain/Callback"
import { parseTraceparent } from "@pipeweave/domain/TraceContext"
import { strictPayload } from "@pipeweave/domain/api/StrictPayload"
import { Crypto } from "@pipeweave/storage/Crypto"
import { Cause, Clock, Effect, Either, Option, ParseResult, Schema } from "effect"
import { checkCallbackScope } from "./CallbackScope.js"
import { Callbacks } from "./Callbacks.js"
import { RunSlots } from "./RunSlots.js"

const decodeItem = Schema.decodeUnknownEither(strictPayload(CallbackItem))

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
 * own run credential, validated and applied through `Callbacks` exactly as the single route does,
 * all at once so that the completions among them reach `CompletionBatches` together, and the
 * slots of the runs whose results were applied come free together (one wake-up, so the next claim
 * fills them all at once). An item's refusal is its own; it never fails the others. A run named
 * twice gets 409 the second time.
 */
export class CallbackGroups extends Effect.Service<CallbackGroups>()("@pipeweave/orchestrator/CallbackGroups", {
  effect: Effect.gen(function*() {
    const callbacks = yield* Callbacks
    const crypto = yield* Crypto
    const slots = yield* RunSlots

    const applyItem = (raw: unknown, runId: string): Effect.Effect<Answer> =>
      Effect.gen(function*() {
        const token = fieldOf(raw, "callbackToken")
        if (typeof token !== "string" || token.length === 0) {
          return refused(401, "Unauthorized", "missing callbackToken (the run credential of the dispatch)")
        }
        const claims = yield* Effect.either(crypto.verifyCredential(token, yield* Clock.currentTimeMillis))
        if (Either.isLeft(claims)) {
          return refused(401, "Unauthorized", "invalid worker credential (is PIPEWEAVE_SECRET_KEY the same on worker and orchestrator?)")
        }
        const attempt = fieldOf(raw, "attempt")
        const claim = claims.right
        if (claim._tag !== "Run" || claim.runId !== runId || claim.attempt !== attempt) {
          return refused(401, "Unauthorized", `the credential is not for run ${runId} attempt ${String(attempt)}`)
        }
        const decoded = decodeItem(raw, { errors: "first" })
        if (Either.isLeft(decoded)) {
          const issue = ParseResult.ArrayFormatter.formatErrorSync(decoded.left)[0]
          const field = issue === undefined || issue.path.length === 0 ? undefined : issue.path.join(".")
          return refused(400, "ValidationError", issue?.message ?? "invalid callback", field)
        }
        const payload = payloadOf(decoded.right)
        return yield* checkCallbackScope(runId, claim.scope, payload).pipe(
          Effect.zipRight(callbacks.apply(runId, payload)),
          Effect.map((applied): Answer => ({ status: 200, runStatus: applied.status })),
          Effect.catchTags({
            ValidationError: (e) => Effect.succeed(refused(400, e._tag, e.message, e.field)),
            NotFound: (e) => Effect.succeed(refused(404, e._tag, e.message)),
            Conflict: (e) => Effect.succeed(refused(409, e._tag, e.message))
          })
        )
      }).pipe(
        Effect.catchAllCause((cause) =>
          Effect.as(
            Effect.logError("a grouped callback failed", Cause.pretty(cause)),
            refused(500, "InternalError", "the callback could not be applied")
          )),
        (effect) => {
          const parent = parseTraceparent(fieldOf(raw, "traceparent"))
          return Effect.withSpan(effect, "Callbacks.groupItem", {
            kind: "server",
            attributes: { "pipeweave.run.id": runId },
            ...(Option.isSome(parent) ? { parent: parent.value } : {})
          })
        }
      )

    const apply = (items: ReadonlyArray<unknown>): Effect.Effect<ReadonlyArray<CallbackItemResult>> => {
      const seen = new Set<string>()
      const planned = items.map((raw, index): { runId: string | null; run: Effect.Effect<Answer> } => {
        const runId = fieldOf(raw, "runId")
        if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
          return { runId: null, run: Effect.succeed(refused(400, "ValidationError", `callbacks[${index}] must be an object`)) }
        }
        if (typeof runId !== "string") {
          return { runId: null, run: Effect.succeed(refused(400, "ValidationError", "runId must be a string", "runId")) }
        }
        if (seen.has(runId)) {
          return { runId, run: Effect.succeed(refused(409, "Conflict", `run ${runId} is named more than once in this request`)) }
        }
        seen.add(runId)
        return { runId, run: applyItem(raw, runId) }
      })
      return Effect.forEach(
        planned,
        ({ run, runId }) => Effect.map(run, (answer): CallbackItemResult => ({ runId, ...answer })),
        { concurrency: "unbounded" }
      ).pipe(Effect.tap((results) =>
        slots.free(results.flatMap((r) => r.status === 200 && r.runId !== null ? [r.runId] : []))
      ))
    }

    return { apply } as const
  })
}) {}
