import { assert, describe, it } from "@effect/vitest"
import { Crypto } from "@pipeweave/storage/Crypto"
import { Effect } from "effect"
import { Registrations } from "../../src/flow/Registrations.js"
import { registration, task } from "../support/fixtures.js"
import { databases } from "../support/TestDatabase.js"
import { target } from "./Harness.js"

for (const [name, database] of databases) {
  describe(`callback storage scope on ${name}`, () => {
    it.scopedLive("a callback naming paths outside its credential's storage scope is refused 400 naming the field; nothing changes", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database(), { inlinePayloadBytes: 0 })
        yield* orchestrator.use(Effect.flatMap(Registrations, (r) => r.register(registration("svc", [task("scoped")]))))
        const queued = yield* orchestrator.send("/api/queue/task", { body: { taskId: "scoped", input: {} } })
        const runId = queued.body.runId as string
        const credential = yield* orchestrator.use(
          Effect.flatMap(Crypto, (c) => c.signCredential({ _tag: "Run", runId, attempt: 1, scope: runId }, Date.now(), 300))
        )
        const headers = { authorization: `Bearer ${credential}` }
        const success = (fields: Record<string, unknown>) => ({
          status: "success",
          attempt: 1,
          outputPath: `runs/${runId}/outputs/${runId}.json`,
          outputSize: 2,
          ...fields
        })
        const cases: ReadonlyArray<readonly [Record<string, unknown>, RegExp]> = [
          [success({ outputPath: `runs/prun_victim/outputs/${runId}.json` }), /"field":"outputPath".*outside the run's storage scope/],
          [success({ logsPath: `runs/prun_victim/logs/${runId}.jsonl` }), /"field":"logsPath"/],
          [
            success({ assets: { doc: { path: `runs/prun_victim/assets/${runId}/doc`, size: 1, type: "binary" } } }),
            /"field":"assets\.doc\.path"/
          ],
          [
            success({ assets: { doc: { path: `runs/${runId}/assets/${runId}/../../x`, size: 1, type: "binary" } } }),
            /"field":"assets\.doc\.path"/
          ],
          [{ status: "failure", attempt: 1, error: "e", logsPath: `runs/prun_victim/logs/${runId}.jsonl` }, /"field":"logsPath"/]
        ]
        for (const [body, mention] of cases) {
          const answer = yield* orchestrator.refused(`/api/callback/${runId}`, { headers, body }, 400, mention)
          assert.strictEqual(answer.body._tag, "ValidationError")
        }
      }), 60_000)
  })
}
