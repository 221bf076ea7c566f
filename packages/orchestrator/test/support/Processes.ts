import { type ChildProcess, spawn } from "node:child_process"
import { createServer } from "node:net"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, Schedule } from "effect"

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "../../../..")

/** A free TCP port on 127.0.0.1 (bound, read, released). */
export const freePort = Effect.promise(() =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  }))

/** A child process running a TypeScript entry point from source, with its output kept for diagnosis. */
export interface Proc {
  readonly child: ChildProcess
  readonly output: () => string
  readonly kill: (signal?: NodeJS.Signals) => Effect.Effect<void>
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.once("exit", () => resolve())
  })

/**
 * Spawns `node` with `args` (in the repository, with this process's environment plus `env`, unless
 * `options` name another directory or `inheritEnv: false`); killed (SIGKILL) when the scope closes.
 */
export const spawnNode = (
  args: ReadonlyArray<string>,
  env: Record<string, string>,
  options: { readonly cwd?: string; readonly inheritEnv?: boolean } = {}
) =>
  Effect.acquireRelease(
    Effect.sync((): Proc => {
      const child = spawn(process.execPath, args, {
        cwd: options.cwd ?? repoRoot,
        env: options.inheritEnv === false ? env : { ...process.env, ...env },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let output = ""
      child.stdout!.on("data", (chunk) => (output += chunk.toString()))
      child.stderr!.on("data", (chunk) => (output += chunk.toString()))
      return {
        child,
        output: () => output,
        kill: (signal = "SIGKILL") =>
          Effect.promise(() => {
            child.kill(signal)
            return exited(child)
          })
      }
    }),
    (proc) => proc.kill("SIGKILL")
  )

/** Spawns `tsx` on `entry` with the source condition; killed (SIGKILL) when the scope closes. */
export const spawnTs = (entry: string, env: Record<string, string>) =>
  spawnNode(["--conditions=@pipeweave/source", "--import", "tsx", entry], env)

/** Polls `url` until it answers 200 (the process is up) or fails after `attempts` tries. */
export const waitForHttp = (url: string, proc?: Proc, attempts = 300) =>
  Effect.tryPromise(() => fetch(url).then((r) => (r.ok ? r : Promise.reject(new Error(`status ${r.status}`))))).pipe(
    Effect.retry({
      schedule: Schedule.spaced("100 millis").pipe(Schedule.intersect(Schedule.recurs(attempts))),
      while: () => proc === undefined || proc.child.exitCode === null
    }),
    Effect.mapError(() => new Error(`${url} did not come up.\n${proc?.output() ?? ""}`)),
    Effect.orDie,
    Effect.asVoid
  )
