import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, Either, Schema } from "effect"
import * as fc from "fast-check"
import { CallbackPayload } from "../src/Callback.js"
import { CallbackGroupResult, CallbackItem } from "../src/CallbackGroup.js"
import { DispatchAck, DispatchGroup, DispatchPayload, GroupedDone, GroupedResults } from "../src/Dispatch.js"
import { decodesUnchanged, plainDecoder, plainEncodeSync, plainEncoder } from "../src/PlainDecode.js"
import { taggedUnionOf } from "../src/TaggedUnion.js"

interface Tree {
  readonly value: number
  readonly children: ReadonlyArray<Tree>
}
const Tree: Schema.Schema<Tree> = Schema.Struct({
  value: Schema.Number,
  children: Schema.Array(Schema.suspend(() => Tree))
})

class Point extends Schema.Class<Point>("Point")({ x: Schema.Number }) {}

/** Schemas of the contract decoded on hot paths, and shapes that tempt a shortcut to answer wrongly. */
const schemas: ReadonlyArray<readonly [string, Schema.Schema<any, any, never>]> = [
  ["DispatchPayload's fields", Schema.Struct(DispatchPayload.fields)],
  ["DispatchGroup", DispatchGroup],
  ["CallbackItem", CallbackItem],
  ["CallbackPayload", CallbackPayload],
  ["GroupedResults", GroupedResults],
  ["GroupedDone", GroupedDone],
  ["DispatchAck", DispatchAck],
  ["a union whose first member drops a field", Schema.Union(Schema.Struct({ a: Schema.String }), Schema.Struct({ a: Schema.String, b: Schema.Number }))],
  ["a record with a refined key", Schema.Record({ key: Schema.String.pipe(Schema.pattern(/^[a-z]+$/)), value: Schema.Number })],
  ["a tuple with an optional element and a rest", Schema.Tuple([Schema.String, Schema.optionalElement(Schema.Number)], Schema.Boolean)],
  ["a default", Schema.Struct({ a: Schema.optionalWith(Schema.Number, { default: () => 1 }) })],
  ["an optional as Option", Schema.Struct({ a: Schema.optionalWith(Schema.Number, { as: "Option" }) })],
  ["a renamed key", Schema.Struct({ a: Schema.propertySignature(Schema.Number).pipe(Schema.fromKey("b")) })],
  ["a number from a string", Schema.Struct({ n: Schema.NumberFromString })],
  ["a class", Point],
  ["a required field that may be undefined", Schema.Struct({ u: Schema.UndefinedOr(Schema.String) })],
  ["an exact optional", Schema.Struct({ e: Schema.optionalWith(Schema.String, { exact: true }) })],
  ["a recursive tree", Tree],
  ["a refined array", Schema.Array(Schema.Int).pipe(Schema.minItems(1), Schema.maxItems(3))],
  ["a number or a numeric string", Schema.Struct({ n: Schema.Union(Schema.Number, Schema.NumberFromString) })],
  ["a date", Schema.Struct({ at: Schema.DateFromSelf, when: Schema.Date })],
  ["a set", Schema.ReadonlySetFromSelf(Schema.String)],
  ["a class's instance", Schema.Struct({ p: Schema.instanceOf(Point, { arbitrary: () => (fc) => fc.integer().map((x) => new Point({ x })) }) })]
]

/**
 * A valid encoded value, or one with a field deleted, added or replaced, or anything at all. (The
 * encoded side of a tagged union is a declaration with no arbitrary of its own: its union's is used.)
 */
const inputs = (schema: Schema.Schema<any, any, never>): fc.Arbitrary<unknown> => {
  const union = taggedUnionOf(schema.ast)
  const encoded = Schema.encodedSchema(union === undefined ? schema : Schema.make(union))
  const valid = Arbitrary.make(encoded) as fc.Arbitrary<unknown>
  const edited = fc.tuple(valid, fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), fc.nat(3)).map(([value, key, json, how]) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return value
    const keys = Object.keys(value)
    const copy: Record<string, unknown> = { ...value }
    const existing = keys.length === 0 ? key : keys[key.length % keys.length]!
    if (how === 0) delete copy[existing]
    else if (how === 1) copy[key] = json
    else if (how === 2) copy[existing] = json
    else copy[existing] = undefined
    return copy
  })
  return fc.oneof(valid, edited, fc.jsonValue({ maxDepth: 3 }))
}

