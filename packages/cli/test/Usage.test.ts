import { createServer } from "node:net"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { runCli } from "./support/RunCli.js"

const closedPort = Effect.async<number>((resume) => {
  const server = createServer()
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    server.close(() => resume(Effect.succeed(typeof address === "object" && address ? address.port : 1)))
  })
})

const commands = [
  ["services"],
  ["history"],
  ["queue"],
  ["status"],
  ["queue-status"],
  ["items"],
  ["db"],
  ["db", "init"],
  ["db", "migrate"],
  ["db", "status"],
  ["db", "reset"],
  ["init"]
]

describe("usage", () => {
  it.live("--help works for the program and every command", () =>
    Effect.gen(function*() {
      const root = yield* runCli(["--help"])
      assert.strictEqual(root.exitCode, 0)
      for (const [command] of commands) assert.include(root.stdout, `- ${command}`)
      for (const command of commands) {
        const help = yield* runCli([...command, "--help"])
        assert.strictEqual(help.exitCode, 0, `${command.join(" ")}: ${help.stderr}`)
        assert.match(help.stdout, /USAGE/, command.join(" "))
        assert.include(help.stdout, `$ ${command.at(-1)}`)
      }
      assert.match((yield* runCli(["db", "reset", "--help"])).stdout, /DROP SCHEMA public CASCADE/)
      assert.match((yield* runCli([])).stdout, /COMMANDS/)
      assert.strictEqual((yield* runCli(["--version"])).stdout.trim(), "0.1.0")
    }))

  it.live("usage errors print the parser's message only, and exit 2", () =>
    Effect.gen(function*() {
      const unknown = yield* runCli(["services", "--bogus"])
      assert.strictEqual(unknown.exitCode, 2)
      assert.strictEqual(unknown.stderr.trim(), "Received unknown argument: '--bogus'")

      const missing = yield* runCli(["queue"])
      assert.deepStrictEqual([missing.exitCode, missing.stderr.trim()], [2, "Missing argument <taskId>"])

      const limit = yield* runCli(["items", "--limit", "0"])
      assert.deepStrictEqual([limit.exitCode, limit.stderr.trim()], [2, "--limit must be between 1 and 500"])

      const badTask = yield* runCli(["history", "bad task!"])
      assert.strictEqual(badTask.exitCode, 2)
      assert.match(badTask.stderr, /task id must be 1-128 characters/)

      const badId = yield* runCli(["status", "run-42"])
      assert.deepStrictEqual([badId.exitCode, badId.stderr], [
        2,
        "error: \"run-42\" is neither a task run id (trun_…) nor a pipeline run id (prun_…)"
      ])

      const badUrl = yield* runCli(["services", "--url", "localhost:3000"])
      assert.strictEqual(badUrl.exitCode, 2)
      assert.match(badUrl.stderr, /^error: --url must be an http\(s\) URL/)

      for (const result of [unknown, missing, limit, badTask]) assert.notMatch(result.stderr, /_tag|ValidationError|\{/)
    }))

  it.live("an unreachable orchestrator is named, with the way to point at another one", () =>
    Effect.gen(function*() {
      const port = yield* closedPort
      const url = `http://127.0.0.1:${port}`
      const viaOption = yield* runCli(["services", "--url", url])
      assert.strictEqual(viaOption.exitCode, 1)
      assert.strictEqual(
        viaOption.stderr,
        `error: cannot reach the orchestrator at ${url} (connect ECONNREFUSED 127.0.0.1:${port}); ` +
          "is it running? Point --url or PIPEWEAVE_ORCHESTRATOR_URL at it"
      )
      const viaEnv = yield* runCli(["queue-status"], { PIPEWEAVE_ORCHESTRATOR_URL: url })
      assert.deepStrictEqual([viaEnv.exitCode, viaEnv.stderr], [1, viaOption.stderr])
    }))
})
