import type { CliResult } from "./cli.js"
import type { GraphileResult } from "./graphile.js"
import type { PipeWeaveResult } from "./pipeweave.js"
import type { ScaleResult } from "./scale.js"
import type { Settings } from "./settings.js"
import type { Target } from "./targets.js"

/** A section's result, or why it failed; `null` where a section was not run. */
export type Outcome<A> =
  | { readonly ok: true; readonly seconds: number; readonly value: A }
  | { readonly ok: false; readonly seconds: number; readonly error: string }

export interface BenchResults {
  readonly startedAt: string
  readonly machine: {
    readonly cpus: number
    readonly node: string
    /** 1-minute load average when the bench started and when it ended (the machine is shared). */
    readonly loadAverage: { readonly start: number; readonly end: number }
  }
  readonly settings: Omit<Settings, "sections"> & { readonly sections: ReadonlyArray<string> }
  readonly graphile: Outcome<GraphileResult> | null
  readonly postgres: Outcome<PipeWeaveResult> | null
  readonly pglite: Outcome<PipeWeaveResult> | null
  readonly scale: Outcome<ScaleResult> | null
  readonly cli: Outcome<CliResult> | null
  readonly targets: ReadonlyArray<Target>
  readonly wallSeconds: number
}

export const valueOf = <A>(outcome: Outcome<A> | null): A | undefined => outcome?.ok ? outcome.value : undefined
