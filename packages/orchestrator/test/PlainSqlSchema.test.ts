import { SqlSchema } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import * as PlainSqlSchema from "../src/store/PlainSqlSchema.js"
import { DbDate, DbInt } from "../src/store/Rows.js"

const Row = Schema.Struct({ id: Schema.String, attempt: DbInt, at: DbDate, note: Schema.NullOr(Schema.String) })
const Request = Schema.Struct({ limit: Schema.Number, since: Schema.Date })

/** Both `findAll`s and both `findOne`s over the same rows, with the request each passed to `execute`. */
const both = (rows: ReadonlyArray<unknown>) => {
  const seen: Array<unknown> = []
  const execute = (request: unknown) => Effect.sync(() => {
    seen.push(request)
    return rows
  })
  const options = { Request, Result: Row, execute }
  return { seen, ours: [PlainSqlSchema.findAll(options), PlainSqlSchema.findOne(options)] as const, theirs: [SqlSchema.findAll(options), SqlSchema.findOne(options)] as const }
}

const request = { limit: 3, since: new Date("2026-01-01T00:00:00Z") }
const at = new Date("2026-02-01T00:00:00Z")

describe("PlainSqlSchema", () => {
  it.effect("answers as SqlSchema does: rows as they are, rows the parser rebuilds, and refusals", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<ReadonlyArray<unknown>> = [
        [],
        [{ id: "a", attempt: 1, at, note: null }, { id: "b", attempt: 2, at, note: "x" }],
        // node-postgres answers a bigint column as a string; an undeclared column is dropped.
        [{ id: "a", attempt: "7", at, note: null }, { id: "b", attempt: 2, at, note: null, extra: true }],
        [{ id: "a", attempt: 1, at, note: null }, { id: "b", attempt: "two", at, note: null }],
        [{ id: "a", attempt: 1, at: "2026-02-01", note: null }]
      ]
      for (const rows of cases) {
        const { ours, seen, theirs } = both(rows)
        expect(yield* Effect.either(ours[0](request))).toStrictEqual(yield* Effect.either(theirs[0](request)))
        expect(yield* Effect.either(ours[1](request))).toStrictEqual(yield* Effect.either(theirs[1](request)))
        // The request reached `execute` encoded alike (its date as the ISO string).
        expect(seen[0]).toStrictEqual(seen[1])
        expect(seen[1]).toStrictEqual({ limit: 3, since: "2026-01-01T00:00:00.000Z" })
      }
    }))
})
