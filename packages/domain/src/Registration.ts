import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import { Schema } from "effect"
import { CodeHash, PipelineId, ServiceId, ServiceVersion, TaskId } from "./Ids.js"
import { TaskOptions } from "./TaskOptions.js"
import { Text } from "./Text.js"

/** One task as a worker declares it at registration: options plus its code hash. */
export const TaskRegistration = Schema.Struct({
  id: TaskId,
  codeHash: CodeHash,
  hasIdempotencyKey: Schema.optionalWith(Schema.Boolean, { default: () => false }),
  ...TaskOptions.fields
})
export type TaskRegistration = typeof TaskRegistration.Type

/** A named entry point into the task graph (`worker.pipeline(id, { entry })`). */
export const PipelineDeclaration = Schema.Struct({
  id: PipelineId,
  entry: Schema.NonEmptyArray(TaskId),
  description: Schema.optional(Text.pipe(Schema.maxLength(2000)))
})
export type PipelineDeclaration = typeof PipelineDeclaration.Type

const BaseUrl = Text.pipe(
  Schema.maxLength(2048, { message: () => "baseUrl must be at most 2048 characters" }),
  Schema.filter((s) => {
    try {
      const url = new URL(s)
      return url.protocol === "http:" || url.protocol === "https:" || "baseUrl must be an http(s) URL"
    } catch {
      return "baseUrl must be an absolute http(s) URL"
    }
  })
)

/** `POST /api/register` body. */
export class RegisterRequest extends Schema.Class<RegisterRequest>("RegisterRequest")({
  serviceId: ServiceId,
  version: Schema.optionalWith(ServiceVersion, { default: () => "0.1.0" }),
  baseUrl: BaseUrl,
  tasks: Schema.Array(TaskRegistration).pipe(
    Schema.filter((tasks) => {
      const ids = tasks.map((t) => t.id)
      const dup = ids.find((id, i) => ids.indexOf(id) !== i)
      return dup === undefined || `task '${dup}' is declared twice`
    })
  ),
  pipelines: Schema.optionalWith(Schema.Array(PipelineDeclaration), { default: () => [] }),
  /**
   * Claim task and pipeline ids another service registered first. Granted only when that service
   * has no live instance; recorded in the task's code history.
   */
  takeover: Schema.optionalWith(Schema.Boolean, { default: () => false }),
  /**
   * The instance also accepts grouped dispatches (`POST {baseUrl}/dispatches`) of up to this many
   * runs. Absent: every run is dispatched on its own.
   */
  dispatchGroups: Schema.optional(Schema.Int.pipe(Schema.between(2, 100)))
}) {}

/** A task or pipeline id the registration declares that another service owns. */
export const OwnershipConflict = Schema.Struct({
  kind: Schema.Literal("task", "pipeline"),
  id: Schema.String,
  owner: ServiceId
})
export type OwnershipConflict = typeof OwnershipConflict.Type

/**
 * The registration declares ids another service registered first; nothing was registered. With
 * `takeover: true` it is still refused while the owner has a live instance.
 */
export class OwnedByAnotherService extends Schema.TaggedError<OwnedByAnotherService>()(
  "OwnedByAnotherService",
  { message: Schema.String, conflicts: Schema.Array(OwnershipConflict) },
  HttpApiSchema.annotations({ status: 409 })
) {}

/** A task whose code hash differs from the one last registered. */
export const CodeChange = Schema.Struct({
  taskId: TaskId,
  oldHash: CodeHash,
  newHash: CodeHash,
  oldVersion: Schema.Int,
  newVersion: Schema.Int
})
export type CodeChange = typeof CodeChange.Type

/** The code version the orchestrator assigned to each registered task. */
export const RegisteredTaskVersion = Schema.Struct({
  taskId: TaskId,
  codeHash: CodeHash,
  codeVersion: Schema.Int
})

/** Pending runs cancelled because a new service version no longer has their task type. */
export const OrphanCleanup = Schema.Struct({
  taskId: TaskId,
  cancelled: Schema.Int
})

/** `POST /api/register` answer. */
export class RegisterResponse extends Schema.Class<RegisterResponse>("RegisterResponse")({
  serviceId: ServiceId,
  version: ServiceVersion,
  tasks: Schema.Array(RegisteredTaskVersion),
  codeChanges: Schema.Array(CodeChange),
  orphansCancelled: Schema.Array(OrphanCleanup),
  /** Protocol extensions this orchestrator serves (`grouped-callbacks`); absent from older ones. */
  features: Schema.optional(Schema.Array(Schema.String))
}) {}

/** `POST /api/deregister` body: the instance at `baseUrl` of `serviceId` is leaving. */
export class DeregisterRequest extends Schema.Class<DeregisterRequest>("DeregisterRequest")({
  serviceId: ServiceId,
  baseUrl: BaseUrl
}) {}

/** `POST /api/deregister` answer: whether a registered instance was marked gone. */
export const DeregisterResponse = Schema.Struct({ deregistered: Schema.Boolean })
export type DeregisterResponse = typeof DeregisterResponse.Type
