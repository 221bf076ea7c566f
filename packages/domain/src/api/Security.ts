import * as HttpApiMiddleware from "@effect/platform/HttpApiMiddleware"
import * as HttpApiSecurity from "@effect/platform/HttpApiSecurity"
import { Context, Schema } from "effect"
import { Unauthorized } from "../Errors.js"
import { taggedUnion } from "../TaggedUnion.js"

/** What a verified worker credential vouches for. */
export const WorkerClaims = taggedUnion(
  "_tag",
  Schema.TaggedStruct("Service", { serviceId: Schema.String }),
  Schema.TaggedStruct("Run", { runId: Schema.String, attempt: Schema.Int, scope: Schema.optional(Schema.String) })
)
export type WorkerClaims = typeof WorkerClaims.Type

/** The verified credential of the worker calling a worker endpoint. */
export class CurrentWorker extends Context.Tag("@pipeweave/domain/CurrentWorker")<CurrentWorker, WorkerClaims>() {}

/**
 * Worker → orchestrator calls: a Bearer credential signed with the key derived from
 * `PIPEWEAVE_SECRET_KEY` (a service credential for registration, the per-run credential of the
 * dispatch for heartbeats, progress and callbacks).
 */
export class WorkerAuth extends HttpApiMiddleware.Tag<WorkerAuth>()("@pipeweave/domain/WorkerAuth", {
  failure: Unauthorized,
  provides: CurrentWorker,
  security: { bearer: HttpApiSecurity.bearer }
}) {}

/** Management API: requires `PIPEWEAVE_API_TOKEN` as a Bearer token when the orchestrator has one set. */
export class ManagementAuth extends HttpApiMiddleware.Tag<ManagementAuth>()("@pipeweave/domain/ManagementAuth", {
  failure: Unauthorized,
  security: { bearer: HttpApiSecurity.bearer }
}) {}