const runId = "trun_01JDX5Y3Q7K9M2N4P6R8S0T1V3"
const dispatch = {
  runId,
  taskId: "noop",
  pipelineRunId: null,
  attempt: 1,
  codeVersion: 1,
  codeHash: "0123456789abcdef",
  inputPath: `standalone/${runId}/input.json`,
  input: { probe: true, nested: [1, "two", null, { three: 3 }] },
  upstream: {},
  previousAttempts: [],
  heartbeatIntervalMs: 30000,
  timeoutSeconds: 300,
  allowedNext: [],
  outputPath: `standalone/${runId}/output.json`,
  assetsPrefix: `standalone/${runId}/assets/`,
  logsPath: `standalone/${runId}/logs.jsonl`,
  inlineLimitBytes: 65536,
  storageToken: "sealed",
  callbackToken: "signed"
}

/** Tags that Effect's union parser cannot turn into text (`String(value)` throws): JSON.parse makes these own fields. */
const unprintableTags = ['{"toString":false}', '{"toString":1,"valueOf":2}', '[{"toString":null}]'].map((text) => JSON.parse(text))
const hostile = unprintableTags.map((status) => [{ status, attempt: 0, outputPath: "", outputSize: 0 }] as [unknown])

describe("plainDecoder", () => {
  it("answers every input as the schema's own decoding does", () => {
    for (const [name, schema] of schemas) {
      const decode = Schema.decodeUnknownEither(schema)
      const plain = plainDecoder(schema)
      fc.assert(
        fc.property(inputs(schema), (input) => {
          const expected = decode(input)
          const got = plain(input)
          if (decodesUnchanged(schema, input)) {
            // The shortcut was taken: the decoding must have succeeded with a value equal to the input.
            expect(Either.isRight(expected), name).toBe(true)
            expect(Either.getOrThrow(expected), name).toStrictEqual(input)
          }
          expect(Either.isRight(got), name).toBe(Either.isRight(expected))
          if (Either.isRight(got)) expect(got.right, name).toStrictEqual(Either.getOrThrow(expected))
        }),
        { numRuns: 300, examples: hostile }
      )
    }
  })

  it("refuses a callback whose status is an object or an array, naming status, where Effect's own union would throw", () => {
    for (const schema of [CallbackPayload, CallbackItem] as ReadonlyArray<Schema.Schema<unknown, unknown, never>>) {
      for (const [input] of hostile) {
        const answer = plainDecoder(schema)(input)
        expect(Either.isLeft(answer) && answer.left.message).toMatch(/\["status"\]\n.*Expected "success" \| "failure", actual/)
        expect(Schema.decodeUnknownEither(schema)(input)).toStrictEqual(answer)
      }
      expect(() => Schema.decodeUnknownEither(Schema.make(taggedUnionOf(schema.ast)!))(hostile[0]![0])).toThrow(TypeError)
    }
  })

  it("encodes every value as the schema's own encoding does", () => {
    for (const [name, schema] of schemas) {
      const encode = Schema.encodeEither(schema)
      const plain = plainEncoder(schema)
      const values = fc.oneof(Arbitrary.make(schema) as fc.Arbitrary<unknown>, inputs(schema))
      fc.assert(
        fc.property(values, (value) => {
          const expected = encode(value)
          const got = plain(value)
          expect(Either.isRight(got), name).toBe(Either.isRight(expected))
          if (Either.isRight(got)) expect(got.right, name).toStrictEqual(Either.getOrThrow(expected))
        }),
        { numRuns: 300 }
      )
    }
  })

  it("encodes synchronously as Schema.encodeSync does: the same value, or the same error thrown", () => {
    const encodeSync = plainEncodeSync(CallbackGroupResult)
    const results = { results: [{ runId, status: 200 }, { runId, status: 409, error: { _tag: "Conflict", message: "m" } }] }
    expect(encodeSync(results)).toStrictEqual(Schema.encodeSync(CallbackGroupResult)(results))
    const extra = { results: [{ runId, status: 200, stray: 1 }] } as unknown as typeof CallbackGroupResult.Type
    expect(encodeSync(extra)).toStrictEqual({ results: [{ runId, status: 200 }] })
    const bad = { results: [{ runId, status: "ok" }] } as unknown as typeof CallbackGroupResult.Type
    expect(() => encodeSync(bad)).toThrow(/status/)
    expect(() => Schema.encodeSync(CallbackGroupResult)(bad)).toThrow(/status/)
  })

  it("takes the shortcut for the bodies the orchestrator and the SDK send", () => {
    const payload = Schema.Struct(DispatchPayload.fields)
    expect(decodesUnchanged(payload, dispatch)).toBe(true)
    expect(decodesUnchanged(DispatchGroup, { dispatches: [{ ...dispatch, traceparent: "00-" + "a".repeat(32) + "-" + "b".repeat(16) + "-01" }] }))
      .toBe(true)
    const success = { runId, callbackToken: "t", status: "success", attempt: 1, outputPath: "o", outputSize: 2, output: {}, assets: {} }
    expect(decodesUnchanged(CallbackItem, success)).toBe(true)
    expect(decodesUnchanged(CallbackItem, { runId, callbackToken: "t", status: "failure", attempt: 1, error: "boom", retryable: false }))
      .toBe(true)
    expect(decodesUnchanged(GroupedDone, { done: { runId, attempt: 1, status: "success" } })).toBe(true)
  })

  it("leaves to the schema what it would change or refuse", () => {
    const payload = Schema.Struct(DispatchPayload.fields)
    // A previous attempt's timestamp becomes a Date; a default is filled in; an undeclared field is dropped.
    expect(decodesUnchanged(payload, { ...dispatch, previousAttempts: [{ attempt: 1, error: "x", timestamp: "2026-01-01T00:00:00Z" }] }))
      .toBe(false)
    expect(decodesUnchanged(CallbackItem, { runId, callbackToken: "t", status: "success", attempt: 1, outputPath: "o", outputSize: 2 }))
      .toBe(false)
    expect(decodesUnchanged(payload, { ...dispatch, extra: 1 })).toBe(false)
    expect(decodesUnchanged(payload, { ...dispatch, attempt: 1.5 })).toBe(false)
    expect(decodesUnchanged(payload, { ...dispatch, runId: "run-1" })).toBe(false)
    expect(decodesUnchanged(payload, { ...dispatch, upstream: { "Not A Task": { outputPath: "o", assets: {} } } })).toBe(false)
    // JSON.parse makes `__proto__` an own key; the parser's output would set it as a prototype.
    const assets = JSON.parse('{"__proto__":{"path":"p","size":1,"type":"json"}}')
    const withProto = { runId, callbackToken: "t", status: "success", attempt: 1, outputPath: "o", outputSize: 2, output: {}, assets }
    expect(decodesUnchanged(CallbackItem, withProto)).toBe(false)
    expect(plainDecoder(CallbackItem)(withProto)).toStrictEqual(Schema.decodeUnknownEither(CallbackItem)(withProto))
    // The parser's output is a plain object or array: a null-prototype object or a class instance is rebuilt.
    const struct = Schema.Struct({ a: Schema.String })
    const bare = Object.assign(Object.create(null), { a: "x" })
    expect(decodesUnchanged(struct, bare)).toBe(false)
    expect(plainDecoder(struct)(bare)).toStrictEqual(Schema.decodeUnknownEither(struct)(bare))
    class Holder {
      constructor(readonly a: string) {}
    }
    expect(decodesUnchanged(struct, new Holder("x"))).toBe(false)
    class Items extends Array<number> {}
    expect(decodesUnchanged(Schema.Array(Schema.Number), Items.from([1, 2]))).toBe(false)
    const plain = plainDecoder(payload)
    const refused = plain({ ...dispatch, attempt: "1" })
    expect(Either.isLeft(refused) && refused.left.message).toContain("attempt")
  })
})
