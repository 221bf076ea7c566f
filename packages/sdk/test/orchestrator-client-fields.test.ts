import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { assert, describe, it } from "@effect/vitest"
import { RegisterRequest } from "@pipeweave/domain/Registration"
import { Effect, Schema } from "effect"
import { OrchestratorClient, layerOrchestratorClient } from "../src/internal/OrchestratorClient.js"

/**
 * An orchestrator stand-in that records each request body and answers with the fields a newer
 * orchestrator might add (`server`, `hint`) besides the declared ones.
 */
const recordingServer = Effect.acquireRelease(
  Effect.async<{ readonly url: string; readonly bodies: Map<string, any>; readonly close: () => void }>((resume) => {
    const bodies = new Map<string, any>()
    const server = createServer((request, response) => {
      let text = ""
      request.on("data", (chunk) => (text += chunk))
      request.on("end", () => {
        const path = request.url!.startsWith("/api/callback/") ? "/api/callback" : request.url!
        bodies.set(path, JSON.parse(text))
        const answers: Record<string, unknown> = {
          "/api/register": {
            serviceId: "svc",
            version: "1.0.0",
            tasks: [{ taskId: "t", codeHash: "0123456789abcdef", codeVersion: 1, hint: "x" }],
            codeChanges: [],
            orphansCancelled: [],
            server: "newer"
          },
          "/api/heartbeat": { runId: "trun_abcdef01", status: "running", cancelled: false, server: "newer" },
          "/api/progress": { runId: "trun_abcdef01", status: "running", cancelled: false, server: "newer" },
          "/api/idempotency": { _tag: "Execute", server: "newer" },
          "/api/callback": { runId: "trun_abcdef01", status: "completed", server: "newer" }
        }
        response.writeHead(200, { "content-type": "application/json" })
        response.end(JSON.stringify(answers[path]))
      })
    })
    server.listen(0, "127.0.0.1", () =>
      resume(Effect.succeed({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        bodies,
        close: () => server.close()
      })))
  }),
  ({ close }) => Effect.sync(close)
)

describe("what the SDK sends the orchestrator", () => {
  it.scopedLive("only the declared fields of each body (the orchestrator refuses others), and it reads answers carrying new fields", () =>
    Effect.gen(function*() {
      const server = yield* recordingServer
      const client = yield* Effect.provide(OrchestratorClient, layerOrchestratorClient(server.url))
      const extra = { debug: true } as {}
      const registration = Schema.decodeUnknownSync(RegisterRequest)({
        serviceId: "svc",
        baseUrl: "http://127.0.0.1:9",
        tasks: [{ id: "t", codeHash: "0123456789abcdef" }]
      })
      const registered = yield* client.register(
        { ...registration, ...extra, tasks: registration.tasks.map((t) => ({ ...t, ...extra })) } as RegisterRequest,
        "credential"
      )
      assert.deepStrictEqual(registered.tasks.map((t) => t.codeVersion), [1])
      const run = { runId: "trun_abcdef01", attempt: 1 }
      assert.isFalse((yield* client.heartbeat({ ...run, ...extra }, "token")).cancelled)
      assert.isFalse((yield* client.progress({ ...run, percent: 50, ...extra }, "token")).cancelled)
      assert.strictEqual((yield* client.idempotency({ ...run, key: "k", ...extra }, "token"))._tag, "Execute")
      yield* client.callback("trun_abcdef01", {
        status: "success",
        attempt: 1,
        outputPath: "runs/x/outputs/trun_abcdef01.json",
        outputSize: 2,
        assets: { "a.pdf": { path: "runs/x/assets/a.pdf", size: 1, type: "binary", ...extra } },
        ...extra
      }, "token")

      const keys = (value: unknown): Array<string> =>
        value !== null && typeof value === "object"
          ? Object.entries(value).flatMap(([k, v]) => [k, ...keys(v)])
          : []
      for (const [path, body] of server.bodies) assert.notInclude(keys(body), "debug", `${path}: ${JSON.stringify(body)}`)
      assert.deepStrictEqual(Object.keys(server.bodies.get("/api/register")).sort(), [
        "baseUrl",
        "pipelines",
        "serviceId",
        "takeover",
        "tasks",
        "version"
      ])
      assert.deepStrictEqual(server.bodies.get("/api/heartbeat"), run)
      assert.deepStrictEqual(server.bodies.get("/api/callback").assets, {
        "a.pdf": { path: "runs/x/assets/a.pdf", size: 1, type: "binary" }
      })
      assert.strictEqual(server.bodies.size, 5)
    }))
})
