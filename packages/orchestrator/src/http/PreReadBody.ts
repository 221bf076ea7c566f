import type { HttpServerRequest } from "@effect/platform"
import { Effect } from "effect"

const PRE_READ = Symbol.for("@pipeweave/orchestrator/PreReadBody")

/** A body read before the API's handlers, as bytes and as text. */
export interface ReadBody {
  readonly body: Buffer
  readonly text: string
}

/**
 * The request as the API sees it, its body already read: `text`, `json` and `arrayBuffer` answer
 * from `body`, and `preReadBody` finds it, so nothing reads the consumed stream again.
 */
export const withBody = (request: HttpServerRequest.HttpServerRequest, body: Buffer, text: string) =>
  new Proxy(request, {
    get: (target, property, receiver) =>
      property === "text"
        ? Effect.succeed(text)
        : property === "arrayBuffer"
        ? Effect.succeed(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength))
        : property === PRE_READ
        ? { body, text } satisfies ReadBody
        : Reflect.get(target, property, receiver)
  })

/** The body `withBody` attached to the request, if any. */
export const preReadBody = (request: HttpServerRequest.HttpServerRequest): ReadBody | undefined =>
  (request as unknown as { readonly [PRE_READ]?: ReadBody })[PRE_READ]
