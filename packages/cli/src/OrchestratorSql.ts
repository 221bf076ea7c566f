import { Effect } from "effect"
import { CliFailure } from "./CliFailure.js"
import { ImportModule } from "./ImportModule.js"

const PACKAGE = "@pipeweave/orchestrator"

const load = (importModule: ImportModule["Type"]) =>
  Promise.all([
    importModule("@pipeweave/orchestrator/sql/Migrations") as Promise<typeof import("@pipeweave/orchestrator/sql/Migrations")>,
    importModule("@pipeweave/orchestrator/sql/PgliteClient") as Promise<typeof import("@pipeweave/orchestrator/sql/PgliteClient")>,
    importModule("@pipeweave/orchestrator/sql/DatabaseSchema") as Promise<typeof import("@pipeweave/orchestrator/sql/DatabaseSchema")>
  ]).then(([migrations, pglite, schemas]) => ({ migrations, pglite, schemas }))

/** The orchestrator's migration, PGlite and schema modules that the `db` commands run. */
export type OrchestratorSql = Awaited<ReturnType<typeof load>>

const isMissing = (cause: unknown): boolean =>
  (cause as { code?: unknown })?.code === "ERR_MODULE_NOT_FOUND" && String((cause as Error).message).includes(`'${PACKAGE}'`)

/**
 * Loads them on first use: `@pipeweave/orchestrator` is an optional peer dependency of the CLI
 * (only `db` needs it), so a CLI installed without it fails here with the command to install it.
 */
export const orchestratorSql: Effect.Effect<OrchestratorSql, CliFailure> = Effect.flatMap(ImportModule, (importModule) =>
  Effect.tryPromise({
    try: () => load(importModule),
    catch: (cause) =>
      CliFailure.failed(
        isMissing(cause)
          ? `the db commands run the orchestrator's migrations: install ${PACKAGE} next to the CLI (npm install ${PACKAGE}@0.1.0)`
          : `cannot load ${PACKAGE}: ${cause instanceof Error ? cause.message : String(cause)}`
      )
  }))
