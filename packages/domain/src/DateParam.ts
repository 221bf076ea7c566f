import { Schema } from "effect"

/** A date in a query string (ISO 8601), limited to years 1-9999 so that PostgreSQL's `timestamptz` can compare it. */
export const DateParam = Schema.Date.pipe(
  Schema.filter((date) => {
    const year = date.getUTCFullYear()
    return (year >= 1 && year <= 9999) || "must be a date between the years 1 and 9999"
  })
)
