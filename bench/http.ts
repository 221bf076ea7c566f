import { Agent, request } from "node:http"
import { createServer } from "node:net"

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0))
    })
  })

/**
 * The bench's HTTP client: Node's own, with kept-alive connections — the stack PipeWeave's CLI and
 * SDK use. (`fetch` costs ~2 ms of CPU per request on a quiet connection here, twice Node's: a cost
 * of the client library, counted in queue→start and competing for the same two cores, where
 * graphile-worker's `addJob` is one `pg` query.)
 */
const agent = new Agent({ keepAlive: true, maxSockets: 16 })

interface Answer {
  readonly status: number
  readonly text: string
}

const exchange = (url: string, options: { method: string; body?: string; timeoutMs?: number }): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { accept: "application/json" }
    if (options.body !== undefined) {
      headers["content-type"] = "application/json"
      headers["content-length"] = Buffer.byteLength(options.body)
    }
    const req = request(url, { method: options.method, agent, headers }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (chunk: Buffer) => chunks.push(chunk))
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }))
      res.on("error", reject)
    })
    req.on("error", reject)
    if (options.timeoutMs !== undefined) {
      req.setTimeout(options.timeoutMs, () => req.destroy(new Error(`${url}: no answer within ${options.timeoutMs} ms`)))
    }
    req.end(options.body)
  })

const read = <A>(url: string, answer: Answer): A => {
  if (answer.status < 200 || answer.status >= 300) throw new Error(`${url}: ${answer.status} ${answer.text.slice(0, 500)}`)
  return JSON.parse(answer.text) as A
}

export const get = async <A>(url: string): Promise<A> => read<A>(url, await exchange(url, { method: "GET" }))

export const post = async <A>(url: string, body: unknown): Promise<A> =>
  read<A>(url, await exchange(url, { method: "POST", body: JSON.stringify(body) }))

/** True once `url` answers 2xx; false on a refused connection or any other status. */
export const answers = async (url: string): Promise<boolean> => {
  try {
    const answer = await exchange(url, { method: "GET", timeoutMs: 5_000 })
    return answer.status >= 200 && answer.status < 300
  } catch {
    return false
  }
}
