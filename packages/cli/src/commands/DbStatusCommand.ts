import { Command } from "@effect/cli"
import { Console, Effect } from "effect"
import { databaseTarget, dbOptions, withDatabase } from "../DatabaseTarget.js"
import { migrationFiles, migrationName, type MigrationState, migrationState } from "../MigrationState.js"
import { fields, time } from "../Output.js"

const render = (label: string, schema: string, exists: boolean, state: MigrationState): string => {
  const applied = state.applied.length === 0
    ? "  (none)"
    : fields(state.applied.map((m) => [migrationName(m), `applied ${time(m.appliedAt)}`]), "  ")
  const pending = state.pending.length === 0
    ? "  (none): up to date"
    : `${state.pending.map((m) => `  ${migrationName(m)}`).join("\n")}\nRun \`pipeweave db migrate\` to apply them.`
  const header = !exists
    ? `${label} (does not exist yet; \`pipeweave db init\` creates it)`
    : state.schema === schema
    ? `${label}, schema ${schema}`
    : `${label}, schema ${state.schema} (laid out before PipeWeave had a schema: the next start or \`pipeweave db migrate\` moves it to schema ${schema})`
  return `${header}\napplied:\n${applied}\npending:\n${pending}`
}

/** `pipeweave db status`: applied and pending migrations, without applying anything. */
export const DbStatusCommand = Command.make("status", dbOptions, (options) =>
  Effect.gen(function*() {
    const target = yield* databaseTarget(options)
    const state: MigrationState = target.exists
      ? yield* withDatabase(target, migrationState(target.schema))
      : { schema: target.schema, applied: [], pending: yield* migrationFiles }
    yield* Console.log(
      options.json
        ? JSON.stringify({ database: target.label, exists: target.exists, ...state }, null, 2)
        : render(target.label, target.schema, target.exists, state)
    )
  })).pipe(Command.withDescription("List applied and pending migrations (applies nothing)"))
