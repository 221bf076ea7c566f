import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "../../../..")
export const siteDist = join(repoRoot, "packages/site/dist")

/** A free TCP port on 127.0.0.1. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

/** A child process with its output kept for diagnosis. */
export interface Proc {
  readonly child: ChildProcess
  readonly output: () => string
  readonly stop: () => Promise<void>
}

export const spawnNode = (args: ReadonlyArray<string>, env: Record<string, string>): Proc => {
  const child = spawn(process.execPath, args, { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
  let output = ""
  child.stdout!.on("data", (chunk) => (output += chunk.toString()))
  child.stderr!.on("data", (chunk) => (output += chunk.toString()))
  return {
    child,
    output: () => output,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        child.once("exit", () => resolve())
        child.kill("SIGKILL")
      })
  }
}

/** Polls `url` until it answers 200, failing with the process output after `seconds`. */
export const waitForHttp = async (url: string, proc: Proc, seconds = 90): Promise<void> => {
  const deadline = Date.now() + seconds * 1000
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) break
    const ok = await fetch(url).then((r) => r.ok, () => false)
    if (ok) return
    await new Promise((resolve) => setTimeout(resolve, 150))
  }
  throw new Error(`${url} did not come up.\n${proc.output().slice(-4000)}`)
}

export const TEST_SECRET = "5e".repeat(32)

export interface Orchestrator {
  readonly url: string
  readonly proc: Proc
}

/**
 * The bundled orchestrator (`packages/orchestrator/dist/orchestrator.mjs`, what the container runs)
 * on a free port with an embedded database; `env` adds e.g. PIPEWEAVE_API_TOKEN or CORS_ORIGINS.
 */
export const startOrchestrator = async (env: Record<string, string> = {}): Promise<Orchestrator> => {
  const port = await freePort()
  const proc = spawnNode([join(repoRoot, "packages/orchestrator/dist/orchestrator.mjs")], {
    PORT: String(port),
    HOST: "127.0.0.1",
    MODE: "standalone",
    PIPEWEAVE_SECRET_KEY: TEST_SECRET,
    PIPEWEAVE_DATA_DIR: mkdtempSync(join(tmpdir(), "pipeweave-site-e2e-")),
    POLL_INTERVAL_MS: "200",
    ...env
  })
  const url = `http://127.0.0.1:${port}`
  await waitForHttp(`${url}/health`, proc).catch(async (error) => {
    await proc.stop()
    throw error
  })
  return { url, proc }
}

/** `npm run site`'s server (packages/site/scripts/serve.mjs) on a free port. */
export const startSiteServer = async (): Promise<Orchestrator> => {
  const port = await freePort()
  const proc = spawnNode([join(repoRoot, "packages/site/scripts/serve.mjs")], { PORT: String(port), HOST: "127.0.0.1" })
  const url = `http://127.0.0.1:${port}`
  await waitForHttp(`${url}/`, proc)
  return { url, proc }
}

/** Polls `check` every 150 ms until it holds, failing with `describe()` after `seconds`. */
export const eventually = async (check: () => Promise<boolean>, describe: () => string, seconds = 60): Promise<void> => {
  const deadline = Date.now() + seconds * 1000
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return
    await new Promise((resolve) => setTimeout(resolve, 150))
  }
  throw new Error(`timed out: ${describe()}`)
}

/** A JSON call to the orchestrator's API (the test's own arrangements, not the site's). */
export const api = async <A = any>(orchestrator: Orchestrator, path: string, options: { token?: string; body?: unknown } = {}): Promise<A> => {
  const response = await fetch(`${orchestrator.url}${path}`, {
    method: options.body === undefined ? "GET" : "POST",
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.body === undefined ? {} : { "content-type": "application/json" })
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) })
  })
  const body = await response.json()
  if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(body)}`)
  return body as A
}

/** The test worker (test/e2e/worker.ts, a real SDK worker) registered with `orchestrator`. */
export const startWorker = async (orchestrator: Orchestrator, token?: string): Promise<Proc> => {
  const port = await freePort()
  const proc = spawnNode(["--conditions=@pipeweave/source", "--import", "tsx", join(repoRoot, "packages/site/test/e2e/worker.ts")], {
    ORCHESTRATOR_URL: orchestrator.url,
    PIPEWEAVE_SECRET_KEY: TEST_SECRET,
    WORKER_PORT: String(port)
  })
  await eventually(
    async () => (await api<Array<{ serviceId: string }>>(orchestrator, "/api/services", token ? { token } : {})).length > 0,
    () => `the worker did not register.\n${proc.output().slice(-3000)}`,
    90
  ).catch(async (error) => {
    await proc.stop()
    throw error
  })
  return proc
}
