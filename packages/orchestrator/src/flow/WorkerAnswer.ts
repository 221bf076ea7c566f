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
