import type { CallbackPayload } from "@pipeweave/domain/Callback"
import { ValidationError } from "@pipeweave/domain/Errors"
import * as StorageKeys from "@pipeweave/domain/StorageKeys"

const invalid = (field: string, message: string) => new ValidationError({ field, message })

const shown = (text: string): string => JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text)

/**
 * Checks that every path a worker's callback reports is exactly where its run was told to write:
 * the output and logs at their keys, each asset (under a safe key) below its assets prefix, all in
 * the run's own scope (its pipeline run, or itself when standalone). A worker can never make the
 * orchestrator record, serve or copy another run's objects. The first path that is not, as the
 * error that refuses the callback.
 */
export const callbackPathsIssue = (
  runId: string,
  pipelineRunId: string | null,
  payload: CallbackPayload
): ValidationError | undefined => {
  const scope = StorageKeys.runScope(runId, pipelineRunId)
  if (payload.status === "success") {
    const outputPath = StorageKeys.output(scope, runId)
    if (payload.outputPath !== outputPath) {
      return invalid("outputPath", `outputPath must be ${outputPath}, this run's own output, not ${shown(payload.outputPath)}`)
    }
    const prefix = StorageKeys.assetsPrefix(scope, runId)
    for (const [key, asset] of Object.entries(payload.assets)) {
      if (!StorageKeys.isSafeAssetKey(key)) {
        return invalid(
          "assets",
          `asset key ${shown(key)} is not valid: keys are 1-200 characters of letters, digits, '.', '_' and '-', not '.' or '..'`
        )
      }
      if (!StorageKeys.isSafeKey(asset.path) || !asset.path.startsWith(prefix)) {
        return invalid(
          `assets.${key}.path`,
          `asset paths must be storage keys under ${prefix} without '.' or '..' segments, not ${shown(asset.path)}`
        )
      }
    }
  }
  if (payload.logsPath !== undefined) {
    const logsPath = StorageKeys.logs(scope, runId)
    if (payload.logsPath !== logsPath) {
      return invalid("logsPath", `logsPath must be ${logsPath}, this run's own log, not ${shown(payload.logsPath)}`)
    }
  }
  return undefined
}
