import * as StorageKeys from "@pipeweave/domain/StorageKeys"
import { Crypto } from "@pipeweave/storage/Crypto"
import type { StorageBackendConfig } from "@pipeweave/storage/StorageBackendConfig"
import { Clock, Effect } from "effect"
import { DatabaseInfo } from "../Database.js"

/** Credentials outlive the task's timeout by this much, so late heartbeats and callbacks still verify (and get 409s). */
const CREDENTIAL_MARGIN_SECONDS = 15 * 60
/** Tokens minted ahead are used only this soon after (their `iat` and `exp` stay those of the dispatch within it). */
const AHEAD_MAX_AGE_MS = 1000
/** At most this many runs' tokens are held minted ahead (a claim takes at most `MAX_CONCURRENCY` runs). */
const AHEAD_MAX_RUNS = 64

/** What a dispatch's two tokens bind: the run's attempt, its storage scope and input, its backend and lifetime. */
export interface TokenSubject {
  readonly runId: string
  readonly taskId: string
  readonly pipelineRunId: string | null
  readonly attempt: number
  readonly inputPath: string
  readonly backend: StorageBackendConfig
  readonly timeoutSeconds: number
}

/** A dispatch's sealed storage token and signed callback credential. */
export interface DispatchTokens {
  readonly storageToken: string
  readonly callbackToken: string
}

/** What `mintForInsert` reads of a run about to be inserted. */
export interface NewRunTokens {
  readonly id: string
  readonly taskId: string
  readonly pipelineRunId: string | null
  readonly status: "pending" | "waiting"
  readonly priority: number
  readonly inputPath: string
}

/** The first attempt's subject of a run about to be inserted, on `backend`, with its task's timeout. */
export const firstAttempt = (run: NewRunTokens, backend: StorageBackendConfig, timeoutSeconds: number): TokenSubject => ({
  runId: run.id,
  taskId: run.taskId,
  pipelineRunId: run.pipelineRunId,
  attempt: 1,
  inputPath: run.inputPath,
  backend,
  timeoutSeconds
})

interface MintedAhead {
  readonly subject: TokenSubject
  readonly nowMs: number
  readonly tokens: DispatchTokens
}

const sameSubject = (a: TokenSubject, b: TokenSubject): boolean =>
  a.runId === b.runId && a.taskId === b.taskId && a.pipelineRunId === b.pipelineRunId && a.attempt === b.attempt &&
  a.inputPath === b.inputPath && a.backend === b.backend && a.timeoutSeconds === b.timeoutSeconds

/**
 * Seals and signs a dispatch's tokens. A use case that is about to claim runs it knows (a
 * submission or a trigger whose insert claims, a pipeline task's completion that starts its
 * successors) may have them minted ahead, while its statement is on its way
 * to the database and the process would otherwise wait: the dispatch then takes them as they are
 * when what they bind is exactly what was claimed, and mints its own otherwise.
 */
export class RunTokens extends Effect.Service<RunTokens>()("@pipeweave/orchestrator/RunTokens", {
  effect: Effect.gen(function*() {
    const crypto = yield* Crypto
    const databaseElsewhere = (yield* DatabaseInfo).dialect === "postgres"
    const ahead = new Map<string, MintedAhead>()

    const mint = (subject: TokenSubject, nowMs: number): DispatchTokens => {
      const { attempt, runId } = subject
      const scope = StorageKeys.runScope(runId, subject.pipelineRunId)
      const ttl = subject.timeoutSeconds + CREDENTIAL_MARGIN_SECONDS
      return {
        storageToken: crypto.sync.sealStorageToken(
          { runId, taskId: subject.taskId, attempt, scope, inputPath: subject.inputPath, backend: subject.backend },
          nowMs,
          ttl
        ),
        callbackToken: crypto.sync.signCredential({ _tag: "Run", runId, attempt, scope }, nowMs, ttl)
      }
    }

    /** The tokens for a dispatch at `nowMs`: those minted ahead for exactly this subject, else new ones. */
    const forDispatch = (subject: TokenSubject, nowMs: number): DispatchTokens => {
      const held = ahead.get(subject.runId)
      if (held === undefined) return mint(subject, nowMs)
      ahead.delete(subject.runId)
      const age = nowMs - held.nowMs
      return age >= 0 && age <= AHEAD_MAX_AGE_MS && sameSubject(held.subject, subject) ? held.tokens : mint(subject, nowMs)
    }

    /**
     * Mints `subjects`' tokens once the caller's statement has been written, so that the wait for
     * its answer hides the work: after the I/O callbacks of this turn of the event loop
     * (`setImmediate`), not in a microtask, which would run before the statement leaves (pg hands
     * a pooled connection over in a `process.nextTick`) and delay it by the minting. Only on a
     * database in another process: the embedded one answers in this thread, which has no wait to
     * hide the work in.
     */
    const mintAhead = (subjects: ReadonlyArray<TokenSubject>, nowMs: number): void => {
      if (!databaseElsewhere || subjects.length === 0) return
      setImmediate(() => {
        for (const [runId, held] of ahead) {
          if (nowMs - held.nowMs > AHEAD_MAX_AGE_MS || nowMs < held.nowMs) ahead.delete(runId)
        }
        for (const subject of subjects) {
          if (ahead.size >= AHEAD_MAX_RUNS) return
          try {
            ahead.set(subject.runId, { subject, nowMs, tokens: mint(subject, nowMs) })
          } catch {
            return
          }
        }
      })
    }

    /**
     * Before an insert that claims up to `limit` of the `runs` it writes: mints the first attempt's
     * tokens of the runs it would claim (the pending ones, by priority, then in order) while it runs.
     */
    const mintForInsert = (
      runs: ReadonlyArray<NewRunTokens>,
      limit: number,
      backend: StorageBackendConfig,
      timeoutSecondsOf: (taskId: string) => number
    ): Effect.Effect<void> =>
      limit <= 0 ? Effect.void : Effect.map(Clock.currentTimeMillis, (nowMs) => {
        const pending = runs.filter((run) => run.status === "pending")
        const first = pending.length === 1 ? pending : [...pending].sort((a, b) => a.priority - b.priority)
        mintAhead(first.slice(0, limit).map((run) => firstAttempt(run, backend, timeoutSecondsOf(run.taskId))), nowMs)
      })

    /**
     * Before a write that makes a pipeline run's tasks `taskIds` pending and claims up to `limit` of
     * them: mints the first attempt's tokens of those `waiting` knows (by task id, as the trigger
     * inserted them) while it runs.
     */
    const mintForStart = (
      waiting: ReadonlyMap<string, TokenSubject> | undefined,
      taskIds: ReadonlyArray<string>,
      limit: number
    ): Effect.Effect<void> =>
      waiting === undefined || limit <= 0 ? Effect.void : Effect.map(Clock.currentTimeMillis, (nowMs) =>
        mintAhead(
          taskIds.slice(0, limit).flatMap((taskId) => {
            const subject = waiting.get(taskId)
            return subject === undefined ? [] : [subject]
          }),
          nowMs
        ))

    return {
      forDispatch,
      mintAhead,
      mintForInsert,
      mintForStart,
      /** Whether anything asked for is minted ahead (not on the embedded database): else there is no use in keeping subjects for it. */
      mintsAhead: databaseElsewhere
    } as const
  })
}) {}
