import { urlToHttpOptions } from "node:url"

/** Where a request goes, as Node's client takes a URL apart. */
export type RequestTarget = ReturnType<typeof urlToHttpOptions>

/** How many URLs `requestTarget` keeps (a process posts to a few: its workers, its orchestrator). */
const KEPT = 256
const parsed = new Map<string, RequestTarget>()

/**
 * `url` as Node's client takes it apart (`urlToHttpOptions`), parsed once per URL: given as a
 * string, `http.request` parses it again on every call, ~30–60 µs of a single dispatch's CPU here.
 * Spread into the request's options. Throws, as `http.request` would, on a URL that does not parse.
 */
export const requestTarget = (url: string): RequestTarget => {
  const known = parsed.get(url)
  if (known !== undefined) return known
  const target = urlToHttpOptions(new URL(url))
  if (parsed.size >= KEPT) parsed.clear()
  parsed.set(url, target)
  return target
}
