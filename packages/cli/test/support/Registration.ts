import { codeHashOf } from "@pipeweave/domain/CodeHash"
import { RegisterRequest } from "@pipeweave/domain/Registration"
import type { TaskOptionsInput } from "@pipeweave/domain/TaskOptions"
import { Registrations } from "@pipeweave/orchestrator/flow/Registrations"
import { Effect, Schema } from "effect"

/** A task as the tests declare it: its allowedNext, or its options. */
export type TestTask = ReadonlyArray<string> | TaskOptionsInput

/**
 * Registers `serviceId` with `tasks` (id → allowedNext or task options) and the declared
 * `pipelines` through the orchestrator's registration use case.
 */
export const register = (
  serviceId: string,
  tasks: Record<string, TestTask>,
  options: {
    readonly version?: string
    readonly source?: string
    readonly pipelines?: ReadonlyArray<{ readonly id: string; readonly entry: ReadonlyArray<string> }>
  } = {}
) =>
  Effect.flatMap(Registrations, (registry) =>
    registry.register(Schema.decodeUnknownSync(RegisterRequest)({
      serviceId,
      version: options.version ?? "1.0.0",
      baseUrl: "http://127.0.0.1:9",
      tasks: Object.entries(tasks).map(([id, task]) => ({
        id,
        codeHash: codeHashOf(`${id}${options.source ?? ""}`),
        ...(Array.isArray(task) ? { allowedNext: task } : task)
      })),
      pipelines: options.pipelines ?? []
    })))
