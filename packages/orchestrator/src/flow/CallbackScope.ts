import type { CallbackPayload } from "@pipeweave/domain/Callback"
import { ValidationError } from "@pipeweave/domain/Errors"
import * as StorageKeys from "@pipeweave/domain/StorageKeys"
import { Effect } from "effect"

/**
 * Checks that every path a callback reports lies in the storage scope its run credential was
 * issued for (`runs/{scope}/…` of this run): the output and log at exactly their keys, each asset
 * under the run's asset prefix. A credential without a scope (issued before scopes were bound)
 * is left to the general path checks. The first path outside, as the error that refuses the callback.
 */
export const callbackScopeIssue = (
  runId: string,
  scope: string | undefined,
  payload: CallbackPayload
): ValidationError | undefined => {
  if (scope === undefined) return undefined
  const paths = StorageKeys.writePaths(scope, runId)
  const outside = (field: string, expected: string) =>
    new ValidationError({ field, message: `${field} lies outside the run's storage scope (expected ${expected})` })
  if (payload.status === "success") {
    if (payload.outputPath !== paths.outputPath) return outside("outputPath", `'${paths.outputPath}'`)
    for (const [key, asset] of Object.entries(payload.assets)) {
      if (!StorageKeys.isSafeKey(asset.path) || !asset.path.startsWith(paths.assetsPrefix)) {
        return outside(`assets.${key}.path`, `a key under '${paths.assetsPrefix}'`)
      }
    }
  }
  if (payload.logsPath !== undefined && payload.logsPath !== paths.logsPath) {
    return outside("logsPath", `'${paths.logsPath}'`)
  }
  return undefined
}

/** `callbackScopeIssue` as an effect that fails with the issue. */
export const checkCallbackScope = (runId: string, scope: string | undefined, payload: CallbackPayload) =>
  Effect.suspend(() => {
    const issue = callbackScopeIssue(runId, scope, payload)
    return issue === undefined ? Effect.void : Effect.fail(issue)
  })
