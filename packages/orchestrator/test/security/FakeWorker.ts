import { createServer, type Server } from "node:http"
import { Effect, Queue } from "effect"
import { freePort } from "../support/Processes.js"

/**
 * A worker that answers every dispatch 200 at once and runs nothing: each dispatch body (with its
 * `callbackToken`) is offered to `dispatches`, so a test plays the worker's side by hand.
 */
export const fakeWorker = (port?: number) =>
  Effect.gen(function*() {
    const dispatches = yield* Queue.unbounded<any>()
    const listenOn = port ?? (yield* freePort)
    const server = yield* Effect.acquireRelease(
      Effect.async<Server>((resume) => {
        const server = createServer((req, res) => {
          let text = ""
          req.on("data", (chunk) => (text += chunk))
          req.on("end", () => {
            res.writeHead(200, { "content-type": "application/json" }).end("{}")
            if (req.url?.startsWith("/tasks/")) Queue.unsafeOffer(dispatches, JSON.parse(text))
          })
        })
        server.listen(listenOn, "127.0.0.1", () => resume(Effect.succeed(server)))
      }),
      (server) =>
        Effect.async<void>((resume) => {
          server.close(() => resume(Effect.void))
          server.closeAllConnections()
        })
    )
    return { url: `http://127.0.0.1:${listenOn}`, dispatches, port: listenOn, close: Effect.sync(() => server.closeAllConnections()) }
  })
