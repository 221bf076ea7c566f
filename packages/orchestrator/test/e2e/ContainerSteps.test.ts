/**
 * The container image's steps without Docker: the Dockerfile's own npm commands pack the
 * orchestrator (after `npm test`'s build) and install its production dependencies into an empty
 * directory outside the repository; the orchestrator then starts there with the image's CMD, its ENV
 * and only the variables a user passes, and runs a task from a real SDK worker. The image's paths
 * (/pack, /app, /data) become temporary directories.
 */
import { execFile } from "node:child_process"
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect, Schedule } from "effect"
import { serveWorker } from "../support/InProcess.js"
import { argsOf, envOf, execForm, npmCommands, readDockerfile } from "../support/Dockerfile.js"
import { freePort, type Proc, repoRoot, spawnNode, waitForHttp } from "../support/Processes.js"
import { freshPostgresUrl, testDatabaseUrl } from "../support/TestDatabase.js"
import { TEST_SECRET } from "../support/TestOrchestrator.js"

const [build, runtime] = readDockerfile(join(repoRoot, "Dockerfile"))
const TOKEN = "container-steps-token"

/** Runs `command` with `sh -c` in `cwd`, failing with its output. */
const sh = (command: string, cwd: string) =>
  Effect.async<string, Error>((resume) => {
    execFile("sh", ["-c", command], { cwd, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      resume(error ? Effect.fail(new Error(`${command}: ${error.message}\n${stdout}${stderr}`)) : Effect.succeed(stdout)))
  })

/** The image's contents: the Dockerfile's pack and install commands run with its directories mapped to temporary ones. */
const root = realpathSync(mkdtempSync(join(tmpdir(), "pipeweave-image-")))
afterAll(() => rmSync(root, { recursive: true, force: true }))

const installed = Effect.gen(function*() {
  const dirs: Record<string, string> = { "/pack": join(root, "pack"), "/app": join(root, "app") }
  for (const dir of Object.values(dirs)) mkdirSync(dir)
  const mapped = (command: string) => command.replace(/\/(pack|app)\b/g, (path) => dirs[path]!)
  for (const command of npmCommands(build!).filter((c) => c.startsWith("npm pack"))) yield* sh(mapped(command), repoRoot)
  for (const command of npmCommands(runtime!)) yield* sh(mapped(command), dirs["/app"]!)
  return { root, app: dirs["/app"]! }
}).pipe(Effect.orDie, Effect.cached, Effect.runSync)

/** `docker run -e …` of the image from the installed directory: its ENV, `overrides`, nothing inherited. */
const runImage = (app: string, overrides: Record<string, string>) =>
  Effect.gen(function*() {
    const port = yield* freePort
    const env = { PATH: process.env["PATH"]!, ...envOf(runtime!), PORT: String(port), ...overrides }
    const [command, ...args] = execForm(argsOf(runtime!, "CMD")[0]!)
    assert.strictEqual(command, "node")
    const proc = yield* spawnNode(args, env, { cwd: app, inheritEnv: false })
    const url = `http://127.0.0.1:${port}`
    yield* waitForHttp(`${url}/health`, proc, 600)
    return { url, proc, env }
  })

/** The image's HEALTHCHECK command's exit code, run in the installed directory with the container's variables. */
const healthcheck = (app: string, env: Record<string, string>) =>
  Effect.async<number>((resume) => {
    const [command, ...args] = execForm(argsOf(runtime!, "HEALTHCHECK")[0]!)
    assert.strictEqual(command, "node")
    execFile(process.execPath, args, { cwd: app, env, timeout: 30_000 }, (error) =>
      resume(Effect.succeed(error === null ? 0 : typeof error.code === "number" ? error.code : -1)))
  })

const call = <A = any>(url: string, path: string, body?: unknown, token: string | null = TOKEN) =>
  Effect.promise(async () => {
    const response = await fetch(`${url}${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    return { status: response.status, body: (await response.json()) as A }
  })

/** SIGTERM (what `docker stop` sends to the CMD, PID 1 in exec form); resolves with the exit code. */
const stop = (proc: Proc) =>
  proc.kill("SIGTERM").pipe(
    Effect.timeoutFail({ duration: "60 seconds", onTimeout: () => new Error(`no exit after SIGTERM:\n${proc.output()}`) }),
    Effect.orDie,
    Effect.map(() => proc.child.exitCode)
  )

describe("the container image's steps (Dockerfile without Docker)", () => {
  it("the Dockerfile builds with npm ci + npm run build, runs on Node 20 slim as a non-root user with /data a volume", () => {
    assert.strictEqual(build!.name, "build")
    assert.strictEqual(runtime!.name, "runtime")
    for (const stage of [build!, runtime!]) assert.match(stage.image, /^node:20-[a-z]+-slim$/)
    assert.deepStrictEqual(npmCommands(build!).slice(0, 2), ["npm ci --no-audit --no-fund", "npm run build"])
    assert.deepStrictEqual(argsOf(runtime!, "USER"), ["node"])
    const env = envOf(runtime!)
    assert.strictEqual(env["NODE_ENV"], "production")
    assert.notProperty(env, "HOST")
    assert.deepStrictEqual(JSON.parse(argsOf(runtime!, "VOLUME")[0]!), [env["PIPEWEAVE_DATA_DIR"]])
    const packageJson = JSON.parse(readFileSync(join(repoRoot, "packages/orchestrator/package.json"), "utf8"))
    const [, entry] = execForm(argsOf(runtime!, "CMD")[0]!)
    assert.strictEqual(entry, join("node_modules", packageJson.name, packageJson.bin["pipeweave-orchestrator"]))
  })

  it.live("installs only the orchestrator and PGlite; starts on the embedded database from there (template, migrations and the site found)", () =>
    Effect.gen(function*() {
      const { app, root } = yield* installed
      const modules = readdirSync(join(app, "node_modules")).filter((name) => !name.startsWith("."))
      assert.deepStrictEqual(modules.sort(), ["@electric-sql", "@pipeweave"])
      assert.deepStrictEqual(readdirSync(join(app, "node_modules/@pipeweave")), ["orchestrator"])
      const dataDir = join(root, "embedded-data")
      const { proc, url } = yield* runImage(app, {
        PIPEWEAVE_DATA_DIR: dataDir,
        PIPEWEAVE_SECRET_KEY: TEST_SECRET,
        PIPEWEAVE_API_TOKEN: TOKEN
      })
      assert.strictEqual((yield* call(url, "/health")).body.database, "pglite")
      assert.include(proc.output(), `Creating the embedded database at ${join(dataDir, "db")} from the bundled template`)
      assert.match(proc.output(), /Applied migrations 0001_init, 0002_pipelines/)
      const site = yield* Effect.promise(() => fetch(`${url}/ui/`))
      assert.strictEqual(site.status, 200, "the installed package serves the monitoring site at /ui/ without the token")
      assert.strictEqual(site.headers.get("content-type"), "text/html; charset=utf-8")
      assert.include(yield* Effect.promise(() => site.text()), "PipeWeave")
      assert.strictEqual(yield* stop(proc), 0)
    }).pipe(Effect.scoped), { timeout: 300_000 })

  it.live("without PIPEWEAVE_API_TOKEN the image refuses to start (NODE_ENV=production)", () =>
    Effect.gen(function*() {
      const { app, root } = yield* installed
      const proc = yield* spawnNode(execForm(argsOf(runtime!, "CMD")[0]!).slice(1), {
        PATH: process.env["PATH"]!,
        ...envOf(runtime!),
        PIPEWEAVE_DATA_DIR: join(root, "refused-data"),
        PIPEWEAVE_SECRET_KEY: TEST_SECRET
      }, { cwd: app, inheritEnv: false })
      const code = yield* Effect.promise(() => new Promise<number | null>((resolve) => proc.child.once("exit", resolve)))
      assert.strictEqual(code, 1)
      assert.match(proc.output(), /PIPEWEAVE_API_TOKEN is required when NODE_ENV=production/)
    }).pipe(Effect.scoped), { timeout: 300_000 })

  it.live.skipIf(!testDatabaseUrl)(
    "on PostgreSQL with only environment variables: a worker registers, a task queued with the API token completes, SIGTERM exits 0",
    () =>
      Effect.gen(function*() {
        const { app, root } = yield* installed
        const { url: databaseUrl } = yield* freshPostgresUrl(testDatabaseUrl!)
        const orchestrator = yield* runImage(app, {
          DATABASE_URL: databaseUrl,
          PIPEWEAVE_DATA_DIR: join(root, "postgres-data"),
          PIPEWEAVE_SECRET_KEY: TEST_SECRET,
          PIPEWEAVE_API_TOKEN: TOKEN,
          MODE: "standalone"
        })
        const { url } = orchestrator
        assert.strictEqual((yield* call(url, "/health")).body.database, "postgres")
        assert.strictEqual(yield* healthcheck(app, orchestrator.env), 0)

        yield* serveWorker(url, "container-worker", (worker) => {
          worker.register("greet", async (ctx) => ({ greeting: `hello ${(ctx.input as { name: string }).name}` }))
        })
        assert.strictEqual((yield* call(url, "/api/queue/task", { taskId: "greet", input: { name: "x" } }, null)).status, 401)
        const queued = yield* call<{ runId: string }>(url, "/api/queue/task", { taskId: "greet", input: { name: "container" } })
        assert.strictEqual(queued.status, 201, JSON.stringify(queued.body))
        const run = yield* call<any>(url, `/api/task-runs/${queued.body.runId}`).pipe(
          Effect.map((r) => r.body),
          Effect.filterOrFail((r) => r.status === "completed", (r) => new Error(JSON.stringify(r))),
          Effect.retry(Schedule.spaced("100 millis").pipe(Schedule.upTo("60 seconds"))),
          Effect.orDie
        )
        const output = yield* call<any>(url, `/api/storage/${run.outputPath}`)
        assert.deepStrictEqual(output.body.content, { greeting: "hello container" })

        assert.strictEqual(yield* stop(orchestrator.proc), 0)
        assert.notMatch(orchestrator.proc.output(), /ERROR|Error:/)
        assert.notStrictEqual(yield* healthcheck(app, orchestrator.env), 0)
      }).pipe(Effect.scoped),
    { timeout: 300_000 }
  )
})
