import { HttpApiBuilder } from "@effect/platform"
import { OrchestratorApi } from "@pipeweave/domain/OrchestratorApi"
import { Effect } from "effect"
import { CallbackGroups } from "../flow/CallbackGroups.js"

export const CallbacksHttp = HttpApiBuilder.group(OrchestratorApi, "callbacks", (handlers) =>
  Effect.map(CallbackGroups, (groups) =>
    handlers.handle("callbacks", ({ payload }) => Effect.map(groups.apply(payload.callbacks), (results) => ({ results })))))
