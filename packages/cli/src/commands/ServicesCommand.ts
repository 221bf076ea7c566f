import { Command, Options } from "@effect/cli"
import { ServiceInfo, TaskInfo } from "@pipeweave/domain/Service"
import { Effect, Schema } from "effect"
import { apiOptions } from "../ApiOptions.js"
import { callOrchestrator } from "../OrchestratorClient.js"
import { fields, list, present, table, time } from "../Output.js"

const ServicesAnswer = Schema.Array(ServiceInfo)
const ServicesWithTasks = Schema.Array(Schema.extend(ServiceInfo, Schema.Struct({ taskInfo: Schema.Array(TaskInfo) })))

const instanceCount = (service: ServiceInfo): string => {
  const unreachable = service.instances.filter((i) => i.unreachableSince !== null).length
  return unreachable === 0 ? String(service.instances.length) : `${service.instances.length} (${unreachable} unreachable)`
}

const lastSeen = (service: ServiceInfo): string => {
  const latest = Math.max(...service.instances.map((i) => i.lastSeenAt.getTime()))
  return Number.isFinite(latest) ? time(new Date(latest)) : "-"
}

const instanceLine = (i: ServiceInfo["instances"][number]): string =>
  `${i.baseUrl} (v${i.version}, seen ${time(i.lastSeenAt)}` +
  (i.unreachableSince === null ? ")" : `, unreachable since ${time(i.unreachableSince)})`)

const servicesTable = (services: typeof ServicesAnswer.Type): string =>
  services.length === 0
    ? "No services registered yet (workers register when they start)."
    : table(
      ["SERVICE", "VERSION", "INSTANCES", "LAST SEEN", "TASKS"],
      services.map((s) => [s.serviceId, s.version, instanceCount(s), lastSeen(s), list(s.tasks)])
    )

const tasksTable = (tasks: ReadonlyArray<TaskInfo>): string =>
  table(
    ["TASK", "CODE", "HASH", "ALLOWED NEXT"],
    tasks.map((t) => [t.taskId, `v${t.codeVersion}`, t.codeHash, list(t.allowedNext, "(end)")])
  )

const serviceDetail = (service: ServiceInfo, tasks: ReadonlyArray<TaskInfo>): string =>
  [
    `${service.serviceId} ${service.version}`,
    fields([
      ["instances", list(service.instances.map(instanceLine))],
      ["updated", time(service.updatedAt)]
    ], "  "),
    tasks.length === 0 ? "  (no active tasks)" : tasksTable(tasks).replace(/^/gm, "  ")
  ].join("\n")

/** `pipeweave services [--tasks]`: the registered services and, with `--tasks`, their task code info. */
export const ServicesCommand = Command.make(
  "services",
  {
    ...apiOptions,
    tasks: Options.boolean("tasks").pipe(
      Options.withDescription("Also list each service's tasks with code version, hash and allowedNext")
    )
  },
  (options) =>
    callOrchestrator(options, (client) =>
      Effect.gen(function*() {
        const services = yield* client.services.list()
        if (!options.tasks) return yield* present(options.json, ServicesAnswer, services, servicesTable)
        const detailed = yield* Effect.forEach(services, (service) =>
          Effect.map(client.services.tasks({ path: { id: service.serviceId } }), (taskInfo) => ({ ...service, taskInfo })))
        yield* present(
          options.json,
          ServicesWithTasks,
          detailed,
          (all) => (all.length === 0 ? servicesTable([]) : all.map((s) => serviceDetail(s, s.taskInfo)).join("\n\n"))
        )
      }))
).pipe(Command.withDescription("List registered services (GET /api/services); --tasks adds GET /api/services/:id/tasks"))
