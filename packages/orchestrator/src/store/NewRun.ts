import type { AssetRef } from "@pipeweave/domain/TaskRun"

/** A run to insert: `pending` (due now) or `waiting` for pipeline predecessors. */
export interface NewRun {
  readonly id: string
  readonly taskId: string
  readonly pipelineRunId: string | null
  readonly status: "pending" | "waiting"
  readonly priority: number
  readonly retries: number
  readonly storageBackend: string
  readonly inputPath: string
  /** The input's JSON text when it is kept in the database rather than in storage. */
  readonly inputInline: string | null
  readonly metadata: unknown
  /** The trace the run's dispatch joins (a W3C `traceparent`); default the current span's, when tracing. */
  readonly traceparent?: string | null | undefined
}

/** What a successful attempt reported. */
export interface AttemptSuccess {
  readonly outputPath: string
  readonly outputSize: number
  /** The output's JSON text when the worker sent it inline. */
  readonly outputInline: string | null
  readonly assets: Readonly<Record<string, AssetRef>>
  readonly logsPath: string | null
  readonly selectedNext: ReadonlyArray<string> | null
}

/** What a failed attempt reported (or what the orchestrator observed). */
export interface AttemptFailure {
  readonly error: string
  readonly errorCode: string | null
  readonly retryable: boolean
  readonly retryAfterMs: number | null
  readonly logsPath: string | null
  /** The TaskError's `details`, as bounded JSON text (see `boundedErrorDetails`). */
  readonly details?: string | null | undefined
}
