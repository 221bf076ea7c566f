import { HttpApiBuilder } from "@effect/platform"
import { OrchestratorApi } from "@pipeweave/domain/OrchestratorApi"
import { Effect } from "effect"
import { OrchestratorConfig } from "../Config.js"
import { DatabaseInfo } from "../Database.js"
import { OrchestratorIdentity } from "../OrchestratorIdentity.js"
import { DeadlineSweep } from "../flow/DeadlineSweep.js"
import { SchedulingPass } from "../flow/SchedulingPass.js"

export const HealthHttp = HttpApiBuilder.group(OrchestratorApi, "health", (handlers) =>
  Effect.gen(function*() {
    const config = yield* OrchestratorConfig
    const database = yield* DatabaseInfo
    const identity = yield* OrchestratorIdentity
    const health = { status: "ok" as const, mode: config.mode, database: database.dialect, orchestratorId: identity.id }
    return handlers.handle("health", () => Effect.succeed(health))
  }))

export const ProcessHttp = HttpApiBuilder.group(OrchestratorApi, "process", (handlers) =>
  Effect.gen(function*() {
    const scheduling = yield* SchedulingPass
    const monitor = yield* DeadlineSweep
    return handlers.handle("process", () => Effect.zipRight(monitor.sweep, scheduling.pass))
  }))
