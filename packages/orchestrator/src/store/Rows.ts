import { Schema } from "effect"

/** An integer column: PGlite returns numbers, node-postgres returns `bigint`/`count` as strings. */
export const DbInt = Schema.Union(Schema.Number, Schema.NumberFromString)

/** A `timestamptz` column (both drivers return `Date`). */
export const DbDate = Schema.DateFromSelf

/** A nullable `timestamptz` column. */
export const DbDateOrNull = Schema.NullOr(Schema.DateFromSelf)
