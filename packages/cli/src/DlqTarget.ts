import { Args } from "@effect/cli"
import { DlqId, TaskRunId } from "@pipeweave/domain/Ids"
import { Effect, Schema } from "effect"
import { CliFailure } from "./CliFailure.js"
import type { OrchestratorClient } from "./OrchestratorClient.js"

/** The `<id>` of `dlq show|retry`: a dead letter id (`dlq_…`) or the id of the task run that failed (`trun_…`). */
export const dlqTargetArg = Args.text({ name: "id" }).pipe(
  Args.withDescription("A dead letter id (dlq_…) or the id of the task run that was dead-lettered (trun_…)")
)

/** Checks the shape of a `dlq show|retry` id before anything is sent; a wrong one is a usage error. */
export const checkDlqTarget = (id: string): Effect.Effect<string, CliFailure> =>
  Schema.is(DlqId)(id) || Schema.is(TaskRunId)(id)
    ? Effect.succeed(id)
    : Effect.fail(CliFailure.usage(`"${id}" is neither a dead letter id (dlq_…) nor a task run id (trun_…)`))

const PAGE = 500

/**
 * The dead letter id for `id`: itself for a `dlq_…` id; for a `trun_…` id, the entry of that
 * task run, looked up in `GET /api/dlq?includeRetried=true`.
 */
export const resolveDlqId = (client: OrchestratorClient, id: string): Effect.Effect<string, unknown> => {
  if (Schema.is(DlqId)(id)) return Effect.succeed(id)
  const search = (offset: number): Effect.Effect<string, unknown> =>
    Effect.flatMap(client.dlq.list({ urlParams: { includeRetried: true, limit: PAGE, offset } }), (page) => {
      const entry = page.items.find((item) => item.taskRunId === id)
      if (entry !== undefined) return Effect.succeed(entry.id)
      const next = page.offset + page.items.length
      return page.items.length > 0 && next < page.total
        ? search(next)
        : Effect.fail(CliFailure.failed(`task run '${id}' is not in the dead letter queue (see pipeweave dlq list --all)`))
    })
  return search(0)
}
