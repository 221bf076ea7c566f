/** Stored content as the storage API answers it (`GET /api/storage/{path}`). */
export interface Stored {
  readonly encoding: "json" | "utf8" | "base64"
  readonly content: unknown
  readonly size: number
}

/** How much of a stored object the pages show before "Show all". */
export const PREVIEW_CHARS = 4000

/** The content as text: JSON pretty-printed, text as is, binary as its base64. */
export const storedText = (stored: Stored): string =>
  stored.encoding === "json" ? JSON.stringify(stored.content, null, 2) : String(stored.content)

/** The first `limit` characters of `text` and whether something was cut. */
export const preview = (text: string, limit: number = PREVIEW_CHARS): { readonly text: string; readonly cut: boolean } =>
  text.length <= limit ? { text, cut: false } : { text: text.slice(0, limit), cut: true }

/** One line of a task's log (the SDK writes JSON lines: ts, level, message and fields). */
export interface LogLine {
  readonly ts: string
  readonly level: string
  readonly message: string
  readonly fields: Record<string, unknown>
}

/** The lines of a `.jsonl` log; a line that is not a JSON object is kept as a message. */
export const parseLogLines = (jsonl: string): ReadonlyArray<LogLine> =>
  jsonl.split("\n").filter((line) => line.trim() !== "").map((line) => {
    try {
      const { ts, level, message, ...fields } = JSON.parse(line) as Record<string, unknown>
      return { ts: String(ts ?? ""), level: String(level ?? "info"), message: String(message ?? ""), fields }
    } catch {
      return { ts: "", level: "info", message: line, fields: {} }
    }
  })
