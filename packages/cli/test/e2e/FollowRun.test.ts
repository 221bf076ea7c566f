/**
 * The acceptance test of "the CLI follows a run", over real processes: the built CLI
 * (`packages/cli/dist/src/bin.js`, so `npm run build` first), the orchestrator's bundle on an
 * embedded database, and an SDK worker (`followWorker.ts`) whose task reports progress, fails once
 * with a code, then succeeds, each attempt held until the test opens its gate file.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { assert, describe, layer } from "@effect/vitest"
import { Context, Effect, Layer, Schedule } from "effect"
import { eventually, freePort, type Proc } from "../support/Processes.js"

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "../../../..")
const BIN = join(repoRoot, "packages/cli/dist/src/bin.js")
const SECRET = "6d".repeat(32)

/** A child process with its stdout and stderr kept apart. */
interface Child extends Proc {
  readonly stdout: () => string
  readonly stderr: () => string
  /** Its exit code (a signal's name when a signal ended it). */
  readonly exit: Effect.Effect<number | string>
}

const exitOf = (child: ChildProcess) =>
  Effect.async<number | string>((resume) => {
    if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.succeed(child.exitCode ?? child.signalCode!))
    child.once("exit", (code, signal) => resume(Effect.succeed(code ?? signal!)))
  })

