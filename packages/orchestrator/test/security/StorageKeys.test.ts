import { mkdirSync, symlinkSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { request as httpRequest } from "node:http"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { databases } from "../support/TestDatabase.js"
import { target } from "./Harness.js"

/** A GET whose path goes out byte for byte (fetch would normalise it). */
const rawGet = (url: string, path: string) =>
  Effect.async<{ status: number; body: any }>((resume) => {
    const { hostname, port } = new URL(url)
    const req = httpRequest({ host: hostname, port, path, method: "GET" }, (res) => {
      let text = ""
      res.on("data", (chunk) => (text += chunk))
      res.on("end", () => {
        let body: unknown = text
        try {
          body = JSON.parse(text)
        } catch {
          body = text
        }
        resume(Effect.succeed({ status: res.statusCode ?? 0, body }))
      })
    })
    req.end()
  })

for (const [name, database] of databases) {
  describe(`storage keys on ${name}`, () => {
    it.scoped("a key is URL-decoded once: %25 is a '%' (not a valid key, 400 naming path), never decoded again", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database())
        mkdirSync(join(orchestrator.storageRoot, "runs", "trun_x1", "outputs"), { recursive: true })
        writeFileSync(join(orchestrator.storageRoot, "runs", "trun_x1", "outputs", "a.json"), "{\"secret\":1}")
        writeFileSync(join(orchestrator.storageRoot, "runs", "trun_x1", "outputs", "a-b.json"), "{\"ok\":1}")

        const once = yield* orchestrator.send("/api/storage/runs/trun_x1/outputs/a%2Db.json")
        assert.deepStrictEqual([once.status, once.body.content], [200, { ok: 1 }], once.text)
        yield* orchestrator.refused("/api/storage/runs/trun_x1/outputs/%2561.json", {}, 400, /path.*%61\.json.*not a valid storage key/)
        yield* orchestrator.refused("/api/storage/runs/%25", {}, 400, /path.*runs\/%.*not a valid storage key/)
        yield* orchestrator.refused("/api/storage/%25%25%25", {}, 400, /path.*not a valid storage key/)
        const doubled = yield* rawGet(orchestrator.url, "/api/storage/runs/%252e%252e/%252e%252e/secret.key")
        assert.strictEqual(doubled.status, 400, JSON.stringify(doubled))
        assert.match(JSON.stringify(doubled.body), /%2e%2e.*not a valid storage key/)
      }), 60_000)

    it.scoped("a symlink under the storage root is never followed: 400 naming it, nothing read or changed", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database())
        const outside = join(orchestrator.settings.dataDir, "outside")
        mkdirSync(outside, { recursive: true })
        writeFileSync(join(outside, "secret.json"), "{\"secret\":true}")
        const outputs = join(orchestrator.storageRoot, "runs", "trun_x1", "outputs")
        mkdirSync(outputs, { recursive: true })
        writeFileSync(join(outputs, "real.json"), "{\"inside\":true}")
        symlinkSync(join(outside, "secret.json"), join(outputs, "out.json"))
        symlinkSync(join(outputs, "real.json"), join(outputs, "in.json"))
        symlinkSync(outside, join(orchestrator.storageRoot, "runs", "trun_link1"))

        for (const key of ["runs/trun_x1/outputs/out.json", "runs/trun_x1/outputs/in.json", "runs/trun_link1/secret.json"]) {
          const answer = yield* orchestrator.refused(`/api/storage/${key}`, {}, 400, /path.*symbolic link.*never followed/)
          assert.notInclude(answer.text, "secret\":true")
          assert.notInclude(answer.text, "inside\":true")
        }
        const real = yield* orchestrator.send("/api/storage/runs/trun_x1/outputs/real.json")
        assert.deepStrictEqual([real.status, real.body.content], [200, { inside: true }])
      }), 60_000)
  })
}
