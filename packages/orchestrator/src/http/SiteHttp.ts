import { existsSync } from "node:fs"
import { readFile, stat } from "node:fs/promises"
import { dirname, extname, join, normalize, sep } from "node:path"
import { fileURLToPath } from "node:url"
import { HttpApiBuilder, HttpServer, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect, Layer, Option } from "effect"

/** Where the orchestrator serves the monitoring site. */
export const SITE_PATH = "/ui/"

/**
 * The built monitoring site (`packages/site`, copied to this package's `dist/site` by
 * `npm run build`), found by walking up from this module to the package root: the same folder
 * from the sources, the build, the bundle and an installed package. `PIPEWEAVE_SITE_DIR`
 * overrides it. None when the site was not built.
 */
export const siteDir = (): Option.Option<string> => {
  const override = process.env["PIPEWEAVE_SITE_DIR"]?.trim()
  if (override) return Option.some(override)
  const start = dirname(fileURLToPath(import.meta.url))
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, "dist", "site")
    if (existsSync(join(candidate, "index.html"))) return Option.some(candidate)
    if (existsSync(join(dir, "package.json")) || dirname(dir) === dir) return Option.none()
  }
}

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8"
}

const notFound = (message: string) => HttpServerResponse.unsafeJson({ _tag: "NotFound", message }, { status: 404 })

/** A file of the site; `directory` when the path named its folder (served as its `index.html`). */
export interface SiteFile {
  readonly path: string
  readonly directory: boolean
}

/**
 * The file under `root` that `pathname` (below `/ui/`) names: a directory means its
 * `index.html`, `runs/<id>` means `runs/index.html` (the Runs page reads the id from the path).
 * None for anything outside `root`, hidden, or missing.
 */
export const resolveSiteFile = async (root: string, pathname: string): Promise<Option.Option<SiteFile>> => {
  let relative: string
  try {
    relative = decodeURIComponent(pathname.slice(SITE_PATH.length))
  } catch {
    return Option.none()
  }
  if (relative.includes("\0") || relative.includes("\\") || relative.split("/").some((part) => part.startsWith("."))) {
    return Option.none()
  }
  if (/^runs\/[^/]+$/.test(relative)) relative = "runs/index.html"
  const path = normalize(join(root, relative))
  if (path !== root && !path.startsWith(root.endsWith(sep) ? root : root + sep)) return Option.none()
  const info = await stat(path).catch(() => undefined)
  const directory = info?.isDirectory() === true
  const file = directory ? join(path, "index.html") : path
  const fileInfo = directory ? await stat(file).catch(() => undefined) : info
  return fileInfo?.isFile() ? Option.some({ path: file, directory }) : Option.none()
}

const serveFrom = (root: string) =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const { pathname, search } = new URL(request.url, "http://orchestrator")
    if (pathname === "/ui") return HttpServerResponse.redirect(`${SITE_PATH}${search}`, { status: 301 })
    const file = yield* Effect.promise(() => resolveSiteFile(root, pathname))
    if (Option.isNone(file)) return notFound(`no page ${pathname.slice(0, 200)} in the monitoring site`)
    // The page's relative links need the folder's trailing slash.
    if (file.value.directory && !pathname.endsWith("/")) return HttpServerResponse.redirect(`${pathname}/${search}`, { status: 301 })
    const body = yield* Effect.promise(() => readFile(file.value.path))
    const immutable = file.value.path.includes(`${sep}_astro${sep}`)
    return HttpServerResponse.uint8Array(body, {
      contentType: CONTENT_TYPES[extname(file.value.path)] ?? "application/octet-stream",
      headers: {
        "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
        "x-content-type-options": "nosniff"
      }
    })
  })

/**
 * The monitoring site at `/ui/`: static files, no credential needed (they hold no data; the
 * site's API calls carry the API key). `/ui` redirects to `/ui/`.
 */
export const SiteHttp = HttpApiBuilder.Router.use((router) =>
  Effect.gen(function*() {
    const root = siteDir()
    const handler = Option.match(root, {
      onNone: () => Effect.succeed(notFound("the monitoring site is not built: run `npm run build`")),
      onSome: serveFrom
    })
    // The router matches "/ui" and "/ui/" alike; the handler tells them apart.
    yield* router.get("/ui", handler)
    yield* router.get("/ui/*", handler)
  })
)

/** Says at start-up where the server listens, then where the monitoring site is (or that it was not built). */
export const logAddresses = Layer.effectDiscard(Effect.zipRight(HttpServer.logAddress, HttpServer.addressFormattedWith((address) =>
  Option.match(siteDir(), {
    onNone: () => Effect.logInfo("the monitoring site is not built (`npm run build`): /ui/ answers 404"),
    onSome: () => Effect.logInfo(`Monitoring site at ${address}${SITE_PATH}`)
  })
)))
