import { Schema } from "effect"

/** A string PostgreSQL can store in a `text` column: anything but U+0000. */
export const Text = Schema.String.pipe(
  Schema.filter((s) => !s.includes("\u0000") || "must not contain the character U+0000")
)

/** A lone UTF-16 surrogate: JSON text can carry it as an escape, which `jsonb` refuses. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/
const UNSTORABLE = new RegExp(`\u0000|${LONE_SURROGATE.source}`, "g")

const unstorable = (text: string) => text.includes("\u0000") || LONE_SURROGATE.test(text)

/**
 * `text` with what `text` and `jsonb` columns cannot hold — U+0000 and unpaired surrogates (a
 * string cut inside an emoji, say) — replaced by U+FFFD, for text that is stored, not refused.
 */
export const storableText = (text: string): string => unstorable(text) ? text.replace(UNSTORABLE, "\uFFFD") : text

const unstorableIn = (value: unknown, depth: number): boolean => {
  if (typeof value === "string") return unstorable(value)
  if (typeof value !== "object" || value === null || depth > 200) return false
  if (Array.isArray(value)) return value.some((item) => unstorableIn(item, depth + 1))
  return Object.entries(value).some(([key, item]) => unstorable(key) || unstorableIn(item, depth + 1))
}

/**
 * Refuses a value with U+0000 or an unpaired surrogate (`\ud800` without its pair) in any key or
 * string: a `jsonb` column holds neither. `name` is the field the message names.
 */
export const storableInJsonb = (name: string) => <A, I, R>(schema: Schema.Schema<A, I, R>) =>
  schema.pipe(Schema.filter((value) =>
    !unstorableIn(value, 0) ||
    `${name} must not contain the character U+0000 or an unpaired surrogate (\\ud800–\\udfff) in a key or a string`
  ))

/** Run metadata: any JSON PostgreSQL's `jsonb` can hold. */
export const Metadata = Schema.Unknown.pipe(
  storableInJsonb("metadata"),
  Schema.annotations({ identifier: "Metadata", description: "any JSON value without U+0000 or unpaired surrogates" })
)
