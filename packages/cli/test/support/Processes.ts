import { type ChildProcess, spawn } from "node:child_process"
import { createServer } from "node:net"
import { type Duration, Effect, Schedule } from "effect"

/** What a finished command printed and returned. */
export interface CommandResult {
  readonly exitCode: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs `command args` in `cwd` to its end (never fails: the exit code is in the result). */
export const runCommand = (
  command: string,
  args: ReadonlyArray<string>,
  options: { readonly cwd: string; readonly env?: Record<string, string> }
): Effect.Effect<CommandResult> =>
  Effect.async<CommandResult>((resume) => {
    const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => (stdout += chunk.toString()))
    child.stderr.on("data", (chunk) => (stderr += chunk.toString()))
    child.once("error", (error) => resume(Effect.succeed({ exitCode: null, stdout, stderr: stderr + String(error) })))
    child.once("close", (exitCode) => resume(Effect.succeed({ exitCode, stdout, stderr })))
    return Effect.sync(() => child.kill("SIGKILL"))
  })

/** `runCommand` that fails (with everything it printed) unless the command exits 0. */
export const runOk = (command: string, args: ReadonlyArray<string>, options: { readonly cwd: string; readonly env?: Record<string, string> }) =>
  Effect.flatMap(runCommand(command, args, options), (result) =>
    result.exitCode === 0
      ? Effect.succeed(result)
      : Effect.dieMessage(`${command} ${args.join(" ")} exited ${result.exitCode}:\n${result.stdout}\n${result.stderr}`))

/** A long-running child process with its output kept for diagnosis. */
export interface Proc {
  readonly child: ChildProcess
  readonly output: () => string
}

/**
 * Spawns `command args` in a process group of its own; the whole group (`npm start`'s shell and
 * node included) is killed (SIGKILL) when the scope closes.
 */
export const startProcess = (
  command: string,
  args: ReadonlyArray<string>,
  options: { readonly cwd: string; readonly env?: Record<string, string> }
) =>
  Effect.acquireRelease(
    Effect.sync((): Proc => {
      const child = spawn(command, args, {
        cwd: options.cwd,
        env: { ...process.env, ...options.env },
        stdio: ["ignore", "pipe", "pipe"],
        detached: true
      })
      let output = ""
      child.stdout!.on("data", (chunk) => (output += chunk.toString()))
      child.stderr!.on("data", (chunk) => (output += chunk.toString()))
      return { child, output: () => output }
    }),
    ({ child }) =>
      Effect.async<void>((resume) => {
        const killGroup = () => {
          try {
            process.kill(-child.pid!, "SIGKILL")
          } catch {
            // the group has already gone
          }
        }
        if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.sync(killGroup))
        child.once("exit", () => resume(Effect.void))
        killGroup()
      })
  )

/** A free TCP port on 127.0.0.1 (bound, read, released). */
export const freePort = Effect.async<number>((resume) => {
  const server = createServer()
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

/**
 * Retries `check` every 200 ms until it succeeds, `proc` exits, or `deadline` passes; then dies
 * with `what` and the process's output.
 */
export const eventually = <A, E, R>(
  what: string,
  check: Effect.Effect<A, E, R>,
  proc?: Proc,
  deadline: Duration.DurationInput = "90 seconds"
) =>
  check.pipe(
    Effect.retry({
      schedule: Schedule.spaced("200 millis").pipe(Schedule.upTo(deadline)),
      while: () => proc === undefined || proc.child.exitCode === null
    }),
    Effect.catchAll((error) => Effect.dieMessage(`${what}: ${String(error)}\n${proc?.output() ?? ""}`))
  )
