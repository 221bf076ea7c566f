import { mkdirSync, rmdirSync, statSync, unlinkSync } from "node:fs"
import { connect, createServer, type Server } from "node:net"

/**
 * Where a lock listens: a name the kernel drops with its process (Linux abstract namespace,
 * Windows named pipe), or a socket file, which a killed process leaves behind.
 */
export type LockAddress =
  | { readonly kind: "abstract"; readonly path: string }
  | { readonly kind: "file"; readonly path: string }

/** What a lock's holder answers on its socket. */
export interface LockHolder {
  readonly pid: number
  readonly holder: string
}

const ANSWER_TIMEOUT_MS = 5_000
const GUARD_STALE_MS = 10_000

const codeOf = (error: unknown) => (error as NodeJS.ErrnoException | undefined)?.code

const ignoreMissing = (f: () => void) => {
  try {
    f()
  } catch (error) {
    if (codeOf(error) !== "ENOENT") throw error
  }
}

const listen = (path: string, holder: string): Promise<Server> =>
  new Promise((resolve, reject) => {
    const answer = `${JSON.stringify({ pid: process.pid, holder } satisfies LockHolder)}\n`
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

const parseHolder = (text: string): LockHolder | "silent" => {
  try {
    const value = JSON.parse(text) as Partial<LockHolder>
    return typeof value.pid === "number" ? { pid: value.pid, holder: String(value.holder ?? "") } : "silent"
  } catch {
    return "silent"
  }
}

/** Asks whoever listens at `path` who it is: its answer, "gone" when nobody listens, "silent" when it says nothing. */
const askHolder = (path: string): Promise<LockHolder | "gone" | "silent"> =>
  new Promise((resolve) => {
    let text = ""
    const socket = connect(path)
    const done = (result: LockHolder | "gone" | "silent") => {
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

/**
 * Runs `f` while holding `<path>.guard` (mkdir is atomic), so that two openers never both find a
 * socket file stale, both remove it and both bind. A guard older than 10 s was left by a process
 * that died while holding it and is taken over.
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
    ignoreMissing(() => rmdirSync(guard))
  }
}

const bind = async (address: LockAddress, holder: string): Promise<Server | LockHolder | "silent"> => {
  for (let attempt = 0; ; attempt++) {
    try {
      return await listen(address.path, holder)
    } catch (error) {
      if (codeOf(error) !== "EADDRINUSE") throw error
      const answer = await askHolder(address.path)
      if (answer !== "gone") return answer
      if (attempt >= 3) return "silent"
      if (address.kind === "file") ignoreMissing(() => unlinkSync(address.path))
    }
  }
}

/**
 * Listens at `address` as `holder` (the server answers every connection with this process's PID
 * and `holder`), or returns what the process already listening there says about itself. A socket
 * file nobody listens on is stale (its process died) and is replaced.
 */
export const bindLock = (address: LockAddress, holder: string): Promise<Server | LockHolder | "silent"> =>
  address.kind === "file" ? withGuard(address.path, () => bind(address, holder)) : bind(address, holder)
