import { describe, expect, it } from "@effect/vitest"
import { Either, ParseResult, Schema } from "effect"
import { CallbackPayload } from "../src/Callback.js"
import { CallbackItem } from "../src/CallbackGroup.js"
import { QueueTaskRequest } from "../src/Queue.js"
import { declaresEveryKey, strictDecoder, strictPayload } from "../src/api/StrictPayload.js"

const runId = "trun_01JDX5Y3Q7K9M2N4P6R8S0T1V3"
const success = {
  runId,
  callbackToken: "token",
  status: "success",
  attempt: 1,
  outputPath: `runs/${runId}/output.json`,
  outputSize: 12,
  output: { anything: { goes: ["here", 1, null] } },
  assets: { report: { path: `runs/${runId}/assets/report`, size: 3, type: "text" } },
  selectedNext: ["next"]
}
const failure = { runId, callbackToken: "token", status: "failure", attempt: 2, error: "boom", retryable: false, details: { x: 1 } }

/** Inputs a client may send: valid ones, and each kind of mistake, at the top and nested. */
const callbackInputs: ReadonlyArray<unknown> = [
  success,
  failure,
  { ...success, output: undefined, assets: undefined, selectedNext: undefined },
  { ...success, extra: 1 },
  { ...success, assets: { report: { ...success.assets.report, owner: "me" } } },
  { ...success, assets: { report: { ...success.assets.report, type: "video" } } },
  { ...success, assets: { report: "not an asset" } },
  { ...success, assets: [] },
  { ...success, selectedNext: ["next", 3] },
  { ...success, outputSize: -1 },
  { ...success, outputSize: -1, extra: true },
  { ...success, status: "finished" },
  { ...success, status: undefined },
  { ...success, error: "a failure's field on a success" },
  { ...failure, outputPath: "a success's field on a failure" },
  { ...failure, retryAfterMs: -5 },
  { ...failure, retryAfterMs: -5, extra: 1 },
  { runId },
  { runId: "not-a-run", status: "success" },
  {},
  [],
  [success],
  null,
  "success",
  42
]

const queueInputs: ReadonlyArray<unknown> = [
  { taskId: "noop" },
  { taskId: "noop", input: { nested: { fields: "are the task's own" } }, priority: 3, metadata: { team: "a" } },
  { taskId: "noop", extra: 1 },
  { taskId: "noop", metadata: { team: 1 } },
  { taskId: "noop", metadata: "team" },
  { taskId: "", priority: "high" },
  { input: {} },
  null,
  []
]

const outcome = (result: Either.Either<unknown, ParseResult.ParseError>) =>
  Either.match(result, {
    onLeft: (error) => ({
      error: ParseResult.TreeFormatter.formatErrorSync(error),
      issues: ParseResult.ArrayFormatter.formatErrorSync(error)
    }),
    onRight: (value) => ({ value })
  })

const sameAnswers = <A, I>(schema: Schema.Schema<A, I, never>, inputs: ReadonlyArray<unknown>) => {
  const strict = Schema.decodeUnknownEither(strictPayload(schema))
  const fast = strictDecoder(schema)
  for (const input of inputs) {
    for (const errors of ["first", "all"] as const) {
      expect(outcome(fast(input, { errors })), JSON.stringify(input)).toStrictEqual(outcome(strict(input, { errors })))
    }
  }
}

describe("strictDecoder", () => {
  it("answers every callback item as the strict decoding does, undeclared fields named", () => {
    sameAnswers(CallbackItem, callbackInputs)
    const extra = strictDecoder(CallbackItem)({ ...success, assets: { report: { ...success.assets.report, owner: "me" } } })
    expect(Either.isLeft(extra) && ParseResult.TreeFormatter.formatErrorSync(extra.left)).toContain("owner")
  })

  it("answers single callbacks and submissions as the strict decoding does", () => {
    const { callbackToken: _t, runId: _r, ...single } = success
    sameAnswers(CallbackPayload, [single, { ...single, extra: 1 }, ...callbackInputs])
    sameAnswers(QueueTaskRequest, queueInputs)
  })

  it("answers records keyed by a narrower schema as the strict decoding does (a key that does not match is refused, not dropped)", () => {
    const Scores = Schema.Struct({
      scores: Schema.Record({ key: Schema.String.pipe(Schema.pattern(/^[a-z]+$/)), value: Schema.Number })
    })
    const inputs = [{ scores: { ok: 1 } }, { scores: { ok: 1, BAD: 2 } }, { scores: { ok: "1" } }, { scores: [] }]
    sameAnswers(Scores, inputs)
    expect(Either.isLeft(strictDecoder(Scores)({ scores: { ok: 1, BAD: 2 } }))).toBe(true)
  })

  it("skips the strict decoding only where no object carries an undeclared field", () => {
    expect(declaresEveryKey(CallbackItem.ast, success)).toBe(true)
    expect(declaresEveryKey(CallbackItem.ast, failure)).toBe(true)
    expect(declaresEveryKey(QueueTaskRequest.ast, queueInputs[1])).toBe(true)
    expect(declaresEveryKey(CallbackItem.ast, { ...success, extra: 1 })).toBe(false)
    expect(declaresEveryKey(CallbackItem.ast, { ...success, assets: { report: { ...success.assets.report, owner: "me" } } }))
      .toBe(false)
    expect(declaresEveryKey(CallbackItem.ast, { ...failure, outputPath: "x" })).toBe(false)
    expect(declaresEveryKey(CallbackItem.ast, { ...success, status: "finished" })).toBe(false)
    expect(declaresEveryKey(QueueTaskRequest.ast, { taskId: "noop", extra: 1 })).toBe(false)
  })
})
