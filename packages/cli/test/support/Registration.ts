import { codeHashOf } from "@pipeweave/domain/CodeHash"
import { RegisterRequest } from "@pipeweave/domain/Registration"
import { Registry } from "@pipeweave/orchestrator/registry/Registry"
import { Effect, Schema } from "effect"

/** Registers `serviceId` with `tasks` (id → allowedNext) through the orchestrator's Registry. */
export const register = (
  serviceId: string,
  tasks: Record<string, ReadonlyArray<string>>,
  options: { readonly version?: string; readonly source?: string } = {}
) =>
  Effect.flatMap(Registry, (registry) =>
    registry.register(Schema.decodeUnknownSync(RegisterRequest)({
      serviceId,
      version: options.version ?? "1.0.0",
      baseUrl: "http://127.0.0.1:9",
      tasks: Object.entries(tasks).map(([id, allowedNext]) => ({
        id,
        codeHash: codeHashOf(`${id}${options.source ?? ""}`),
        allowedNext
      }))
    })))
