import { mkdtempSync, readdirSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schedule } from "effect"
import { awaitRegistered, getJson, postJson, startWorker } from "../support/Cluster.js"
import { freePort, type Proc, repoRoot, spawnNode, waitForHttp } from "../support/Processes.js"
import { TEST_SECRET } from "../support/TestOrchestrator.js"

const bundle = join(repoRoot, "packages/orchestrator/dist/orchestrator.mjs")
const cliEntry = join(repoRoot, "packages/cli/src/bin.ts")

/** The bundled orchestrator on a free port over `dataDir`; not waited for. */
const spawnOrchestrator = (dataDir: string) =>
  Effect.gen(function*() {
    const port = yield* freePort
    const proc = yield* spawnNode([bundle], {
      PORT: String(port),
      HOST: "127.0.0.1",
      MODE: "standalone",
      POLL_INTERVAL_MS: "200",
      PIPEWEAVE_SECRET_KEY: TEST_SECRET,
      PIPEWEAVE_DATA_DIR: dataDir
    })
    return { proc, url: `http://127.0.0.1:${port}` }
  })

const startOrchestrator = (dataDir: string) =>
  Effect.tap(spawnOrchestrator(dataDir), ({ proc, url }) => waitForHttp(`${url}/health`, proc, 600))

const exitCode = (proc: Proc) =>
  Effect.promise(() =>
    new Promise<number | null>((resolve) => {
      if (proc.child.exitCode !== null || proc.child.signalCode !== null) resolve(proc.child.exitCode)
      else proc.child.once("exit", (code) => resolve(code))
    })
  ).pipe(Effect.timeoutFail({ duration: "60 seconds", onTimeout: () => new Error(`still running:\n${proc.output()}`) }), Effect.orDie)

const inUse = (dataDir: string, pid: number | undefined) =>
  `The embedded database at ${join(dataDir, "db")} is in use by process ${pid} (orchestrator); ` +
  "stop it or set PIPEWEAVE_DATA_DIR to another directory"

const newDataDir = () => mkdtempSync(join(tmpdir(), "pipeweave-lock-"))

const completedRun = (url: string, runId: string) =>
  getJson<any>(`${url}/api/task-runs/${runId}`).pipe(
    Effect.filterOrFail((run) => run.status === "completed", () => new Error("not completed")),
    Effect.retry(Schedule.spaced("50 millis").pipe(Schedule.upTo("60 seconds"))),
    Effect.orDie
  )

const walk = (dir: string): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? [join(dir, entry.name), ...walk(join(dir, entry.name))] : [join(dir, entry.name)]
  )

describe("one process per embedded data directory", () => {
  it.live("a second orchestrator and a CLI db command are refused with one line; the first keeps serving and its data survives", () =>
    Effect.gen(function*() {
      const dataDir = newDataDir()
      const first = yield* startOrchestrator(dataDir)

      const second = yield* spawnOrchestrator(dataDir)
      assert.strictEqual(yield* exitCode(second.proc), 1)
      assert.strictEqual(second.proc.output(), `${inUse(dataDir, first.proc.child.pid)}\n`)

      const cli = yield* spawnNode(["--conditions=@pipeweave/source", "--import", "tsx", cliEntry, "db", "migrate"], {
        PIPEWEAVE_DATA_DIR: dataDir
      })
      assert.strictEqual(yield* exitCode(cli), 1)
      assert.strictEqual(cli.output().trim(), `error: ${inUse(dataDir, first.proc.child.pid)}`)

      yield* getJson(`${first.url}/health`)
      yield* startWorker(first.url)
      yield* awaitRegistered(first.url)
      const { runId } = yield* postJson<{ runId: string }>(`${first.url}/api/queue/task`, {
        taskId: "work",
        input: { workMs: 1 }
      })
      const before = yield* completedRun(first.url, runId)

      yield* first.proc.kill("SIGTERM")
      const again = yield* startOrchestrator(dataDir)
      const after = yield* getJson<any>(`${again.url}/api/task-runs/${runId}`)
      assert.strictEqual(after.status, "completed")
      assert.deepStrictEqual(after.attempts, before.attempts)
    }).pipe(Effect.scoped), { timeout: 180_000 })

  it.live("kill -9 of the holder frees the directory at once: the next orchestrator opens it", () =>
    Effect.gen(function*() {
      const dataDir = newDataDir()
      const first = yield* startOrchestrator(dataDir)
      yield* first.proc.kill("SIGKILL")
      const next = yield* startOrchestrator(dataDir)
      yield* getJson(`${next.url}/health`)
      assert.notInclude(next.proc.output(), "in use")
    }).pipe(Effect.scoped), { timeout: 180_000 })

  it.live("the data directory, the database and storage are owner-only; no file under them is world-writable", () =>
    Effect.gen(function*() {
      const dataDir = newDataDir()
      const { url } = yield* startOrchestrator(dataDir)
      yield* startWorker(url)
      yield* awaitRegistered(url)
      const { runId } = yield* postJson<{ runId: string }>(`${url}/api/queue/task`, { taskId: "work", input: { workMs: 1 } })
      yield* completedRun(url, runId)

      for (const dir of [dataDir, join(dataDir, "db"), join(dataDir, "storage")]) {
        assert.strictEqual((statSync(dir).mode & 0o777).toString(8), "700", dir)
      }
      const entries = walk(dataDir)
      assert.isAbove(entries.length, 500)
      assert.deepStrictEqual(entries.filter((path) => (statSync(path).mode & 0o002) !== 0), [])
    }).pipe(Effect.scoped), { timeout: 180_000 })
})
