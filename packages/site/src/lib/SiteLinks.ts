/**
 * Links inside the site. The pages are served at "/" (npm run site, any web server) or at "/ui/"
 * (an orchestrator), so no link is absolute: each page carries `<meta name="pipeweave-root">`
 * holding the relative path to the site's root ("./" or "../"), and links are resolved from it.
 */
export type Page = "dashboard" | "pipelines" | "runs" | "dlq"

const PAGE_PATHS: Record<Page, string> = { dashboard: "", pipelines: "pipelines/", runs: "runs/", dlq: "dlq/" }

/** The site's root as an absolute URL, e.g. `http://host/ui/`. */
export const siteRoot = (): URL => {
  const relative = document.querySelector<HTMLMetaElement>('meta[name="pipeweave-root"]')?.content ?? "./"
  return new URL(relative, document.baseURI)
}

/** The URL of a page of the site. */
export const pageUrl = (page: Page, params: Record<string, string> = {}): string => {
  const url = new URL(PAGE_PATHS[page], siteRoot())
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value)
  return url.pathname + url.search
}

/**
 * A run's page: `runs/?id=<id>` (works on any static host). `/runs/<id>` is also accepted: the
 * orchestrator and `npm run site` serve `runs/index.html` for it; see `runIdFromLocation`.
 */
export const runUrl = (runId: string): string => pageUrl("runs", { id: runId })

/** The run id the Runs page was opened for, from `?id=` or from a `/runs/<id>` path. */
export const runIdFromLocation = (location: Location = window.location): string | undefined => {
  const fromQuery = new URLSearchParams(location.search).get("id")
  if (fromQuery) return fromQuery
  const match = /\/runs\/([^/]+)$/.exec(location.pathname)
  return match ? decodeURIComponent(match[1]!) : undefined
}

/** Root-relative prefix for a page at `pathname` in the build ("/" → "./", "/runs/" → "../"). */
export const rootPrefixFor = (pathname: string): string => {
  const depth = pathname.split("/").filter((segment) => segment.length > 0).length
  return depth === 0 ? "./" : "../".repeat(depth)
}
