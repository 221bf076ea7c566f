import { execFile } from "node:child_process"
import { existsSync, mkdtempSync } from "node:fs"
import { rm } from "node:fs/promises"
import { promisify } from "node:util"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ChildEvents } from "./childEvents.js"
import { assertAlive, type Build, type Child, spawnNode, thisBuild } from "./children.js"
import { pollUntil } from "./clock.js"
import { answers, freePort, get } from "./http.js"

const SECRET = "5a".repeat(32)
const dataDirs = new Set<string>()

/**
 * A temporary directory for an orchestrator's data (embedded database, local storage); in memory
 * (`/dev/shm`) when asked and available, for data that is not what is measured but would take
 * minutes to write and remove on disk.
 */
export const makeDataDir = (inMemory = false): string => {
  const base = inMemory && existsSync("/dev/shm") ? "/dev/shm" : tmpdir()
  const dir = mkdtempSync(join(base, "pipeweave-bench-"))
  dataDirs.add(dir)
  return dir
}

/** Removes the data dirs (`rm -rf`, several times faster than `fs.rm` for 100k runs' files). */
export const removeDataDirs = async () => {
  await Promise.all([...dataDirs].map((dir) =>
    promisify(execFile)("rm", ["-rf", "--", dir]).catch(() => rm(dir, { recursive: true, force: true }))
  ))
  dataDirs.clear()
}

export interface Orchestrator {
  readonly child: Child
  readonly url: string
  /** From spawn to the first 2xx of `GET /health`. */
  readonly startupMs: number
}

/**
 * The bundled orchestrator (`packages/orchestrator/dist/orchestrator.mjs`, `npm run build`) on a free port, with
 * `dataDir` as `PIPEWEAVE_DATA_DIR`; resolves once `/health` answers (polled every 10 ms).
 */
export const startOrchestrator = async (env: Record<string, string>, dataDir: string, build: Build = thisBuild): Promise<Orchestrator> => {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const started = performance.now()
  const child = spawnNode("orchestrator", ["packages/orchestrator/dist/orchestrator.mjs"], {
    PORT: String(port),
    HOST: "127.0.0.1",
    MODE: "standalone",
    PIPEWEAVE_SECRET_KEY: SECRET,
    PIPEWEAVE_DATA_DIR: dataDir,
    ...env
  }, build)
  try {
    await pollUntil("the orchestrator's /health", async () => {
      assertAlive(child)
      return (await answers(`${url}/health`)) || undefined
    }, { deadlineMs: 180_000, intervalMs: 10 })
  } catch (error) {
    await child.stop(0)
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${child.output()}`)
  }
  return { child, url, startupMs: performance.now() - started }
}

export interface Worker {
  readonly child: Child
  readonly events: ChildEvents
}

/** The benchmark's SDK worker (`bench/dist/worker.js`), once its service is registered. */
export const startWorker = async (orchestratorUrl: string, build: Build = thisBuild): Promise<Worker> => {
  const port = await freePort()
  const child = spawnNode("sdk worker", ["bench/dist/worker.js"], {
    ORCHESTRATOR_URL: orchestratorUrl,
    PIPEWEAVE_SECRET_KEY: SECRET,
    WORKER_PORT: String(port)
  }, build)
  const events = new ChildEvents(child.process)
  try {
    await events.until("the SDK worker to listen", () => events.ready || undefined, 120_000)
    await pollUntil("the bench service to be registered", async () => {
      assertAlive(child)
      const services = await get<Array<{ serviceId: string }>>(`${orchestratorUrl}/api/services`)
      return services.some((s) => s.serviceId === "bench") || undefined
    }, { deadlineMs: 60_000, intervalMs: 50 })
  } catch (error) {
    await child.stop(0)
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${child.output()}`)
  }
  return { child, events }
}

/** The graphile-worker process (`bench/dist/graphileWorker.js`) on `databaseUrl`, once it runs. */
export const startGraphileWorker = async (databaseUrl: string): Promise<Worker & { readonly startupMs: number }> => {
  const started = performance.now()
  const child = spawnNode("graphile-worker", ["bench/dist/graphileWorker.js"], { DATABASE_URL: databaseUrl })
  const events = new ChildEvents(child.process)
  try {
    await events.until("graphile-worker to run", () => events.ready || undefined, 120_000)
  } catch (error) {
    await child.stop(0)
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${child.output()}`)
  }
  return { child, events, startupMs: performance.now() - started }
}
