import { Page, PageParams } from "./Pagination.js"
import { ParseResult, Schema } from "effect"
import { CodeHash, DlqId, Json, PipelineId, PipelineRunId, TaskId, TaskRunId } from "./Ids.js"
import { PipelineRunStatus } from "./Pipeline.js"
import { FailureMode } from "./pipeline/Routing.js"
import { PreviousAttempt } from "./TaskRun.js"

/**
 * A dead letter queue entry (spec "Dead Letter Queue API"). A list carries where the input is and
 * its size in bytes (`null` when it can no longer be found), never the input itself.
 */
export const DlqItem = Schema.Struct({
  id: DlqId,
  taskRunId: TaskRunId,
  taskId: TaskId,
  pipelineRunId: Schema.NullOr(PipelineRunId),
  /** The pipeline of `pipelineRunId`; `null` for a standalone run. */
  pipelineId: Schema.optionalWith(Schema.NullOr(PipelineId), { default: () => null }),
  codeVersion: Schema.Int,
  codeHash: CodeHash,
  error: Schema.String,
  errorCode: Schema.NullOr(Schema.String),
  attempts: Schema.Int,
  failedAt: Schema.Date,
  inputPath: Schema.String,
  inputSize: Schema.NullOr(Schema.Int),
  retriedRunId: Schema.NullOr(TaskRunId),
  retriedAt: Schema.NullOr(Schema.Date)
})
export type DlqItem = typeof DlqItem.Type

/**
 * One entry with its input, every attempt's error and its pipeline context. The input is shown
 * when it is at most `DlqInputLimitBytes`; a larger (or unreadable) one is left out,
 * `inputTruncated` says so, `inputNote` explains, and `inputUrl` fetches it whole through the
 * storage API.
 */
export const DlqDetail = Schema.Struct({
  ...DlqItem.fields,
  input: Schema.optional(Json),
  /** The `details` of the last attempt's TaskError, if it had any. */
  errorDetails: Schema.optionalWith(Schema.NullOr(Json), { default: () => null }),
  inputTruncated: Schema.Boolean,
  inputNote: Schema.NullOr(Schema.String),
  inputUrl: Schema.String,
  attemptErrors: Schema.Array(PreviousAttempt),
  pipeline: Schema.NullOr(Schema.Struct({
    pipelineRunId: PipelineRunId,
    pipelineId: PipelineId,
    failureMode: FailureMode,
    status: PipelineRunStatus
  }))
})
export type DlqDetail = typeof DlqDetail.Type

/** The largest input `GET /api/dlq/:id` shows inline (1 MiB). */
export const DlqInputLimitBytes = 1024 * 1024


/** `GET /api/dlq` query. Retried entries are hidden unless `includeRetried=true`. */
export const DlqParams = Schema.Struct({
  taskId: Schema.optional(TaskId),
  pipelineId: Schema.optional(PipelineId),
  pipelineRunId: Schema.optional(PipelineRunId),
  includeRetried: Schema.optionalWith(Schema.BooleanFromString, { default: () => false }),
  ...PageParams
})
export type DlqParams = typeof DlqParams.Type

export const DlqPage = Page(DlqItem)

/** `POST /api/dlq/:id/retry` answer: the new run uses the current code version. */
export const DlqRetryResult = Schema.Struct({
  newRunId: TaskRunId,
  status: Schema.Literal("queued"),
  codeVersion: Schema.Int
})

/** `POST /api/dlq/retry-all` body: every entry not yet retried of a pipeline (or task). */
export class DlqRetryAllRequest extends Schema.Class<DlqRetryAllRequest>("DlqRetryAllRequest")({
  pipelineId: Schema.optional(PipelineId),
  taskId: Schema.optional(TaskId)
}) {}

export const DlqRetryAllResult = Schema.Struct({
  retried: Schema.Int,
  results: Schema.Array(Schema.Struct({ id: DlqId, newRunId: TaskRunId }))
})

const MAX_AGE_DAYS = 36_500
const MAX_AGE_MS = MAX_AGE_DAYS * 86_400_000

/** A duration like `7d`, `12h`, `30m`, `45s` or a number of milliseconds; at most 100 years. */
export const AgeFromString = Schema.transformOrFail(
  Schema.String,
  Schema.Number,
  {
    strict: true,
    decode: (text, _, ast) => {
      const match = /^(\d+)(ms|s|m|h|d)?$/.exec(text.trim())
      if (!match) {
        return ParseResult.fail(
          new ParseResult.Type(ast, text, "expected a duration such as 7d, 12h, 30m, 45s or milliseconds")
        )
      }
      const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(match[2] ?? "ms") as "ms"]
      const ms = Number(match[1]) * unit
      return ms <= MAX_AGE_MS
        ? ParseResult.succeed(ms)
        : ParseResult.fail(new ParseResult.Type(ast, text, `expected a duration of at most ${MAX_AGE_DAYS}d`))
    },
    encode: (ms) => ParseResult.succeed(`${ms}ms`)
  }
)

/** `POST /api/dlq/purge` body. */
export class DlqPurgeRequest extends Schema.Class<DlqPurgeRequest>("DlqPurgeRequest")({
  olderThan: AgeFromString
}) {}

export const DlqPurgeResult = Schema.Struct({ purged: Schema.Int })
