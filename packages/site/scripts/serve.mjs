/**
 * `npm run site`: serves the built monitoring site (packages/site/dist) on http://127.0.0.1:4000
 * (PORT and HOST change that). Plain static files, plus the one rewrite any web server in front
 * of the site needs: `/runs/<id>` is answered with `runs/index.html` (the Runs page reads the id
 * from the path). A directory without trailing slash is redirected to it, as web servers do.
 */
import { createReadStream } from "node:fs"
import { stat } from "node:fs/promises"
import { createServer } from "node:http"
import { dirname, extname, join, normalize, sep } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "dist")
const port = Number(process.env.PORT ?? 4000)
const host = process.env.HOST ?? "127.0.0.1"

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8"
}

const fileAt = async (path) => {
  const info = await stat(path).catch(() => undefined)
  return info
}

const send = (response, status, body, headers = {}) => {
  response.writeHead(status, { "content-type": "text/plain; charset=utf-8", ...headers })
  response.end(body)
}

try {
  await stat(join(root, "index.html"))
} catch {
  console.error(`no built site in ${root}: run \`npm run build\` first`)
  process.exit(1)
}

const server = createServer(async (request, response) => {
  if (request.method !== "GET" && request.method !== "HEAD") return send(response, 405, "method not allowed", { allow: "GET, HEAD" })
  let pathname
  try {
    pathname = decodeURIComponent(new URL(request.url ?? "/", "http://site").pathname)
  } catch {
    return send(response, 400, "bad path")
  }
  if (pathname.includes("\0")) return send(response, 400, "bad path")
  if (/^\/runs\/[^/]+$/.test(pathname)) pathname = "/runs/index.html"
  const path = normalize(join(root, pathname))
  if (path !== root && !path.startsWith(root + sep)) return send(response, 404, "not found")

  let info = await fileAt(path)
  let file = path
  if (info?.isDirectory()) {
    if (!pathname.endsWith("/")) return send(response, 301, "", { location: `${pathname}/${new URL(request.url ?? "/", "http://site").search}` })
    file = join(path, "index.html")
    info = await fileAt(file)
  }
  if (!info?.isFile()) return send(response, 404, "not found")
  const immutable = file.includes(`${sep}_astro${sep}`)
  response.writeHead(200, {
    "content-type": TYPES[extname(file)] ?? "application/octet-stream",
    "content-length": info.size,
    "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
    "x-content-type-options": "nosniff"
  })
  if (request.method === "HEAD") return response.end()
  createReadStream(file).pipe(response)
})

server.listen(port, host, () => {
  const address = server.address()
  console.log(`PipeWeave monitoring site on http://${host}:${typeof address === "object" && address ? address.port : port}/`)
})
