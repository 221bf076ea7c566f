import { type ChildProcess, spawn } from "node:child_process"
import { join } from "node:path"

export const root = join(import.meta.dirname, "..")

/** Which checkout a child runs from (its built output), and node flags for it alone. */
export interface Build {
  readonly root: string
  readonly nodeFlags: ReadonlyArray<string>
}

/** This checkout, with no flags of its own. */
export const thisBuild: Build = { root, nodeFlags: [] }

/** A child process of the bench, with the tail of its output kept for error messages. */
export interface Child {
  readonly name: string
  readonly process: ChildProcess
  readonly pid: number
  readonly output: () => string
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  readonly stop: (graceMs?: number) => Promise<void>
}

const running = new Set<Child>()
const OUTPUT_LIMIT = 64 * 1024

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null

/** `BENCH_CPU_PROF=<dir>`: every child writes a V8 CPU profile there when it exits. */
const profileArgs = (): ReadonlyArray<string> => {
  const dir = process.env["BENCH_CPU_PROF"]?.trim()
  const extra = (process.env["BENCH_NODE_FLAGS"] ?? "").split(" ").filter((f) => f !== "")
  return [...extra, ...(dir ? ["--cpu-prof", `--cpu-prof-dir=${dir}`] : [])]
}

/** `node <args>` from `build`'s root (this checkout by default); every child is tracked until it exits. */
export const spawnNode = (name: string, args: ReadonlyArray<string>, env: Record<string, string>, build: Build = thisBuild): Child => {
  const proc = spawn(process.execPath, [...profileArgs(), ...build.nodeFlags, ...args], {
    cwd: build.root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe", "ipc"]
  })
  let output = ""
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-OUTPUT_LIMIT)
  }
  proc.stdout!.on("data", keep)
  proc.stderr!.on("data", keep)
  proc.on("error", (error) => keep(Buffer.from(`spawn error: ${error.message}\n`)))
  const gone = new Promise<void>((resolve) => proc.once("exit", () => resolve()))
  const stop = async (graceMs = 10_000) => {
    if (!exited(proc)) {
      proc.kill("SIGTERM")
      const timer = setTimeout(() => proc.kill("SIGKILL"), graceMs)
      await gone
      clearTimeout(timer)
    }
    running.delete(child)
  }
  const child: Child = { name, process: proc, pid: proc.pid ?? -1, output: () => output, stop }
  if (proc.pid === undefined) throw new Error(`${name}: could not spawn node ${args.join(" ")}`)
  running.add(child)
  gone.then(() => running.delete(child))
  return child
}

/** Fails when the child has exited, with the tail of its output. */
export const assertAlive = (child: Child) => {
  if (exited(child.process)) {
    throw new Error(`${child.name} exited (${child.process.exitCode ?? child.process.signalCode}):\n${child.output()}`)
  }
}

/** Kills every child still running (SIGKILL) and waits for each to exit. */
export const killAllChildren = async () => {
  await Promise.all([...running].map((child) => child.stop(0)))
}
