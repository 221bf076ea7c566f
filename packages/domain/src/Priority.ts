import { Schema } from "effect"

/** The bounds of a priority (lower runs first); well inside PostgreSQL's `integer`. */
export const PRIORITY_MIN = -1_000_000
export const PRIORITY_MAX = 1_000_000

/** A run's priority as a request may set it (task queue, batch, pipeline trigger). */
export const Priority = Schema.Int.pipe(
  Schema.annotations({ message: () => "priority must be an integer" }),
  Schema.between(PRIORITY_MIN, PRIORITY_MAX, {
    message: () => `priority must be an integer between ${PRIORITY_MIN} and ${PRIORITY_MAX}`
  })
)
