import { Schema } from "effect"

const identifier = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/
const identifierMessage = "must be 1-128 characters of letters, digits, '.', '_', ':' or '-', starting with a letter or digit"

/** A task type id, unique across services (`"extract-text"`). */
export const TaskId = Schema.String.pipe(
  Schema.pattern(identifier, { message: () => `task id ${identifierMessage}` }),
  Schema.annotations({ identifier: "TaskId" })
)

/** A worker service id (`"pdf-processor"`). */
export const ServiceId = Schema.String.pipe(
  Schema.pattern(identifier, { message: () => `service id ${identifierMessage}` }),
  Schema.annotations({ identifier: "ServiceId" })
)

/** A pipeline id (`"pdf-processing"`). */
export const PipelineId = Schema.String.pipe(
  Schema.pattern(identifier, { message: () => `pipeline id ${identifierMessage}` }),
  Schema.annotations({ identifier: "PipelineId" })
)

/** A task run id, `trun_` followed by a random suffix. */
export const TaskRunId = Schema.String.pipe(
  Schema.pattern(/^trun_[A-Za-z0-9]{6,64}$/, { message: () => "task run id must look like trun_<letters and digits>" }),
  Schema.annotations({ identifier: "TaskRunId" })
)

/** A pipeline run id, `prun_` followed by a random suffix. */
export const PipelineRunId = Schema.String.pipe(
  Schema.pattern(/^prun_[A-Za-z0-9]{6,64}$/, { message: () => "pipeline run id must look like prun_<letters and digits>" }),
  Schema.annotations({ identifier: "PipelineRunId" })
)

/** A dead letter queue entry id, `dlq_` followed by a random suffix. */
export const DlqId = Schema.String.pipe(
  Schema.pattern(/^dlq_[A-Za-z0-9]{6,64}$/, { message: () => "DLQ id must look like dlq_<letters and digits>" }),
  Schema.annotations({ identifier: "DlqId" })
)

/** A service version as sent by a worker (`"1.2.0"`). */
export const ServiceVersion = Schema.String.pipe(
  Schema.filter((s) => !s.includes("\u0000") || "version must not contain the character U+0000"),
  Schema.minLength(1, { message: () => "version must not be empty" }),
  Schema.maxLength(64, { message: () => "version must be at most 64 characters" })
)

/** The first 16 hex characters of a handler's SHA-256. */
export const CodeHash = Schema.String.pipe(
  Schema.pattern(/^[0-9a-f]{16}$/, { message: () => "code hash must be 16 lowercase hex characters" }),
  Schema.annotations({ identifier: "CodeHash" })
)

/** Arbitrary JSON carried through PipeWeave untouched (task input, output, metadata). */
export const Json = Schema.Unknown.pipe(Schema.annotations({ identifier: "Json", description: "any JSON value" }))
