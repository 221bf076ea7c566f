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
  ["pipelines"],
  ["trigger"],
  ["dry-run"],
  ["runs"],
  ["dlq"],
  ["dlq", "list"],
  ["dlq", "show"],
  ["dlq", "retry"],
  ["dlq", "retry-all"],
  ["dlq", "purge"],
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
      const oneLine = (result: { readonly stdout: string }) => result.stdout.replace(/\s+/g, " ")
      assert.match(oneLine(yield* runCli(["db", "reset", "--help"])), /DROP SCHEMA <schema> CASCADE/)
      assert.match(
        oneLine(yield* runCli(["trigger", "--help"])),
        /exit codes: 0 completed, 1 failed or cancelled \(or any error\), 2 usage error, 3 partial/
      )
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

      const badMode = yield* runCli(["trigger", "my-pipeline", "--failure-mode", "sometimes"])
      assert.strictEqual(badMode.exitCode, 2)
      assert.match(badMode.stderr, /fail-fast/)

      const badPipeline = yield* runCli(["dry-run", "bad pipeline!"])
      assert.strictEqual(badPipeline.exitCode, 2)
      assert.match(badPipeline.stderr, /pipeline id must be 1-128 characters/)

      const noScope = yield* runCli(["dlq", "retry-all"])
      assert.deepStrictEqual([noScope.exitCode, noScope.stderr], [2, "error: dlq retry-all needs --pipeline <id> or --task <id>"])

      const badDlqId = yield* runCli(["dlq", "show", "abc123"])
      assert.deepStrictEqual([badDlqId.exitCode, badDlqId.stderr], [
        2,
        "error: \"abc123\" is neither a dead letter id (dlq_…) nor a task run id (trun_…)"
      ])

      const badAge = yield* runCli(["dlq", "purge", "--older-than", "soon"])
      assert.deepStrictEqual([badAge.exitCode, badAge.stderr], [
        2,
        "error: --older-than must be a duration such as 7d, 12h, 30m, 45s or milliseconds (got \"soon\")"
      ])
      assert.strictEqual((yield* runCli(["dlq", "purge"])).exitCode, 2)

      for (const result of [unknown, missing, limit, badTask, badMode, badPipeline]) assert.notMatch(result.stderr, /_tag|ValidationError|\{/)
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
