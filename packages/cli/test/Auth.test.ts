import { assert, layer } from "@effect/vitest"
import { Effect, Option, Redacted } from "effect"
import { register } from "./support/Registration.js"
import { runCli } from "./support/RunCli.js"
import { orchestratorUrl, testOrchestrator, testSettings } from "./support/TestOrchestrator.js"

const settings = testSettings({ apiToken: Option.some(Redacted.make("s3cret-token")) })

layer(testOrchestrator(settings), { timeout: "60 seconds", excludeTestServices: true })("API token", (it) => {
  it.effect("is sent from --token or PIPEWEAVE_API_TOKEN; a missing one is explained", () =>
    Effect.gen(function*() {
      const url = yield* orchestratorUrl
      yield* register("svc-auth", { guarded: [] })

      const refused = yield* runCli(["services", "--url", url])
      assert.strictEqual(refused.exitCode, 1)
      assert.strictEqual(
        refused.stderr,
        "error: missing or wrong Authorization: Bearer <PIPEWEAVE_API_TOKEN> (pass --token or set PIPEWEAVE_API_TOKEN)"
      )

      const viaOption = yield* runCli(["services", "--url", url, "--token", "s3cret-token"])
      assert.strictEqual(viaOption.exitCode, 0, viaOption.stderr)
      assert.match(viaOption.stdout, /^svc-auth\s+1\.0\.0/m)

      const viaEnv = yield* runCli(["services"], { PIPEWEAVE_ORCHESTRATOR_URL: url, PIPEWEAVE_API_TOKEN: "s3cret-token" })
      assert.strictEqual(viaEnv.exitCode, 0, viaEnv.stderr)

      const wrong = yield* runCli(["queue-status", "--url", url, "--token", "nope"])
      assert.deepStrictEqual([wrong.exitCode, wrong.stderr], [1, refused.stderr])
    }))
})
