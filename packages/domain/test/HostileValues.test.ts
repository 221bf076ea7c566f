import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, Schema } from "effect"
import * as fc from "fast-check"
import { readdirSync } from "node:fs"
import { join } from "node:path"

/** Values whose text form throws (`String(value)`), as `JSON.parse` makes them from any request body. */
const unprintable = () => ['{"toString":false}', '[{"toString":null}]', '{"valueOf":{},"toString":{}}'].map((text) => JSON.parse(text))

/** `value` with each of its fields, elements and itself in turn replaced by every unprintable value. */
const hostileVariants = (value: unknown): Array<unknown> => {
  const out: Array<unknown> = []
  const visit = (at: unknown, put: (replacement: unknown) => unknown) => {
    for (const replacement of unprintable()) out.push(put(replacement))
    if (Array.isArray(at)) at.forEach((item, i) => visit(item, (r) => put(at.map((x, j) => (j === i ? r : x)))))
    else if (typeof at === "object" && at !== null) {
      for (const key of Object.keys(at)) visit((at as Record<string, unknown>)[key], (r) => put({ ...at, [key]: r }))
    }
  }
  visit(value, (replacement) => replacement)
  return out
}

/** Every schema the domain's modules export, by module and name. */
const exportedSchemas = async () => {
  const found: Array<readonly [string, Schema.Schema<unknown, unknown, never>]> = []
  for (const dir of ["../src", "../src/api", "../src/pipeline"]) {
    for (const file of readdirSync(join(import.meta.dirname, dir)).filter((name) => name.endsWith(".ts"))) {
      const module: Record<string, unknown> = await import(join(import.meta.dirname, dir, file))
      for (const [name, value] of Object.entries(module)) {
        if (Schema.isSchema(value)) found.push([`${file} ${name}`, value as Schema.Schema<unknown, unknown, never>])
      }
    }
  }
  return found
}

/** Valid encoded values of `schema`, where an arbitrary can be derived (fixed seed: the variants are systematic). */
const samplesOf = (schema: Schema.Schema<unknown, unknown, never>): ReadonlyArray<unknown> => {
  for (const candidate of [Schema.encodedSchema(schema), schema]) {
    try {
      return fc.sample(Arbitrary.make(candidate) as fc.Arbitrary<unknown>, { numRuns: 10, seed: 7 })
    } catch {
      // No arbitrary for this side (a declaration without one): try the other.
    }
  }
  return []
}

describe("the contract's schemas on hostile values", () => {
  it("answer a value whose text form throws, at any depth, with a decoding error, never a throw", async () => {
    const failures: Array<string> = []
    let decoded = 0
    for (const [name, schema] of await exportedSchemas()) {
      const decode = Schema.decodeUnknownEither(schema, { onExcessProperty: "error" })
      for (const sample of samplesOf(schema)) {
        for (const input of hostileVariants(sample)) {
          decoded++
          try {
            decode(input)
          } catch (error) {
            failures.push(`${name}: ${error instanceof Error ? error.message : String(error)} on ${JSON.stringify(input).slice(0, 200)}`)
            break
          }
        }
      }
    }
    expect(failures).toStrictEqual([])
    expect(decoded).toBeGreaterThan(10_000)
  }, 120_000)
})
