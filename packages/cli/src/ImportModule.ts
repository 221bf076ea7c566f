import { Context } from "effect"

/**
 * How the CLI loads a module on demand (the orchestrator's database code, for `db` only): the
 * module's own `import()` by default. The bundled bin compiles its commands from V8's code cache
 * (`MainLoader`), where Node 20 has no `import()` without a flag, and lends its own instead.
 */
export class ImportModule extends Context.Reference<ImportModule>()("@pipeweave/cli/ImportModule", {
  defaultValue: () => (specifier: string): Promise<unknown> => import(specifier)
}) {}
