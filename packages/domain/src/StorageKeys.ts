/**
 * The storage layout of the spec: inputs under `pipelines/` and `standalone/`, everything a run
 * produces under `runs/{runScope}/`, where the scope is the pipeline run id, or the task run id
 * for a standalone task.
 */
export const pipelineInput = (pipelineRunId: string): string => `pipelines/${pipelineRunId}/input.json`

export const standaloneInput = (taskRunId: string): string => `standalone/${taskRunId}/input.json`

export const runScope = (taskRunId: string, pipelineRunId: string | null): string => pipelineRunId ?? taskRunId

export const output = (scope: string, taskRunId: string): string => `runs/${scope}/outputs/${taskRunId}.json`

export const assetsPrefix = (scope: string, taskRunId: string): string => `runs/${scope}/assets/${taskRunId}/`

export const logs = (scope: string, taskRunId: string): string => `runs/${scope}/logs/${taskRunId}.jsonl`

/** Everything under `runs/{scope}/`: where a run's attempts read their predecessors' results. */
export const scopePrefix = (scope: string): string => `runs/${scope}/`

/** The keys one attempt of `taskRunId` writes: its output, its assets (a prefix) and its log. */
export interface WritePaths {
  readonly outputPath: string
  readonly assetsPrefix: string
  readonly logsPath: string
}

export const writePaths = (scope: string, taskRunId: string): WritePaths => ({
  outputPath: output(scope, taskRunId),
  assetsPrefix: assetsPrefix(scope, taskRunId),
  logsPath: logs(scope, taskRunId)
})

/** Whether `key` is one an attempt with these write paths may write. */
export const isWritable = (paths: WritePaths, key: string): boolean =>
  isSafeKey(key) && (key === paths.outputPath || key === paths.logsPath || key.startsWith(paths.assetsPrefix))

const segment = /^[A-Za-z0-9._-]+$/

/**
 * A storage key is relative, `/`-separated, with no empty, `.` or `..` segment: it can never
 * name anything outside a backend's base.
 */
export const isSafeKey = (key: string): boolean => {
  if (key.length === 0 || key.length > 1024) return false
  return key.split("/").every((part) => segment.test(part) && part !== "." && part !== "..")
}

/** An asset key chosen by a handler (`ctx.addAsset("pdf-file", ...)`): one safe segment. */
export const isSafeAssetKey = (key: string): boolean => segment.test(key) && key !== "." && key !== ".." && key.length <= 200
