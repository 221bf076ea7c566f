import { Command } from "@effect/cli"
import { DlqDetail } from "@pipeweave/domain/DeadLetter"
import { Effect } from "effect"
import { apiOptions } from "../ApiOptions.js"
import { checkDlqTarget, dlqTargetArg, resolveDlqId } from "../DlqTarget.js"
import { renderDlqDetail } from "../DlqView.js"
import { callOrchestrator } from "../OrchestratorClient.js"
import { present } from "../Output.js"

/** `pipeweave dlq show <dlq_…|trun_…>`: one dead letter in full. */
export const DlqShowCommand = Command.make(
  "show",
  { ...apiOptions, id: dlqTargetArg },
  (options) =>
    Effect.flatMap(checkDlqTarget(options.id), (target) =>
      callOrchestrator(options, (client) =>
        resolveDlqId(client, target).pipe(
          Effect.flatMap((id) => client.dlq.show({ path: { id } })),
          Effect.flatMap((entry) => present(options.json, DlqDetail, entry, renderDlqDetail))
        )))
).pipe(Command.withDescription(
  "Show a dead letter (GET /api/dlq/:id): input, each attempt's error with its time, pipeline context, code version and hash"
))
