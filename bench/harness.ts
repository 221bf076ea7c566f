import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"

export const SECRET = "5a".repeat(32)
export const root = join(import.meta.dirname, "..")

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0))
    })
  })

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export const waitFor = async (url: string, child: ChildProcess, output: () => string) => {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`process exited:\n${output()}`)
    try {
      if ((await fetch(url)).ok) return
    } catch {
      // not up yet
    }
    await sleep(100)
  }
  throw new Error(`${url} did not come up:\n${output()}`)
}

export interface Running {
  readonly url: string
  readonly stop: () => Promise<void>
}

const run = (args: ReadonlyArray<string>, env: Record<string, string>) => {
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
  let output = ""
  child.stdout!.on("data", (c) => (output += c))
  child.stderr!.on("data", (c) => (output += c))
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve()
      child.once("exit", () => resolve())
      child.kill("SIGKILL")
    })
  return { child, output: () => output, stop }
}

/** The compiled orchestrator (`tsc -b` first) on a free port. */
export const startOrchestrator = async (env: Record<string, string>): Promise<Running> => {
  const port = await freePort()
  const proc = run(["packages/orchestrator/dist/src/main.js"], {
    PORT: String(port),
    HOST: "127.0.0.1",
    MODE: "standalone",
    PIPEWEAVE_SECRET_KEY: SECRET,
    PIPEWEAVE_DATA_DIR: mkdtempSync(join(tmpdir(), "pipeweave-bench-")),
    ...env
  })
  const url = `http://127.0.0.1:${port}`
  await waitFor(`${url}/health`, proc.child, proc.output)
  return { url, stop: proc.stop }
}

/** The benchmark worker (`bench/worker.ts`), registered with the orchestrator. */
export const startWorker = async (orchestratorUrl: string): Promise<Running & { statsUrl: string }> => {
  const port = await freePort()
  const statsPort = await freePort()
  const proc = run(["--import", "tsx", "bench/worker.ts"], {
    ORCHESTRATOR_URL: orchestratorUrl,
    PIPEWEAVE_SECRET_KEY: SECRET,
    WORKER_PORT: String(port),
    STATS_PORT: String(statsPort)
  })
  const statsUrl = `http://127.0.0.1:${statsPort}/`
  await waitFor(statsUrl, proc.child, proc.output)
  for (let i = 0; i < 300; i++) {
    const services = (await (await fetch(`${orchestratorUrl}/api/services`)).json()) as Array<{ serviceId: string }>
    if (services.some((s) => s.serviceId === "bench")) break
    await sleep(100)
  }
  return { url: `http://127.0.0.1:${port}`, statsUrl, stop: proc.stop }
}

export const post = async <A>(url: string, body: unknown): Promise<A> => {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body)
  })
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`)
  return (await response.json()) as A
}

export const get = async <A>(url: string): Promise<A> => (await (await fetch(url)).json()) as A

export const percentile = (values: ReadonlyArray<number>, p: number): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}
