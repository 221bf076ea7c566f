import { Schema } from "effect"

/** `limit` and `offset` query parameters of every listing endpoint (50 by default, at most 500). */
export const PageParams = {
  limit: Schema.optionalWith(
    Schema.NumberFromString.pipe(
      Schema.int({ message: () => "limit must be an integer" }),
      Schema.between(1, 500, { message: () => "limit must be between 1 and 500" })
    ),
    { default: () => 50 }
  ),
  offset: Schema.optionalWith(
    Schema.NumberFromString.pipe(
      Schema.int({ message: () => "offset must be an integer" }),
      Schema.greaterThanOrEqualTo(0, { message: () => "offset must be >= 0" })
    ),
    { default: () => 0 }
  )
}

/** A page of `items` with the total count of matches, newest first. */
export const Page = <A, I, R>(item: Schema.Schema<A, I, R>) =>
  Schema.Struct({ items: Schema.Array(item), total: Schema.Int, limit: Schema.Int, offset: Schema.Int })
