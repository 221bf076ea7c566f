import { Console, Effect } from "effect"
import { CliFailure } from "./CliFailure.js"
import { databaseTarget, withDatabase } from "./DatabaseTarget.js"
import type { DbOptions } from "./DbOptions.js"
import {
  applyPending,
  migrationFiles,
  migrationName,
  type MigrationState,
  migrationState,
  resetSchema
} from "./MigrationState.js"
import { fields, time } from "./Output.js"

/** Applies pending migrations and reports them; `init` and `migrate` differ only in wording. */
export const applyMigrations = (verb: "initialised" | "migrated", options: DbOptions) =>
  Effect.gen(function*() {
    const target = yield* databaseTarget(options)
    const { applied, state } = yield* withDatabase(
      target,
      Effect.all({ applied: applyPending(target.schema), state: migrationState(target.schema) })
    )
    if (options.json) {
      return yield* Console.log(JSON.stringify({ database: target.label, applied, upToDate: applied.length === 0 }, null, 2))
    }
    const latest = state.applied.at(-1)
    yield* Console.log(
      applied.length > 0
        ? `${verb} ${target.label}: applied ${applied.map(migrationName).join(", ")}`
        : `${target.label} is up to date (latest migration: ${latest ? migrationName(latest) : "none"})`
    )
  })

const renderStatus = (label: string, schema: string, exists: boolean, state: MigrationState): string => {
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

/** Applied and pending migrations, without applying anything. */
export const showStatus = (options: DbOptions) =>
  Effect.gen(function*() {
    const target = yield* databaseTarget(options)
    const state: MigrationState = target.exists
      ? yield* withDatabase(target, migrationState(target.schema))
      : { schema: target.schema, applied: [], pending: yield* migrationFiles }
    yield* Console.log(
      options.json
        ? JSON.stringify({ database: target.label, exists: target.exists, ...state }, null, 2)
        : renderStatus(target.label, target.schema, target.exists, state)
    )
  })

/** Drops PipeWeave's schema and re-applies every migration; refuses without `yes`. */
export const reset = (options: DbOptions & { readonly yes: boolean }) =>
  Effect.gen(function*() {
    const target = yield* databaseTarget(options)
    if (!options.yes) {
      return yield* CliFailure.usage(
        `refusing to reset ${target.label} without --yes: it drops schema ${target.schema} (every PipeWeave ` +
          "table, function and row) and re-applies the migrations. Add --yes to confirm."
      )
    }
    const applied = yield* withDatabase(target, resetSchema(target.schema))
    yield* Console.log(
      options.json
        ? JSON.stringify({ database: target.label, reset: true, applied }, null, 2)
        : `reset ${target.label}: dropped schema ${target.schema}, applied ${applied.map(migrationName).join(", ")}`
    )
  })
