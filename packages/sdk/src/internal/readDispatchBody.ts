import type { IncomingMessage } from "node:http"
import { exceedsDepth } from "@pipeweave/domain/JsonDepth"
import { type BodyRead, onBodyUpTo } from "@pipeweave/domain/ReadUpTo"
import { Effect, Either } from "effect"
import { type DispatchReply, jsonReply } from "./DispatchReply.js"

/** The largest dispatch body read, single or grouped, and how deeply its JSON may nest (a run's input may nest 64 deep). */
export const MAX_DISPATCH_BODY_BYTES = 32 * 1024 * 1024
export const MAX_DISPATCH_DEPTH = 72

const refuse = (status: number, field: string, message: string, headers?: Record<string, string>): DispatchReply =>
  jsonReply(status, { _tag: "ValidationError", field, message }, headers)

const tooLarge = () => refuse(413, "body", `the body must be at most ${MAX_DISPATCH_BODY_BYTES} bytes`, { connection: "close" })

/** The body as JSON, or the answer refusing how reading it ended. */
const parsed = (read: BodyRead): Either.Either<unknown, DispatchReply> => {
  switch (read._tag) {
    case "TooLarge":
      return Either.left(tooLarge())
    case "Failed":
      return Either.left(refuse(400, "body", "the request body could not be read"))
    case "Read": {
      const text = read.body.toString("utf8")
      if (exceedsDepth(text, MAX_DISPATCH_DEPTH)) {
        return Either.left(refuse(400, "body", `the body nests more than ${MAX_DISPATCH_DEPTH} levels`))
      }
      try {
        return Either.right(JSON.parse(text) as unknown)
      } catch {
        return Either.left(refuse(400, "body", "the request body is not valid JSON"))
      }
    }
  }
}

/**
 * Reads a dispatch request's JSON body and calls `done` once with it, or with the answer refusing
 * it: 415 unless it is `application/json`; 413 past `MAX_DISPATCH_BODY_BYTES`, declared or read
 * (reading stops there, and the connection is closed); 400 naming `body` when it nests deeper than
 * `MAX_DISPATCH_DEPTH` or is not JSON. Plain callbacks, for the routes served straight from Node's
 * `request` event; returns what stops reading.
 */
export const onDispatchBody = (request: IncomingMessage, done: (body: Either.Either<unknown, DispatchReply>) => void): () => void => {
  const contentType = request.headers["content-type"] ?? ""
  if (!/^application\/json\s*(;|$)/i.test(contentType)) {
    done(Either.left(refuse(415, "content-type", "the body must be application/json")))
    return () => {}
  }
  if (Number(request.headers["content-length"] ?? 0) > MAX_DISPATCH_BODY_BYTES) {
    done(Either.left(tooLarge()))
    return () => {}
  }
  return onBodyUpTo(request, MAX_DISPATCH_BODY_BYTES, (read) => done(parsed(read)))
}

/** `onDispatchBody` as an effect. */
export const readDispatchBody = (request: IncomingMessage): Effect.Effect<Either.Either<unknown, DispatchReply>> =>
  Effect.async((resume) => {
    const stop = onDispatchBody(request, (body) => resume(Effect.succeed(body)))
    return Effect.sync(stop)
  })
