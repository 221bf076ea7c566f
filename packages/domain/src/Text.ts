import { Schema } from "effect"

/** A string PostgreSQL can store in a `text` column: anything but U+0000. */
export const Text = Schema.String.pipe(
  Schema.filter((s) => !s.includes("\u0000") || "must not contain the character U+0000")
)

const nulIn = (value: unknown, depth: number): boolean => {
  if (typeof value === "string") return value.includes("\u0000")
  if (typeof value !== "object" || value === null || depth > 200) return false
  if (Array.isArray(value)) return value.some((item) => nulIn(item, depth + 1))
  return Object.entries(value).some(([key, item]) => key.includes("\u0000") || nulIn(item, depth + 1))
}

/** Run metadata: any JSON PostgreSQL's `jsonb` can hold, so no U+0000 in a key or a string. */
export const Metadata = Schema.Unknown.pipe(
  Schema.filter((value) => !nulIn(value, 0) || "metadata must not contain the character U+0000 in a key or a string"),
  Schema.annotations({ identifier: "Metadata", description: "any JSON value without U+0000" })
)
