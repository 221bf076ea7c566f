import { urlToHttpOptions } from "node:url"

/** Where a request goes, as Node's client takes a URL apart. */
export type RequestTarget = ReturnType<typeof urlToHttpOptions>

/** How many URLs `requestTarget` keeps (a process posts to a few: its workers, its orchestrator). */
const KEPT = 256
const parsed = new Map<string, RequestTarget>()

/**
 * A last path segment that the URL parser keeps as it is: no percent sign, no dot segment, nothing
 * it would encode or treat as a delimiter (a run id, a task id).
 */
const PLAIN_SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._~-]*$/

const parse = (url: string): RequestTarget => {
  const known = parsed.get(url)
  if (known !== undefined) return known
  const target = urlToHttpOptions(new URL(url))
  if (parsed.size >= KEPT) parsed.clear()
  parsed.set(url, target)
  return target
}

/**
 * `url` as Node's client takes it apart (`urlToHttpOptions`), parsed once per URL: given as a
 * string, `http.request` parses it again on every call, ~30–60 µs of a single dispatch's CPU here.
 * A URL that differs from others only in a plain last segment (`…/api/callback/{runId}`, one per
 * run) is its prefix's target, parsed once, with the segment appended, so each callback parses
 * nothing and pushes no other URL out. Spread into the request's options. Throws, as
 * `http.request` would, on a URL that does not parse.
 */
export const requestTarget = (url: string): RequestTarget => {
  const known = parsed.get(url)
  if (known !== undefined) return known
  const slash = url.lastIndexOf("/")
  const segment = url.slice(slash + 1)
  if (slash > 0 && url[slash - 1] !== "/" && !url.includes("?") && !url.includes("#") && PLAIN_SEGMENT.test(segment)) {
    const prefix = parse(url.slice(0, slash + 1)) as RequestTarget & { readonly pathname: string; readonly href: string }
    if (prefix.path?.endsWith("/") === true) {
      const target = { ...prefix }
      target.pathname = prefix.pathname + segment
      target.path = prefix.path + segment
      target.href = prefix.href + segment
      return target
    }
  }
  return parse(url)
}
