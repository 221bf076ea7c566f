import { mkdtempSync } from "node:fs"
import { connect } from "node:net"
import { networkInterfaces, tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schedule } from "effect"
import { freePort, repoRoot, spawnNode, waitForHttp } from "../support/Processes.js"

const bundle = join(repoRoot, "packages/orchestrator/dist/orchestrator.mjs")
const SECRET = "5e".repeat(32)

/** Empty counts as unset: whatever the test runner's environment holds, these start unset. */
const UNSET = { HOST: "", NODE_ENV: "", PIPEWEAVE_API_TOKEN: "", PIPEWEAVE_ALLOW_OPEN_API: "", CORS_ORIGINS: "", DATABASE_URL: "" }

const environment = (port: number, extra: Record<string, string> = {}) => ({
  ...UNSET,
  PORT: String(port),
  MODE: "standalone",
  PIPEWEAVE_DATA_DIR: mkdtempSync(join(tmpdir(), "pipeweave-exposure-")),
  PIPEWEAVE_SECRET_KEY: SECRET,
  ...extra
})

/** The machine's first non-loopback IPv4 address, if it has one. */
const externalAddress = (): string | undefined =>
  Object.values(networkInterfaces()).flat().find((a) => a !== undefined && a.family === "IPv4" && !a.internal)?.address

/** Whether a TCP connection to host:port is accepted. */
const accepts = (host: string, port: number) =>
  Effect.async<boolean>((resume) => {
    const socket = connect({ host, port })
    socket.once("connect", () => {
      socket.destroy()
      resume(Effect.succeed(true))
    })
    socket.once("error", () => resume(Effect.succeed(false)))
  })

const exitCode = (child: import("node:child_process").ChildProcess) =>
  Effect.promise(() =>
    new Promise<number | null>((resolve) => {
      if (child.exitCode !== null) resolve(child.exitCode)
      else child.once("exit", (code) => resolve(code))
    })
  )

const untilLogged = (output: () => string, pattern: RegExp) =>
  Effect.sync(output).pipe(
    Effect.filterOrFail((text) => pattern.test(text), () => new Error(`not logged: ${pattern}\n${output()}`)),
    Effect.retry(Schedule.spaced("100 millis").pipe(Schedule.upTo("60 seconds"))),
    Effect.orDie
  )

describe("how exposed the orchestrator process is", () => {
  it.live("without an API token it listens on 127.0.0.1 only and says so", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const proc = yield* spawnNode([bundle], environment(port))
      yield* waitForHttp(`http://127.0.0.1:${port}/health`, proc, 1200)
      yield* untilLogged(proc.output, /Listening on http:\/\/127\.0\.0\.1:\d+/)
      yield* untilLogged(proc.output, new RegExp(`Monitoring site at http://127\\.0\\.0\\.1:${port}/ui/`))
      assert.match(proc.output(), /no PIPEWEAVE_API_TOKEN: listening on 127\.0\.0\.1 only/)
      const external = externalAddress()
      if (external !== undefined) assert.isFalse(yield* accepts(external, port), `${external}:${port} accepted a connection`)
      assert.isTrue(yield* accepts("127.0.0.1", port))
    }).pipe(Effect.scoped), { timeout: 180_000 })

  it.live("NODE_ENV=production without PIPEWEAVE_API_TOKEN refuses to start with one line naming it", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const proc = yield* spawnNode([bundle], environment(port, { NODE_ENV: "production" }))
      assert.strictEqual(yield* exitCode(proc.child), 1)
      assert.strictEqual(
        proc.output().trim(),
        "Invalid configuration:\n  - PIPEWEAVE_API_TOKEN is required when NODE_ENV=production (or set PIPEWEAVE_ALLOW_OPEN_API=true to run the management API open)"
      )
    }).pipe(Effect.scoped), { timeout: 180_000 })

  it.live("NODE_ENV=production with PIPEWEAVE_ALLOW_OPEN_API=true starts, and warns that the API is open", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const proc = yield* spawnNode([bundle], environment(port, { NODE_ENV: "production", PIPEWEAVE_ALLOW_OPEN_API: "true" }))
      yield* waitForHttp(`http://127.0.0.1:${port}/health`, proc, 1200)
      assert.match(proc.output(), /"message":"NODE_ENV=production without PIPEWEAVE_API_TOKEN: the management API is open[^"]*","logLevel":"WARN"/)
    }).pipe(Effect.scoped), { timeout: 180_000 })

  it.live("with an API token and no HOST it listens on every interface", () =>
    Effect.gen(function*() {
      const external = externalAddress()
      const port = yield* freePort
      const proc = yield* spawnNode([bundle], environment(port, { PIPEWEAVE_API_TOKEN: "t0ken-for-the-test" }))
      yield* waitForHttp(`http://127.0.0.1:${port}/health`, proc, 1200)
      assert.notMatch(proc.output(), /no PIPEWEAVE_API_TOKEN/)
      if (external !== undefined) assert.isTrue(yield* accepts(external, port))
    }).pipe(Effect.scoped), { timeout: 180_000 })
})
