import { redactUrl } from "@pipeweave/domain/RedactedUrl"
import type { OwnershipConflict, RegisterRequest } from "@pipeweave/domain/Registration"
import { OwnedByAnotherService, RegisterResponse } from "@pipeweave/domain/Registration"
import { Effect, Option } from "effect"
import { Registry } from "../store/Registry.js"
import { TaskRuns } from "../store/TaskRuns.js"
import { Transactions } from "../store/Transactions.js"
import { ServiceLiveness } from "./ServiceLiveness.js"
import { Wakeups } from "./Wakeups.js"
import * as Spans from "@pipeweave/domain/Spans"

const listed = (conflicts: ReadonlyArray<OwnershipConflict>) =>
  conflicts.map((c) => `${c.kind} '${c.id}' belongs to service '${c.owner}'`).join(", ")

const owned = (request: RegisterRequest, conflicts: ReadonlyArray<OwnershipConflict>, reason: string) =>
  new OwnedByAnotherService({
    message: `${listed(conflicts)}; nothing of service '${request.serviceId}' was registered: ${reason}`,
    conflicts
  })

/**
 * A worker registers its service, instance, task types and pipelines. When the service's version
 * changed, the pending and waiting runs of task types it dropped are cancelled as orphans.
 *
 * A task or pipeline id belongs to the service that registered it first: a registration that
 * declares ids another service owns is refused whole (409, naming each id and its owner), unless
 * it says `takeover: true` and none of those owners has a live instance (`ServiceLiveness`); the
 * taken tasks get a new code version whose history names the service they were taken from.
 */
export class Registrations extends Effect.Service<Registrations>()("@pipeweave/orchestrator/Registrations", {
  effect: Effect.gen(function*() {
    const registry = yield* Registry
    const taskRuns = yield* TaskRuns
    const tx = yield* Transactions
    const wakeups = yield* Wakeups
    const liveness = yield* ServiceLiveness

    const claimable = Spans.fn("Registrations.claimable")(function*(request: RegisterRequest) {
      const conflicts = yield* registry.foreignOwners(request)
      if (conflicts.length === 0) return new Set<string>()
      if (!request.takeover) {
        return yield* owned(
          request,
          conflicts,
          "register them from their owner, or with takeover: true once the owner has no live instance"
        )
      }
      const owners = [...new Set(conflicts.map((c) => c.owner))]
      for (const owner of owners) {
        const live = yield* liveness.liveInstance(owner)
        if (Option.isSome(live)) {
          return yield* owned(
            request,
            conflicts.filter((c) => c.owner === owner),
            `takeover refused, service '${owner}' has a live instance at ${redactUrl(live.value)}`
          )
        }
      }
      return new Set(owners)
    })

    const register = Spans.fn("Registrations.register")(function*(request: RegisterRequest) {
      const dead = yield* claimable(request).pipe(Effect.tapError((refused) =>
        Effect.logWarning(`registration of service '${request.serviceId}' refused: ${refused.message}`).pipe(
          Effect.annotateLogs({ event: "service.refused", serviceId: request.serviceId, instanceUrl: redactUrl(request.baseUrl) })
        )
      ))
      const response = yield* tx.run(Effect.gen(function*() {
        yield* registry.lockRegistrations
        const raced = (yield* registry.foreignOwners(request)).filter((c) => !dead.has(c.owner))
        if (raced.length > 0) return yield* owned(request, raced, "another service registered them meanwhile")
        const { removed, tasks } = yield* registry.register(request)
        const reason = `Task type removed in version ${request.version}`
        const cancelled = removed.length === 0 ? [] : yield* taskRuns.cancelOrphans(removed, reason)
        return new RegisterResponse({
          serviceId: request.serviceId,
          version: request.version,
          tasks: tasks.map(({ codeHash, codeVersion, taskId }) => ({ taskId, codeHash, codeVersion })),
          codeChanges: tasks.flatMap(({ change }) => Option.toArray(change)),
          orphansCancelled: removed.map((taskId) => ({
            taskId,
            cancelled: cancelled.filter((c) => c.taskId === taskId).length
          }))
        })
      }))
      const annotations = { serviceId: request.serviceId, version: request.version, instanceUrl: redactUrl(request.baseUrl) }
      if (dead.size > 0) {
        yield* Effect.logWarning(
          `service '${request.serviceId}' took over ${[...dead].map((o) => `'${o}'`).join(", ")}'s ids (takeover: true)`
        ).pipe(Effect.annotateLogs({ event: "service.takeover", ...annotations, from: [...dead].join(",") }))
      }
      yield* Effect.logInfo(
        `service '${request.serviceId}' ${request.version} registered with ${response.tasks.length} task(s)`
      ).pipe(Effect.annotateLogs({ event: "service.registered", ...annotations, tasks: response.tasks.length }))
      for (const change of response.codeChanges) {
        yield* Effect.logInfo(
          `code of ${change.taskId} changed: version ${change.oldVersion} -> ${change.newVersion}`
        ).pipe(Effect.annotateLogs({ event: "task.code-changed", serviceId: request.serviceId, taskId: change.taskId, codeVersion: change.newVersion }))
      }
      for (const orphan of response.orphansCancelled.filter((o) => o.cancelled > 0)) {
        yield* Effect.logWarning(
          `cancelled ${orphan.cancelled} pending run(s) of ${orphan.taskId}: the task type is gone from ${request.version}`
        ).pipe(Effect.annotateLogs({ event: "orphans.cancelled", serviceId: request.serviceId, taskId: orphan.taskId, cancelled: orphan.cancelled }))
      }
      yield* taskRuns.limitsChanged
      yield* registry.tasksChanged
      yield* wakeups.wake
      return response
    })

    return { register } as const
  })
}) {}
