import { createHash } from "node:crypto"
import { existsSync, realpathSync } from "node:fs"
import { Server } from "node:net"
import { tmpdir } from "node:os"
import { basename, dirname, join } from "node:path"
import { Data, Effect, type Scope } from "effect"
import { bindLock, type LockAddress, type LockHolder } from "./LockSocket.js"

/** A second process (or a second open in this one) found the embedded database's directory held. */
export class DataDirInUse extends Data.TaggedError("DataDirInUse")<{
  readonly dir: string
  readonly pid: number | undefined
  readonly holder: string | undefined
}> {
  override get message(): string {
    const by = this.pid === undefined
      ? "another process (it did not say which)"
      : `process ${this.pid}${this.holder === undefined ? "" : ` (${this.holder})`}`
    return `The embedded database at ${this.dir} is in use by ${by}; stop it or set PIPEWEAVE_DATA_DIR to another directory`
  }
}

/** The lock could not be taken for another reason than a holder (e.g. no permission to create its socket). */
export class DataDirLockFailed extends Data.TaggedError("DataDirLockFailed")<{
  readonly dir: string
  readonly cause: unknown
}> {
  override get message(): string {
    return `cannot lock the embedded database at ${this.dir}: ${this.cause instanceof Error ? this.cause.message : String(this.cause)}`
  }
}

const SUN_PATH_MAX = 103

const canonical = (dir: string): string =>
  existsSync(dir) ? realpathSync(dir) : join(realpathSync(dirname(dir)), basename(dir))

/**
 * Where `dir` is locked, in the order the locks are taken. A socket file beside it (`<dir>.lock`,
 * or under the temporary directory when that path is too long for a socket address) is seen by
 * every process that sees the directory, containers sharing a volume included. On Linux a name in
 * the abstract namespace, derived from the directory's real path, comes first; on Windows a named
 * pipe replaces the file. `kind: "file"` gives the file alone (what other platforms use).
 */
export const lockAddresses = (dir: string, kind: "auto" | "file" = "auto"): ReadonlyArray<LockAddress> => {
  const key = createHash("sha256").update(canonical(dir)).digest("hex")
  const beside = join(dirname(dir), `${basename(dir)}.lock`)
  const file: LockAddress = {
    kind: "file",
    path: Buffer.byteLength(beside) <= SUN_PATH_MAX ? beside : join(tmpdir(), `pipeweave-${key.slice(0, 32)}.lock`)
  }
  if (kind === "file") return [file]
  if (process.platform === "win32") return [{ kind: "abstract", path: `\\\\.\\pipe\\pipeweave-${key}` }]
  if (process.platform === "linux") return [{ kind: "abstract", path: `\0pipeweave-${key}` }, file]
  return [file]
}

const inUse = (dir: string, answer: LockHolder | "silent") =>
  new DataDirInUse({
    dir,
    pid: answer === "silent" ? undefined : answer.pid,
    holder: answer === "silent" || answer.holder === "" ? undefined : answer.holder
  })

const take = (dir: string, address: LockAddress, holder: string) =>
  Effect.acquireRelease(
    Effect.tryPromise({ try: () => bindLock(address, holder), catch: (cause) => new DataDirLockFailed({ dir, cause }) }).pipe(
      Effect.flatMap((bound) => bound instanceof Server ? Effect.succeed(bound) : Effect.fail(inUse(dir, bound)))
    ),
    (server) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
  )

/**
 * Holds `dir` for this process until the scope closes: exclusive locks the kernel releases when
 * the process dies, so `kill -9` never leaves the directory held. A second opener fails at once
 * with `DataDirInUse` naming the holder's PID, which the holder answers on the lock's socket.
 * When the Linux name is held but the file beside `dir` cannot be created (a file system without
 * sockets), that is logged and the name alone holds the directory.
 */
export const acquire = (
  dir: string,
  options: { readonly holder: string; readonly kind?: "auto" | "file" }
): Effect.Effect<ReadonlyArray<LockAddress>, DataDirInUse | DataDirLockFailed, Scope.Scope> =>
  Effect.gen(function*() {
    const addresses = yield* Effect.try({
      try: () => lockAddresses(dir, options.kind),
      catch: (cause) => new DataDirLockFailed({ dir, cause })
    })
    for (const [index, address] of addresses.entries()) {
      const taken = take(dir, address, options.holder)
      yield* index === 0 ? taken : taken.pipe(Effect.catchTag("DataDirLockFailed", (e) =>
        Effect.logWarning(`${e.message} (socket file ${address.path}); processes in other containers sharing it are not kept out`)))
    }
    return addresses
  })
