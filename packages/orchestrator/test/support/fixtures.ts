import { codeHashOf } from "@pipeweave/domain/CodeHash"
import { RegisterRequest, type TaskRegistration } from "@pipeweave/domain/Registration"
import { Schema } from "effect"

/** A registration task with the spec's defaults, overridable per field. */
export const taskSpec = (id: string, options: Partial<typeof TaskRegistration.Encoded> = {}): TaskRegistration =>
  Schema.decodeUnknownSync(
    Schema.Struct({ tasks: Schema.Array(Schema.Unknown) }).pipe(() => RegisterRequest)
  )({ serviceId: "svc", baseUrl: "http://127.0.0.1:1", tasks: [{ id, codeHash: codeHashOf(id), ...options }] }).tasks[0]!

/** A decoded registration request. */
export const registration = (
  serviceId: string,
  tasks: ReadonlyArray<typeof TaskRegistration.Encoded>,
  extra: { version?: string; baseUrl?: string; dispatchGroups?: number } = {}
): RegisterRequest =>
  Schema.decodeUnknownSync(RegisterRequest)({
    serviceId,
    version: extra.version ?? "1.0.0",
    baseUrl: extra.baseUrl ?? "http://127.0.0.1:9",
    tasks,
    ...(extra.dispatchGroups === undefined ? {} : { dispatchGroups: extra.dispatchGroups })
  })

export const task = (id: string, options: Record<string, unknown> = {}, source = id) => ({
  id,
  codeHash: codeHashOf(source),
  ...options
})
