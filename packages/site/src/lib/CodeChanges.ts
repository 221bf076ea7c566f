/** What an attempt ran: its code version and hash. */
export interface CodeIdentity {
  readonly codeVersion: number | null
  readonly codeHash: string | null
}

/** Whether `next` ran other code than `previous` (unknown code counts as unchanged). */
export const codeChanged = (previous: CodeIdentity | undefined, next: CodeIdentity): boolean =>
  previous !== undefined && previous.codeHash !== null && next.codeHash !== null && previous.codeHash !== next.codeHash

/** For each attempt (in order), whether its code differs from the attempt before it. */
export const changesBetweenAttempts = (attempts: ReadonlyArray<CodeIdentity>): ReadonlyArray<boolean> =>
  attempts.map((attempt, index) => codeChanged(attempts[index - 1], attempt))

/** A short form of a code hash for tables ("sha256:" prefix dropped, 12 characters). */
export const shortHash = (hash: string | null): string => (hash === null ? "—" : hash.replace(/^sha256:/, "").slice(0, 12))
