import { Effect } from "effect"
import { Agent, createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import { Agent as TlsAgent } from "node:https"
import type { AddressInfo } from "node:net"
import { afterEach, describe, expect, it } from "vitest"
import { postJson } from "../src/PostJson.js"

const agents = { http: new Agent({ keepAlive: true }), https: new TlsAgent({ keepAlive: true }) }
const servers: Array<Server> = []

/** A server on 127.0.0.1 answering with `handle`; its URL. */
const serve = async (handle: (request: IncomingMessage, response: ServerResponse) => void) => {
  const server = createServer(handle)
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

afterEach(async () => {
  agents.http.destroy()
  await Promise.all(servers.splice(0).map((server) => {
    server.closeAllConnections()
    return new Promise((resolve) => server.close(resolve))
  }))
})

describe("postJson", () => {
  it("sends the JSON body and keeps the answer's status and text", async () => {
    const url = await serve((request, response) => {
      let body = ""
      request.on("data", (chunk) => (body += chunk))
      request.on("end", () => response.writeHead(201, { "content-type": "application/json" }).end(JSON.stringify({ got: JSON.parse(body), type: request.headers["content-type"] })))
    })
    const reply = await Effect.runPromise(postJson(agents, `${url}/x`, JSON.stringify({ a: 1 }), { keptBytes: 1024, timeoutMs: 10_000 }))
    expect(reply).toEqual({ _tag: "Answered", status: 201, text: JSON.stringify({ got: { a: 1 }, type: "application/json" }) })
  })

  it("keeps the URL's path, query and credentials, on every request to the same URL", async () => {
    const seen: Array<{ url: string | undefined; authorization: string | undefined; host: string | undefined }> = []
    const url = await serve((request, response) => {
      seen.push({ url: request.url, authorization: request.headers.authorization, host: request.headers.host })
      request.resume()
      request.on("end", () => response.writeHead(200).end("ok"))
    })
    const target = url.replace("http://", "http://user:p%40ss@") + "/a/b?c=1&d=%20"
    for (let i = 0; i < 2; i++) {
      const reply = await Effect.runPromise(postJson(agents, target, "{}", { keptBytes: 1024, timeoutMs: 10_000 }))
      expect(reply).toEqual({ _tag: "Answered", status: 200, text: "ok" })
    }
    const expected = {
      url: "/a/b?c=1&d=%20",
      authorization: `Basic ${Buffer.from("user:p@ss").toString("base64")}`,
      host: url.slice("http://".length)
    }
    expect(seen).toEqual([expected, expected])
  })

  it("fails on a URL that does not parse, and on one that is not HTTP", async () => {
    await expect(Effect.runPromise(postJson(agents, "not a url", "{}", { keptBytes: 1024, timeoutMs: 1_000 })))
      .rejects.toThrow(/Invalid URL/)
    await expect(Effect.runPromise(postJson(agents, "ftp://127.0.0.1/x", "{}", { keptBytes: 1024, timeoutMs: 1_000 })))
      .rejects.toThrow(/not supported/)
  })

  it("gives up at its deadline on a server that never answers, and closes the connection", async () => {
    let closed!: () => void
    const connectionClosed = new Promise<void>((resolve) => (closed = resolve))
    const url = await serve((request) => {
      request.resume()
      request.socket.once("close", () => closed())
    })
    const started = performance.now()
    const reply = await Effect.runPromise(postJson(agents, `${url}/x`, "{}", { keptBytes: 1024, timeoutMs: 300 }))
    expect(reply).toEqual({ _tag: "TimedOut" })
    expect(performance.now() - started).toBeGreaterThanOrEqual(290)
    await connectionClosed
  })

  it("gives up at its deadline when the answer's body stops halfway", async () => {
    const url = await serve((request, response) => {
      request.resume()
      response.writeHead(200, { "content-type": "application/json" })
      response.write("{\"partial\":")
    })
    const reply = await Effect.runPromise(postJson(agents, `${url}/x`, "{}", { keptBytes: 1024, timeoutMs: 300 }))
    expect(reply).toEqual({ _tag: "TimedOut" })
  })

  it("fails with the connection's error when nothing listens", async () => {
    const url = await serve(() => {})
    await new Promise((resolve) => servers.pop()!.close(resolve))
    const reply = await Effect.runPromise(postJson(agents, `${url}/x`, "{}", { keptBytes: 1024, timeoutMs: 5_000 }))
    expect(reply._tag).toBe("Failed")
    expect(reply._tag === "Failed" && (reply.error as NodeJS.ErrnoException).code).toBe("ECONNREFUSED")
  })

  it("interrupted, it destroys the request", async () => {
    let closed!: () => void
    const connectionClosed = new Promise<void>((resolve) => (closed = resolve))
    let arrived!: () => void
    const requestArrived = new Promise<void>((resolve) => (arrived = resolve))
    const url = await serve((request) => {
      request.resume()
      request.socket.once("close", () => closed())
      arrived()
    })
    const fiber = Effect.runFork(postJson(agents, `${url}/x`, "{}", { keptBytes: 1024, timeoutMs: 60_000 }))
    await requestArrived
    await Effect.runPromise(fiber.interruptAsFork(fiber.id()))
    await connectionClosed
  })
})
