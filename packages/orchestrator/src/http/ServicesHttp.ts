import { HttpApiBuilder } from "@effect/platform"
import { NotFound } from "@pipeweave/domain/Errors"
import { OrchestratorApi } from "@pipeweave/domain/OrchestratorApi"
import { Effect, Option } from "effect"
import { Registry } from "../store/Registry.js"

export const ServicesHttp = HttpApiBuilder.group(OrchestratorApi, "services", (handlers) =>
  Effect.gen(function*() {
    const registry = yield* Registry
    return handlers
      .handle("list", () => registry.services)
      .handle("tasks", ({ path }) =>
        registry.serviceTasks(path.id).pipe(
          Effect.flatMap(Option.match({
            onNone: () => Effect.fail(NotFound.of("service", path.id)),
            onSome: Effect.succeed
          }))
        ))
      .handle("history", ({ path }) =>
        registry.history(path.id).pipe(
          Effect.filterOrFail((rows) => rows.length > 0, () => NotFound.of("task", path.id))
        ))
  }))
