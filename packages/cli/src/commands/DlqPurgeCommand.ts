import { Command, Options } from "@effect/cli"
import { AgeFromString, DlqPurgeRequest, DlqPurgeResult } from "@pipeweave/domain/DeadLetter"
import { Effect, Schema } from "effect"
import { apiOptions } from "../ApiOptions.js"
import { CliFailure } from "../CliFailure.js"
import { callOrchestrator } from "../OrchestratorClient.js"
import { present } from "../Output.js"

const decodeAge = (text: string): Effect.Effect<number, CliFailure> =>
  Schema.decode(AgeFromString)(text).pipe(
    Effect.mapError(() =>
      CliFailure.usage(`--older-than must be a duration such as 7d, 12h, 30m, 45s or milliseconds (got "${text}")`)
    )
  )

/** `pipeweave dlq purge --older-than 7d`: deletes dead letters that failed before then. */
export const DlqPurgeCommand = Command.make(
  "purge",
  {
    ...apiOptions,
    olderThan: Options.text("older-than").pipe(
      Options.withDescription("Delete entries that failed longer ago than this: 7d, 12h, 30m, 45s or milliseconds")
    )
  },
  (options) =>
    Effect.gen(function*() {
      const olderThan = yield* decodeAge(options.olderThan)
      const result = yield* callOrchestrator(options, (client) =>
        client.dlq.purge({ payload: new DlqPurgeRequest({ olderThan }) }))
      yield* present(
        options.json,
        DlqPurgeResult,
        result,
        (r) => `purged ${r.purged} dead letter(s) that failed more than ${options.olderThan} ago`
      )
    })
).pipe(Command.withDescription("Delete dead letters older than --older-than (POST /api/dlq/purge), retried or not"))
