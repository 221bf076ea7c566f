import { describe, expect, it } from "@effect/vitest"
import { String } from "effect"
import { camelColumnNames } from "../src/sql/ColumnNames.js"

describe("camelColumnNames", () => {
  it("names every column as snakeToCamel does, the same name again from what it remembered, past its bound too", () => {
    const camel = camelColumnNames()
    for (const name of ["id", "task_id", "heartbeat_interval_ms", "completed_siblings", "a__b", "_x", "already_camelCase"]) {
      expect(camel(name)).toBe(String.snakeToCamel(name))
      expect(camel(name)).toBe(String.snakeToCamel(name))
    }
    for (let i = 0; i < 2000; i++) expect(camel(`column_${i}_name`)).toBe(`column${i}Name`)
  })
})
