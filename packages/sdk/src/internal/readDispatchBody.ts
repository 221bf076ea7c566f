import type { IncomingMessage } from "node:http"
import { exceedsDepth } from "@pipeweave/domain/JsonDepth"
import { readUpTo } from "@pipeweave/domain/ReadUpTo"
import { Effect, Either, Option } from "effect"
import { type DispatchReply, jsonReply } from "./DispatchReply.js"

/** The largest dispatch body read, single or grouped, and how deeply its JSON may nest (a run's input may nest 64 deep). */
export const MAX_DISPATCH_BODY_BYTES = 32 * 1024 * 1024
export const MAX_DISPATCH_DEPTH = 72

const refuse = (status: number, field: string, message: string, headers?: Record<string, string>): DispatchReply =>
  jsonReply(status, { _tag: "ValidationError", field, message }, headers)

const tooLarge = () => refuse(413, "body", `the body must be at most ${MAX_DISPATCH_BODY_BYTES} bytes`, { connection: "close" })

/**
 * A dispatch request's JSON body, or the answer refusing it: 415 unless it is `application/json`;
 * 413 past `MAX_DISPATCH_BODY_BYTES`, declared or read (reading stops there, and the connection is
 * closed); 400 naming `body` when it nests deeper than `MAX_DISPATCH_DEPTH` or is not JSON.
 */
export const readDispatchBody = (request: IncomingMessage): Effect.Effect<Either.Either<unknown, DispatchReply>> =>
  Effect.suspend(() => {
    const contentType = request.headers["content-type"] ?? ""
    if (!/^application\/json\s*(;|$)/i.test(contentType)) {
      return Effect.succeed(Either.left(refuse(415, "content-type", "the body must be application/json")))
    }
    if (Number(request.headers["content-length"] ?? 0) > MAX_DISPATCH_BODY_BYTES) return Effect.succeed(Either.left(tooLarge()))
    return readUpTo(request, MAX_DISPATCH_BODY_BYTES).pipe(
      Effect.map(Option.match({
        onNone: () => Either.left(tooLarge()),
        onSome: (body) => {
          const text = body.toString("utf8")
          if (exceedsDepth(text, MAX_DISPATCH_DEPTH)) {
            return Either.left(refuse(400, "body", `the body nests more than ${MAX_DISPATCH_DEPTH} levels`))
          }
          try {
            return Either.right(JSON.parse(text) as unknown)
          } catch {
            return Either.left(refuse(400, "body", "the request body is not valid JSON"))
          }
        }
      })),
      Effect.orElseSucceed(() => Either.left(refuse(400, "body", "the request body could not be read")))
    )
  })
