/** The JSON text of `value` when it is at most `limitBytes` bytes of UTF-8, else `null`. */
export const inlineJson = (value: unknown, limitBytes: number): { readonly json: string; readonly inline: boolean } => {
  const json = JSON.stringify(value ?? null)
  return { json, inline: limitBytes > 0 && json.length <= limitBytes && Buffer.byteLength(json) <= limitBytes }
}

/** Parses stored inline JSON text. */
export const parseInline = (json: string): unknown => JSON.parse(json)
