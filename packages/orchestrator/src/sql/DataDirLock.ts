import { createHash } from "node:crypto"
import { existsSync, mkdirSync, realpathSync, rmdirSync, statSync, unlinkSync } from "node:fs"
import { connect, createServer, type Server } from "node:net"
import { tmpdir } from "node:os"
import { basename, dirname, join } from "node:path"
import { Data, Effect, type Scope } from "effect"

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

/** Where the lock lives: a kernel name freed with its process, or a socket file (other platforms). */
export type LockAddress =
  | { readonly kind: "abstract"; readonly path: string }
  | { readonly kind: "file"; readonly path: string }

const SUN_PATH_MAX = 103

/**
 * The lock's address for `dir`: on Linux a name in the abstract socket namespace, on Windows a
 * named pipe (both exist only while their process does); elsewhere a socket file beside `dir`,
 * or under the temporary directory when that path is too long for a socket address.
 */
export const lockAddress = (dir: string, kind: "auto" | "file" = "auto"): LockAddress => {
  const key = createHash("sha256").update(canonical(dir)).digest("hex")
  if (kind === "auto" && process.platform === "linux") return { kind: "abstract", path: `\0pipeweave-${key}` }
  if (kind === "auto" && process.platform === "win32") return { kind: "abstract", path: `\\\\.\\pipe\\pipeweave-${key}` }
  const beside = join(dirname(dir), `${basename(dir)}.lock`)
  return {
    kind: "file",
    path: Buffer.byteLength(beside) <= SUN_PATH_MAX ? beside : join(tmpdir(), `pipeweave-${key.slice(0, 32)}.lock`)
  }
}

const canonical = (dir: string): string =>
  existsSync(dir) ? realpathSync(dir) : join(realpathSync(dirname(dir)), basename(dir))

interface Holder {
  readonly pid: number
  readonly holder: string
}

const listen = (path: string, holder: string): Promise<Server> =>
  new Promise((resolve, reject) => {
    const answer = `${JSON.stringify({ pid: process.pid, holder } satisfies Holder)}\n`
    const server = createServer((socket) => {
      socket.on("error", () => {})
      socket.end(answer)
    })
    server.once("error", reject)
    server.listen(path, () => {
      server.off("error", reject)
      server.unref()
      resolve(server)
    })
  })

const ANSWER_TIMEOUT_MS = 5_000

/** Asks whoever listens at `path` who it is: its answer, "gone" when nobody listens, "silent" when it says nothing. */
const askHolder = (path: string): Promise<Holder | "gone" | "silent"> =>
  new Promise((resolve) => {
    let text = ""
    const socket = connect(path)
    const done = (result: Holder | "gone" | "silent") => {
      clearTimeout(timer)
      socket.destroy()
      resolve(result)
    }
    const timer = setTimeout(() => done("silent"), ANSWER_TIMEOUT_MS)
    socket.setEncoding("utf8")
    socket.on("data", (chunk) => (text += chunk))
    socket.on("end", () => done(parseHolder(text)))
    socket.on("error", (error: NodeJS.ErrnoException) =>
      done(error.code === "ECONNREFUSED" || error.code === "ENOENT" ? "gone" : "silent"))
  })

const parseHolder = (text: string): Holder | "silent" => {
  try {
    const value = JSON.parse(text) as Partial<Holder>
    return typeof value.pid === "number" ? { pid: value.pid, holder: String(value.holder ?? "") } : "silent"
  } catch {
    return "silent"
  }
}

const codeOf = (error: unknown) => (error as NodeJS.ErrnoException | undefined)?.code

const inUse = (dir: string, answer: Holder | "silent") =>
  new DataDirInUse({
    dir,
    pid: answer === "silent" ? undefined : answer.pid,
    holder: answer === "silent" || answer.holder === "" ? undefined : answer.holder
  })

const GUARD_STALE_MS = 10_000

const ignoreMissing = (f: () => void) => {
  try {
    f()
  } catch (error) {
    if (codeOf(error) !== "ENOENT") throw error
  }
}

/**
 * A socket file outlives a killed process, so a file that refuses connections is stale and is
 * removed. Binding, asking and removing happen under a short-lived `<path>.guard` directory
 * (mkdir is atomic) so two openers cannot both remove a file and both bind.
 */
const withGuard = async <A>(path: string, f: () => Promise<A>): Promise<A> => {
  const guard = `${path}.guard`
  for (;;) {
    try {
      mkdirSync(guard, { mode: 0o700 })
      break
    } catch (error) {
      if (codeOf(error) !== "EEXIST") throw error
      const since = statSync(guard, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()
      if (Date.now() - since > GUARD_STALE_MS) ignoreMissing(() => rmdirSync(guard))
      else await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }
  try {
    return await f()
  } finally {
    rmdirSync(guard)
  }
}

const take = async (dir: string, address: LockAddress, holder: string): Promise<Server | DataDirInUse> => {
  for (let attempt = 0; ; attempt++) {
    try {
      return await listen(address.path, holder)
    } catch (error) {
      if (codeOf(error) !== "EADDRINUSE") throw error
      const answer = await askHolder(address.path)
      if (answer !== "gone") return inUse(dir, answer)
      if (address.kind === "abstract" && attempt < 3) continue
      if (address.kind === "file" && attempt < 3) {
        ignoreMissing(() => unlinkSync(address.path))
        continue
      }
      return inUse(dir, "silent")
    }
  }
}

/**
 * Holds `dir` for this process until the scope closes: an exclusive lock the kernel releases when
 * the process dies, so `kill -9` never leaves it held. A second opener fails at once with
 * `DataDirInUse` naming the holder's PID; the holder answers on the lock's socket with it.
 */
export const acquire = (
  dir: string,
  options: { readonly holder: string; readonly kind?: "auto" | "file" }
): Effect.Effect<LockAddress, DataDirInUse | DataDirLockFailed, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        const address = lockAddress(dir, options.kind)
        const result = address.kind === "file"
          ? await withGuard(address.path, () => take(dir, address, options.holder))
          : await take(dir, address, options.holder)
        return result instanceof DataDirInUse ? result : { address, server: result }
      },
      catch: (cause) => new DataDirLockFailed({ dir, cause })
    }).pipe(Effect.flatMap((result) => result instanceof DataDirInUse ? Effect.fail(result) : Effect.succeed(result))),
    ({ server }) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
  ).pipe(Effect.map(({ address }) => address))
