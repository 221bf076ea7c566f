import { Command } from "@effect/cli"
import { DlqRetryResult } from "@pipeweave/domain/DeadLetter"
import { Effect } from "effect"
import { apiOptions } from "../ApiOptions.js"
import { checkDlqTarget, dlqTargetArg, resolveDlqId } from "../DlqTarget.js"
import { callOrchestrator } from "../OrchestratorClient.js"
import { present } from "../Output.js"

/** `pipeweave dlq retry <dlq_…|trun_…>`: queues the failed task again with the current code. */
export const DlqRetryCommand = Command.make(
  "retry",
  { ...apiOptions, id: dlqTargetArg },
  (options) =>
    Effect.flatMap(checkDlqTarget(options.id), (target) =>
      callOrchestrator(options, (client) =>
        Effect.gen(function*() {
          const id = yield* resolveDlqId(client, target)
          const result = yield* client.dlq.retry({ path: { id } })
          yield* present(
            options.json,
            DlqRetryResult,
            result,
            (r) => `retried ${id} as ${r.newRunId} (${r.status}, code v${r.codeVersion})`
          )
        })))
).pipe(Command.withDescription(
  "Retry a dead letter with the task's current code version (POST /api/dlq/:id/retry); " +
    "in a pipeline the run resumes. An entry is retried once"
))
