import type { DispatchPayload } from "@pipeweave/domain/Dispatch"
import * as StorageKeys from "@pipeweave/domain/StorageKeys"
import type { CredentialClaims, OpenedGrant } from "@pipeweave/storage/Crypto"
import type { StorageScope } from "@pipeweave/storage/ScopedStorage"
import { Option } from "effect"

/** Why a dispatch disagrees with its tokens: the field, and what the token says instead. */
export interface Mismatch {
  readonly field: string
  readonly message: string
}

const mismatch = (field: string, message: string): Option.Option<Mismatch> => Option.some({ field, message })

/**
 * Compares what a dispatch says with what its sealed storage token and its callback credential
 * bind: the run and its task, the attempt, the input and every path the attempt writes (`runs/{scope}/…` of
 * this run), and a callback credential for the same run, attempt and scope. Predecessors'
 * results must be safe keys under `runs/` (an idempotency cache may point a pipeline's task at
 * a standalone run's output, in another scope). `None` when everything agrees.
 */
export const checkDispatch = (
  payload: DispatchPayload,
  grant: OpenedGrant,
  callback: CredentialClaims
): Option.Option<Mismatch> => {
  const { attempt, runId } = payload
  if (grant.runId !== runId) return mismatch("runId", "the storage token was issued for another run")
  if (grant.taskId !== payload.taskId) return mismatch("taskId", "the storage token was issued for another task")
  if (grant.attempt !== attempt) return mismatch("attempt", `the storage token was issued for attempt ${grant.attempt}`)
  if (StorageKeys.runScope(runId, payload.pipelineRunId) !== grant.scope) {
    return mismatch("pipelineRunId", "the storage token was issued for another storage scope")
  }
  if (payload.inputPath !== grant.inputPath) return mismatch("inputPath", "inputPath is not the one the storage token names")
  const paths = StorageKeys.writePaths(grant.scope, runId)
  for (const field of ["outputPath", "assetsPrefix", "logsPath"] as const) {
    if (payload[field] !== paths[field]) return mismatch(field, `${field} must be '${paths[field]}' for this run`)
  }
  for (const [taskId, ref] of Object.entries(payload.upstream)) {
    const outside = upstreamPaths({ [taskId]: ref }).find((p) => !StorageKeys.isSafeKey(p) || !p.startsWith("runs/"))
    if (outside !== undefined) return mismatch(`upstream.${taskId}`, `'${outside}' is not a run's result`)
  }
  if (callback._tag !== "Run" || callback.runId !== runId || callback.attempt !== attempt || callback.scope !== grant.scope) {
    return mismatch("callbackToken", "the callback credential is not for this run, attempt and scope")
  }
  return Option.none()
}

const upstreamPaths = (upstream: DispatchPayload["upstream"]): ReadonlyArray<string> =>
  Object.values(upstream).flatMap((ref) => [ref.outputPath, ...Object.values(ref.assets).map((a) => a.path)])

/**
 * What a verified dispatch's attempt may read (its input, its run's scope, the results of its
 * predecessors the dispatch names) and write (its own output, log and assets).
 */
export const attemptScope = (grant: OpenedGrant, upstream: DispatchPayload["upstream"]): StorageScope => {
  const paths = StorageKeys.writePaths(grant.scope, grant.runId)
  const prefix = StorageKeys.scopePrefix(grant.scope)
  const predecessors = new Set(upstreamPaths(upstream))
  return {
    canRead: (key) =>
      StorageKeys.isSafeKey(key) && (key === grant.inputPath || key.startsWith(prefix) || predecessors.has(key)),
    canWrite: (key) => StorageKeys.isWritable(paths, key),
    describe: `run ${grant.runId} attempt ${grant.attempt}`
  }
}
