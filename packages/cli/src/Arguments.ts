import { Args, Options } from "@effect/cli"
import { PipelineId, TaskId } from "@pipeweave/domain/Ids"
import { Either, Option, Schema } from "effect"
import { CliFailure } from "./CliFailure.js"
import { DURATION_FORMAT, parseDuration } from "./DurationText.js"

/** The `<taskId>` argument, checked against the contract's task id rules. */
export const taskIdArg = Args.text({ name: "taskId" }).pipe(
  Args.withSchema(TaskId),
  Args.withDescription("Task type id, e.g. process-document")
)

/** An optional `--task <id>` filter. */
export const taskOption = Options.text("task").pipe(
  Options.withSchema(TaskId),
  Options.optional,
  Options.withDescription("Only this task type")
)

/** The `<pipeline>` argument, checked against the contract's pipeline id rules. */
export const pipelineArg = Args.text({ name: "pipeline" }).pipe(
  Args.withSchema(PipelineId),
  Args.withDescription("Pipeline id, e.g. pdf-processing (see `pipeweave pipelines`)")
)

/** An optional `--pipeline <id>` filter. */
export const pipelineOption = Options.text("pipeline").pipe(
  Options.withSchema(PipelineId),
  Options.optional,
  Options.withDescription("Only this pipeline")
)

/** `-i/--input <json>`, as text; decode it with `parseInput`. */
export const inputOption = Options.text("input").pipe(Options.withAlias("i"))

/** Parses the text of `-i/--input`; invalid JSON is a one-line failure. */
export const parseInput = (text: string): Either.Either<unknown, CliFailure> =>
  Either.try({
    try: () => JSON.parse(text) as unknown,
    catch: (error) => CliFailure.failed(`-i/--input is not valid JSON: ${error instanceof Error ? error.message : String(error)}`)
  })

/** `--priority <n>`, optional, within the contract's range. */
export const priorityOption = Options.integer("priority").pipe(
  Options.withSchema(Schema.Number.pipe(Schema.between(-1_000_000, 1_000_000, {
    message: () => "--priority must be between -1000000 and 1000000"
  }))),
  Options.optional
)

/** `--poll-interval <ms>` for the `--wait` flags. */
export const pollIntervalOption = Options.integer("poll-interval").pipe(
  Options.withSchema(Schema.Number.pipe(Schema.between(10, 60_000, { message: () => "--poll-interval must be 10-60000 ms" }))),
  Options.withDefault(500),
  Options.withDescription("Milliseconds between polls with --wait")
)

/** `--limit` and `--offset` of the paged listings. */
export const pageOptions = {
  limit: Options.integer("limit").pipe(
    Options.withSchema(Schema.Number.pipe(Schema.between(1, 500, { message: () => "--limit must be between 1 and 500" }))),
    Options.withDefault(50),
    Options.withDescription("Page size (1-500)")
  ),
  offset: Options.integer("offset").pipe(
    Options.withSchema(Schema.Number.pipe(Schema.nonNegative({ message: () => "--offset must be >= 0" }))),
    Options.withDefault(0),
    Options.withDescription("Rows to skip")
  )
}

/** `--timeout <duration>` for the `--wait` and `--watch` flags, as milliseconds. */
export const timeoutOption = Options.text("timeout").pipe(
  Options.withSchema(Schema.String.pipe(
    Schema.filter((text) => Option.isSome(parseDuration(text)), {
      message: (issue) => `--timeout must be ${DURATION_FORMAT} (got "${String(issue.actual)}")`
    }),
    Schema.transform(Schema.Number, { strict: true, decode: (text) => Option.getOrThrow(parseDuration(text)), encode: String })
  )),
  Options.optional,
  Options.withDescription("Stop waiting after this long (30s, 5m, 1h): the run continues; exit code 124")
)
