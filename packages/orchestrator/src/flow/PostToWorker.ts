import type { HttpAgent } from "@effect/platform-node/NodeHttpClient"
import { postJson } from "@pipeweave/storage/PostJson"
import { Effect } from "effect"
import { transportReply, type WorkerReply } from "./WorkerAnswer.js"

/** How much of an answer is kept: a dispatch's answer is an ack, or an error excerpted to 120 characters. */
export const ANSWER_KEPT_BYTES = 64 * 1024

/**
 * POSTs a JSON `body` to a worker through the dispatch client's kept-alive agents (`postJson`), as
 * a `WorkerReply`: a transport error is classified as the HTTP client's would be, and no whole
 * answer within `timeoutMs` is a `Timeout`. For untraced dispatches only; a traced one goes through
 * `HttpClient`, which opens the client span and passes the trace on.
 */
export const postToWorker = (agents: HttpAgent, url: string, body: string, timeoutMs: number): Effect.Effect<WorkerReply> =>
  Effect.map(postJson(agents, url, body, { keptBytes: ANSWER_KEPT_BYTES, timeoutMs }), (reply): WorkerReply => {
    switch (reply._tag) {
      case "TimedOut":
        return { _tag: "Timeout" }
      case "Answered":
        return { _tag: "Status", status: reply.status, text: reply.text }
      case "Failed":
        return transportReply({ _tag: "RequestError", message: `Transport error (POST ${url})`, cause: reply.error })
      case "Lost":
        return { _tag: "Lost" }
    }
  })