const spawnNode = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  Effect.acquireRelease(
    Effect.sync((): Child => {
      const child = spawn(process.execPath, args, { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
      let stdout = ""
      let stderr = ""
      child.stdout!.on("data", (chunk) => (stdout += chunk.toString()))
      child.stderr!.on("data", (chunk) => (stderr += chunk.toString()))
      return {
        child,
        stdout: () => stdout,
        stderr: () => stderr,
        output: () => `stdout:\n${stdout}\nstderr:\n${stderr}`,
        exit: exitOf(child)
      }
    }),
    ({ child }) =>
      Effect.async<void>((resume) => {
        if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
        child.once("exit", () => resume(Effect.void))
        child.kill("SIGKILL")
      })
  )

/** Waits until `proc`'s stderr matches `pattern`; returns the match (or dies with every process's output). */
const seen = (proc: Child, pattern: RegExp) =>
  Effect.flatMap(Cluster, ({ diagnose }) =>
    eventually(
      `stderr matching ${pattern}`,
      Effect.suspend(() => {
        const match = pattern.exec(proc.stderr())
        return match === null ? Effect.fail("not yet") : Effect.succeed(match)
      }),
      { child: proc.child, output: () => `${proc.output()}\n${diagnose()}` }
    ))

const getJson = (url: string) =>
  Effect.tryPromise(async () => {
    const response = await fetch(url)
    if (!response.ok) throw new Error(`${url}: ${response.status}`)
    return await response.json() as any
  })

/** The running orchestrator and worker, and where the worker's gates are opened. */
class Cluster extends Context.Tag("test/Cluster")<Cluster, {
  readonly url: string
  readonly gates: string
  readonly diagnose: () => string
}>() {}

const ClusterLive = Layer.scoped(
  Cluster,
  Effect.gen(function*() {
    const port = yield* freePort
    const url = `http://127.0.0.1:${port}`
    const orchestrator = yield* spawnNode([join(repoRoot, "packages/orchestrator/dist/orchestrator.mjs")], {
      PORT: String(port),
      HOST: "127.0.0.1",
      MODE: "standalone",
      POLL_INTERVAL_MS: "100",
      LOG_LEVEL: "info",
      PIPEWEAVE_SECRET_KEY: SECRET,
      PIPEWEAVE_DATA_DIR: mkdtempSync(join(tmpdir(), "pipeweave-follow-"))
    })
    yield* eventually("the orchestrator did not answer /health", getJson(`${url}/health`), orchestrator, "180 seconds")
    const gates = mkdtempSync(join(tmpdir(), "pipeweave-follow-gates-"))
    const worker = yield* spawnNode(
      ["--conditions=@pipeweave/source", "--import", "tsx", join(repoRoot, "packages/cli/test/e2e/followWorker.ts")],
      {
        ORCHESTRATOR_URL: url,
        PIPEWEAVE_SECRET_KEY: SECRET,
        WORKER_PORT: String(yield* freePort),
        GATE_DIR: gates,
        LOG_LEVEL: "info"
      }
    )
    yield* eventually(
      "the worker did not register",
      getJson(`${url}/api/services`).pipe(Effect.filterOrFail((services: Array<{ serviceId: string }>) =>
        services.some((s) => s.serviceId === "follow")
      )),
      worker,
      "180 seconds"
    )
    return { url, gates, diagnose: () => `orchestrator:\n${orchestrator.output()}\nworker:\n${worker.output()}` }
  })
)

const cli = (args: ReadonlyArray<string>, env: Record<string, string> = {}) => spawnNode([BIN, ...args], env)

/** The id of the task run of `crunch` in a pipeline run. */
const taskRunOf = (pipelineRunId: string) =>
  Effect.flatMap(Cluster, ({ url }) =>
    eventually(
      "no task run yet",
      getJson(`${url}/api/runs/${pipelineRunId}`).pipe(
        Effect.map((run) => run.tasks[0]?.taskRunId as string | undefined),
        Effect.filterOrFail((id): id is string => typeof id === "string")
      )
    ))

/** Lets attempt `attempt` of the task run end. */
const openGate = (taskRunId: string, attempt: number) =>
  Effect.flatMap(Cluster, ({ gates }) => Effect.sync(() => writeFileSync(join(gates, `${taskRunId}-${attempt}`), "")))

const startedRun = (proc: Child) => Effect.map(seen(proc, /started (prun_\w+)/), (match) => match[1]!)

const runEnds = (pipelineRunId: string) =>
  Effect.flatMap(Cluster, ({ url }) =>
    getJson(`${url}/api/runs/${pipelineRunId}`).pipe(
      Effect.filterOrFail((run) => run.status !== "running"),
      Effect.retry(Schedule.spaced("100 millis").pipe(Schedule.upTo("90 seconds"))),
      Effect.orDie
    ))

describe("pipeweave follows a run (real orchestrator, worker and CLI processes)", () => {
  layer(ClusterLive, { timeout: 400_000, excludeTestServices: true })((it) => {
    it.scoped("trigger --wait shows progress and the failure reason of a retried task, then the run; logs prints both attempts", () =>
      Effect.gen(function*() {
        const { url } = yield* Cluster
        const trigger = yield* cli(["trigger", "crunch", "--wait", "--poll-interval", "100", "--url", url])
        const prun = yield* startedRun(trigger)
        yield* seen(trigger, new RegExp(`${prun}: crunch \\w+, attempt 1/2, 40% page 4 of 10`))
        const trun = yield* taskRunOf(prun)
        yield* openGate(trun, 1)
        yield* seen(
          trigger,
          new RegExp(`${prun}: crunch \\w+, attempt 2/2, 80% page 8 of 10, last failure #1 \\[RATE_LIMITED\\] upstream busy`)
        )
        yield* openGate(trun, 2)
        assert.strictEqual(yield* trigger.exit, 0, trigger.output())
        assert.match(trigger.stderr(), new RegExp(`${prun}: crunch completed, attempt 2/2, .*last failure #1 \\[RATE_LIMITED\\] upstream busy`))
        assert.match(trigger.stderr(), new RegExp(`${prun}: completed after \\S+`))
        assert.notInclude(trigger.stderr(), "\u001b[", "no escapes when the output is not a terminal")
        assert.match(trigger.stdout(), /^\s+status\s+completed$/m)
        assert.match(trigger.stdout(), new RegExp(`^\\s+crunch\\s+${trun}\\s+completed\\s+2\\s+`, "m"))

        const all = yield* cli(["logs", trun, "--url", url])
        assert.strictEqual(yield* all.exit, 0, all.output())
        const lines = all.stdout().trim().split("\n")
        assert.match(lines[0]!, /^\d{4}-\d\d-\d\dT\S+Z INFO  \[attempt 1\] attempt 1 reading the document pages=10$/)
        assert.match(lines[1]!, /^\S+ ERROR \[attempt 1\] attempt 1 failed: upstream busy errorCode=RATE_LIMITED$/)
        assert.match(lines[2]!, /^\S+ INFO  \[attempt 2\] attempt 2 reading the document pages=10$/)
        assert.match(lines[3]!, /^\S+ INFO  \[attempt 2\] all pages read$/)
        assert.strictEqual(lines.length, 4, all.stdout())
        assert.notInclude(all.stdout(), "{")

        const second = yield* cli(["logs", trun, "--attempt", "2", "--url", url])
        assert.strictEqual(yield* second.exit, 0, second.output())
        assert.deepStrictEqual(second.stdout().trim().split("\n").map((line) => line.replace(/^\S+ /, "")), [
          "INFO  attempt 2 reading the document pages=10",
          "INFO  all pages read"
        ])

        const third = yield* cli(["logs", trun, "--attempt", "3", "--url", url])
        assert.strictEqual(yield* third.exit, 2, third.output())
        assert.include(third.stderr(), `${trun} has had 2 attempt(s); --attempt must be 1-2`)

        const unknown = yield* cli(["logs", "trun_doesnotexist00", "--url", url])
        assert.strictEqual(yield* unknown.exit, 1, unknown.output())
        assert.include(unknown.stderr(), "no task run trun_doesnotexist00 on this orchestrator")
        assert.strictEqual(unknown.stdout(), "")
      }), { timeout: 300_000 })

    it.scoped("--timeout stops waiting with exit 124 and says how to follow; status --watch follows the run to its end", () =>
      Effect.gen(function*() {
        const { url } = yield* Cluster
        const bad = yield* cli(["trigger", "crunch", "--wait", "--timeout", "5x", "--url", url])
        assert.strictEqual(yield* bad.exit, 2, bad.output())
        assert.include(bad.output(), `--timeout must be a number with a unit ms, s, m or h, e.g. 30s, 5m, 1h or 1h30m (got "5x")`)

        const trigger = yield* cli(["trigger", "crunch", "--wait", "--timeout", "2s", "--poll-interval", "100", "--url", url])
        const prun = yield* startedRun(trigger)
        assert.strictEqual(yield* trigger.exit, 124, trigger.output())
        assert.include(
          trigger.stderr(),
          `stopped waiting after 2s (--timeout): ${prun} is still running. ${prun} continues on the orchestrator; ` +
            `follow it with: pipeweave status ${prun} --watch --url ${url}`
        )
        assert.strictEqual(trigger.stdout(), "")

        const watch = yield* cli(["status", prun, "--watch", "--poll-interval", "100", "--url", url])
        yield* seen(watch, new RegExp(`${prun}: crunch \\w+, attempt 1/2`))
        const trun = yield* taskRunOf(prun)
        yield* openGate(trun, 1)
        yield* openGate(trun, 2)
        assert.strictEqual(yield* watch.exit, 0, watch.output())
        assert.match(watch.stderr(), /last failure #1 \[RATE_LIMITED\] upstream busy/)
        assert.match(watch.stdout(), new RegExp(`^${prun}\\n\\s+status\\s+completed$`, "m"))
      }), { timeout: 300_000 })

    it.scoped("Ctrl+C while waiting exits 130 and says how to follow; the run still completes on the orchestrator", () =>
      Effect.gen(function*() {
        const { url } = yield* Cluster
        const trigger = yield* cli(["trigger", "crunch", "--wait", "--poll-interval", "100", "--url", url])
        const prun = yield* startedRun(trigger)
        yield* seen(trigger, new RegExp(`${prun}: crunch \\w+, attempt 1/2, 40% page 4 of 10`))
        trigger.child.kill("SIGINT")
        assert.strictEqual(yield* trigger.exit, 130, trigger.output())
        assert.include(
          trigger.stderr(),
          `stopped waiting (interrupted): ${prun} continues on the orchestrator; follow it with: ` +
            `pipeweave status ${prun} --watch --url ${url}`
        )
        const trun = yield* taskRunOf(prun)
        yield* openGate(trun, 1)
        yield* openGate(trun, 2)
        assert.strictEqual((yield* runEnds(prun)).status, "completed")
      }), { timeout: 300_000 })

    it.scoped("dev starts an orchestrator that answers /health, prints its URL and data dir, and stops on Ctrl+C", () =>
      Effect.gen(function*() {
        const port = yield* freePort
        const dataDir = mkdtempSync(join(tmpdir(), "pipeweave-dev-"))
        const dev = yield* cli(["dev", "--port", String(port), "--data-dir", dataDir], { MODE: "standalone" })
        const health = yield* eventually("dev did not answer /health", getJson(`http://127.0.0.1:${port}/health`), dev)
        assert.deepInclude(health, { status: "ok", database: "pglite" })
        yield* eventually(
          "dev did not print its URL",
          Effect.suspend(() => dev.stdout().includes("Ctrl+C stops it.") ? Effect.void : Effect.fail("not yet")),
          dev
        )
        assert.include(dev.stdout(), `PipeWeave orchestrator (development) at http://localhost:${port}`)
        assert.include(dev.stdout(), `data dir  ${dataDir} (embedded database, local storage)`)
        dev.child.kill("SIGINT")
        assert.strictEqual(yield* dev.exit, 130, dev.output())
        assert.include(dev.stdout(), "orchestrator stopped")
        const after = yield* Effect.either(getJson(`http://127.0.0.1:${port}/health`))
        assert.isTrue(after._tag === "Left", "nothing answers once dev stopped")
      }), { timeout: 300_000 })
  })
})
