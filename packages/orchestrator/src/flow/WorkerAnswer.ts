import { Option } from "effect"

const EXCERPT_CHARS = 120

const sanitize = (text: string): string => {
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, " ").replace(/\s+/g, " ").trim()
  return flat.length > EXCERPT_CHARS ? `${flat.slice(0, EXCERPT_CHARS)}… (cut)` : flat
}

/**
 * What a run's error says about a worker's error answer to a dispatch: the status, and at most a
 * short excerpt of the answer (its JSON `message` when it has one, else its text) with control
 * characters removed, whitespace collapsed, cut at 120 characters. Whatever the target answered
 * (a page of HTML, another service's error, a secret) is never stored or shown whole.
 */
export const describeWorkerAnswer = (status: number, body: string): string => {
  const parsed = Option.liftThrowable(JSON.parse)(body)
  const message = Option.flatMap(parsed, (json) =>
    typeof json === "object" && json !== null && typeof json.message === "string"
      ? Option.some(json.message as string)
      : Option.none())
  const excerpt = sanitize(Option.getOrElse(message, () => body))
  return excerpt.length === 0 ? `answered ${status}` : `answered ${status}: ${excerpt}`
}

/**
 * How a worker answered one dispatch (a single one, or one run of a group): with a status, or not
 * in time, or never (no connection), or the connection was lost after the request went out.
 */
export type WorkerReply =
  | { readonly _tag: "Status"; readonly status: number; readonly text: string }
  | { readonly _tag: "Timeout" }
  | { readonly _tag: "Unreached"; readonly message: string }
  | { readonly _tag: "Lost" }

/** Connection errors that prove the dispatch never reached a worker process. */
const CONNECT_ERRORS = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL"])

/**
 * Whether a transport error happened before the request reached the worker. A connection lost
 * after that (the worker died, a proxy gave up) is not a failure here: the attempt may be running,
 * and heartbeats and deadlines decide.
 */
const neverConnected = (cause: unknown): boolean => {
  for (let current = cause, depth = 0; typeof current === "object" && current !== null && depth < 5; depth++) {
    const code = (current as { readonly code?: unknown }).code
    if (typeof code === "string") return CONNECT_ERRORS.has(code)
    current = (current as { readonly cause?: unknown }).cause
  }
  return false
}

/** The reply a failed exchange amounts to: no answer in time, never connected, or lost after sending. */
export const transportReply = (
  error: { readonly _tag: string; readonly message?: string; readonly cause?: unknown }
): WorkerReply => {
  if (error._tag === "TimeoutException") return { _tag: "Timeout" }
  if (error._tag === "RequestError" && neverConnected(error.cause)) return { _tag: "Unreached", message: error.message ?? "" }
  return { _tag: "Lost" }
}
