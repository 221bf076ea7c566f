import { createHash, randomUUID } from "node:crypto"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { Effect, type Scope } from "effect"

/**
 * A FAKE of the Google Cloud Storage JSON and upload APIs for tests: only what @google-cloud/storage 7
 * calls for object metadata, media download, delete, paginated list, multipart and resumable
 * uploads, with objects in memory. It is not an emulator and checks no credentials.
 */
export interface FakeGcs {
  readonly endpoint: string
  readonly objects: ReadonlyMap<string, { readonly data: Buffer; readonly contentType: string }>
  readonly requests: ReadonlyArray<string>
}

const CRC32C_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

/** CRC32C (Castagnoli), base64 of the big-endian value, as GCS reports it. */
export const crc32c = (data: Buffer): string => {
  let crc = 0xffffffff
  for (const byte of data) crc = CRC32C_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8)
  const out = Buffer.alloc(4)
  out.writeUInt32BE((crc ^ 0xffffffff) >>> 0)
  return out.toString("base64")
}

const readBody = async (req: IncomingMessage): Promise<Buffer> => {
  const chunks: Array<Buffer> = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

const parseMultipart = (body: Buffer, boundary: string) => {
  const delimiter = Buffer.from(`--${boundary}`)
  const parts: Array<{ headers: string; body: Buffer }> = []
  for (let start = body.indexOf(delimiter); start !== -1;) {
    const next = body.indexOf(delimiter, start + delimiter.length)
    if (next === -1) break
    const part = body.subarray(start + delimiter.length + 2, next - 2)
    const split = part.indexOf("\r\n\r\n")
    parts.push({ headers: part.subarray(0, split).toString(), body: part.subarray(split + 4) })
    start = next
  }
  return parts
}

export const fakeGcs = (bucket: string, pageSize = 3): Effect.Effect<FakeGcs, never, Scope.Scope> =>
  Effect.gen(function*() {
    const objects = new Map<string, { data: Buffer; contentType: string; generation: number }>()
    const sessions = new Map<string, { name: string; contentType: string }>()
    const requests: Array<string> = []
    let generation = 1
    let endpoint = ""

    const resource = (name: string) => {
      const object = objects.get(name)!
      return {
        kind: "storage#object",
        id: `${bucket}/${name}/${object.generation}`,
        name,
        bucket,
        generation: String(object.generation),
        metageneration: "1",
        contentType: object.contentType,
        size: String(object.data.byteLength),
        md5Hash: createHash("md5").update(object.data).digest("base64"),
        crc32c: crc32c(object.data)
      }
    }
    const json = (res: ServerResponse, status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json; charset=UTF-8" })
      res.end(JSON.stringify(body))
    }
    const notFound = (res: ServerResponse, name: string) =>
      json(res, 404, { error: { code: 404, message: `No such object: ${bucket}/${name}`, errors: [{ reason: "notFound" }] } })
    const store = (res: ServerResponse, name: string, data: Buffer, contentType: string) => {
      objects.set(name, { data, contentType, generation: generation++ })
      json(res, 200, resource(name))
    }

    const handle = async (req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url!, endpoint)
      const body = await readBody(req)
      requests.push(`${req.method} ${url.pathname}${url.search}`)
      const upload = url.pathname === `/upload/storage/v1/b/${bucket}/o`
      const object = url.pathname.match(new RegExp(`^/storage/v1/b/${bucket}/o/([^/]+)$`))
      if (req.method === "POST" && upload && url.searchParams.get("uploadType") === "multipart") {
        const boundary = /boundary=([^;]+)/.exec(req.headers["content-type"] ?? "")![1]!
        const [meta, media] = parseMultipart(body, boundary)
        const metadata = JSON.parse(meta!.body.toString()) as { contentType?: string }
        return store(res, url.searchParams.get("name")!, Buffer.from(media!.body), metadata.contentType ?? "")
      }
      if (req.method === "POST" && upload && url.searchParams.get("uploadType") === "resumable") {
        const id = randomUUID()
        const contentType = String(req.headers["x-upload-content-type"] ?? "application/octet-stream")
        sessions.set(id, { name: url.searchParams.get("name")!, contentType })
        res.writeHead(200, { location: `${endpoint}/upload/storage/v1/b/${bucket}/o?uploadType=resumable&upload_id=${id}` })
        return res.end()
      }
      if (req.method === "PUT" && upload && sessions.has(url.searchParams.get("upload_id") ?? "")) {
        const session = sessions.get(url.searchParams.get("upload_id")!)!
        sessions.delete(url.searchParams.get("upload_id")!)
        return store(res, session.name, body, session.contentType)
      }
      if (object && req.method === "GET") {
        const name = decodeURIComponent(object[1]!)
        const found = objects.get(name)
        if (!found) return notFound(res, name)
        if (url.searchParams.get("alt") !== "media") return json(res, 200, resource(name))
        const { crc32c: crc, md5Hash } = resource(name)
        res.writeHead(200, {
          "content-type": found.contentType,
          "content-length": found.data.byteLength,
          "x-goog-hash": `crc32c=${crc},md5=${md5Hash}`,
          "x-goog-stored-content-encoding": "identity",
          "x-goog-generation": String(found.generation)
        })
        return res.end(found.data)
      }
      if (object && req.method === "DELETE") {
        const name = decodeURIComponent(object[1]!)
        if (!objects.delete(name)) return notFound(res, name)
        res.writeHead(204)
        return res.end()
      }
      if (url.pathname === `/storage/v1/b/${bucket}/o` && req.method === "GET") {
        const names = [...objects.keys()].filter((name) => name.startsWith(url.searchParams.get("prefix") ?? "")).sort()
        const from = Number(url.searchParams.get("pageToken") ?? 0)
        const page = names.slice(from, from + pageSize)
        const nextPageToken = from + pageSize < names.length ? { nextPageToken: String(from + pageSize) } : {}
        return json(res, 200, { kind: "storage#objects", items: page.map(resource), ...nextPageToken })
      }
      json(res, 501, { error: { code: 501, message: `fake GCS does not implement ${req.method} ${url.pathname}` } })
    }

    const server = createServer((req, res) => {
      handle(req, res).catch((error) => json(res, 500, { error: { code: 500, message: String(error) } }))
    })
    yield* Effect.acquireRelease(
      Effect.async<void>((resume) => void server.listen(0, "127.0.0.1", () => resume(Effect.void))),
      () =>
        Effect.async<void>((resume) => {
          server.close(() => resume(Effect.void))
          server.closeAllConnections()
        })
    )
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    return { endpoint, objects, requests }
  })
