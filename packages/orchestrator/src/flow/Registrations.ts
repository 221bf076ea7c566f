import type { RegisterRequest } from "@pipeweave/domain/Registration"
import { RegisterResponse } from "@pipeweave/domain/Registration"
import { Effect, Option } from "effect"
import { Registry } from "../store/Registry.js"
import { TaskRuns } from "../store/TaskRuns.js"
import { Transactions } from "../store/Transactions.js"
import { Wakeups } from "./Wakeups.js"

/**
 * A worker registers its service, instance, task types and pipelines. When the service's version
 * changed, the pending and waiting runs of task types it dropped are cancelled as orphans.
 */
export class Registrations extends Effect.Service<Registrations>()("@pipeweave/orchestrator/Registrations", {
  effect: Effect.gen(function*() {
    const registry = yield* Registry
    const taskRuns = yield* TaskRuns
    const tx = yield* Transactions
    const wakeups = yield* Wakeups

    const register = Effect.fn("Registrations.register")(function*(request: RegisterRequest) {
      const response = yield* tx.run(Effect.gen(function*() {
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
      yield* taskRuns.limitsChanged
      yield* wakeups.wake
      return response
    })

    return { register } as const
  })
}) {}
