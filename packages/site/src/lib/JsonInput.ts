/** The outcome of reading a JSON input typed into a form. */
export type JsonInput =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly message: string }

/**
 * Parses the text of a JSON input field; an empty field means `{}`. The message of a parse error
 * names the line and column when the browser's message gives a position.
 */
export const parseJsonInput = (text: string): JsonInput => {
  if (text.trim() === "") return { ok: true, value: {} }
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    const position = /position (\d+)/.exec(message)
    if (!position) return { ok: false, message: `Not valid JSON: ${message}` }
    const offset = Number(position[1])
    const before = text.slice(0, offset).split("\n")
    return { ok: false, message: `Not valid JSON at line ${before.length}, column ${before.at(-1)!.length + 1}: ${message}` }
  }
}
