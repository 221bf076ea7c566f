import { storableText } from "@pipeweave/domain/Text"

/** The most bytes (UTF-8) of a worker's error message the orchestrator stores. */
export const ERROR_TEXT_MAX_BYTES = 8 * 1024

/** The most bytes of an error code. */
export const ERROR_CODE_MAX_BYTES = 200

const cut = (text: string, maxBytes: number, marker: (total: number) => string): string => {
  const bytes = Buffer.from(text, "utf8")
  if (bytes.byteLength <= maxBytes) return text
  const tail = marker(bytes.byteLength)
  let end = maxBytes - Buffer.byteLength(tail)
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--
  return bytes.subarray(0, end).toString("utf8") + tail
}


/**
 * A worker's error message as stored (attempt, run and dead letter): U+0000 and unpaired
 * surrogates replaced by U+FFFD, and at most `ERROR_TEXT_MAX_BYTES`, the cut marked with the full size.
 */
export const boundedErrorText = (text: string): string => {
  const total = Buffer.byteLength(text)
  return cut(storableText(text), ERROR_TEXT_MAX_BYTES, () => ` … [cut: ${total} bytes in all]`)
}

/** The most bytes of a worker's error `details`, as JSON text. */
export const ERROR_DETAILS_MAX_BYTES = 8 * 1024

const storableDeep = (value: unknown): unknown => {
  if (typeof value === "string") return storableText(value)
  if (Array.isArray(value)) return value.map(storableDeep)
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [storableText(k), storableDeep(v)]))
  }
  return value
}

/**
 * A worker's error `details` as stored, as JSON text (`null` when there are none): U+0000 and
 * unpaired surrogates replaced,
 * and when the JSON is larger than `ERROR_DETAILS_MAX_BYTES` it becomes
 * `{ "truncated": true, "bytes": <full size>, "preview": "<the first bytes of the JSON>" }`.
 */
export const boundedErrorDetails = (details: unknown): string | null => {
  if (details === undefined || details === null) return null
  const json = JSON.stringify(storableDeep(details))
  if (json === undefined) return null
  const total = Buffer.byteLength(json)
  if (total <= ERROR_DETAILS_MAX_BYTES) return json
  const preview = cut(json, ERROR_DETAILS_MAX_BYTES - 512, () => "…")
  return JSON.stringify({ truncated: true, bytes: total, preview })
}

/** A worker's error code as stored: U+0000 and unpaired surrogates replaced, at most `ERROR_CODE_MAX_BYTES`. */
export const boundedErrorCode = (code: string): string => cut(storableText(code), ERROR_CODE_MAX_BYTES, () => "…")
