import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs"
import { request } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Option, Redacted } from "effect"
import { layerPglite } from "./support/TestDatabase.js"
import { target } from "./security/Harness.js"

/** A built site in miniature, beside a file it must never serve. */
const fixtureSite = () => {
  const parent = mkdtempSync(join(tmpdir(), "pipeweave-site-"))
  writeFileSync(join(parent, "secret.txt"), "not for the web")
  const root = join(parent, "site")
  mkdirSync(join(root, "runs"), { recursive: true })
  mkdirSync(join(root, "_astro"))
  writeFileSync(join(root, "index.html"), "<!doctype html><title>Dashboard</title>")
  writeFileSync(join(root, "runs", "index.html"), "<!doctype html><title>Runs</title>")
  writeFileSync(join(root, "_astro", "island.abc123.js"), "export default 1")
  writeFileSync(join(root, "_astro", "index.abc123.css"), "body{}")
  writeFileSync(join(root, ".hidden"), "hidden")
  return root
}

/** GET with the path sent exactly as written (fetch would normalise `..` away). */
const rawGet = (url: string, path: string) =>
  Effect.async<{ status: number; body: string }>((resume) => {
    const req = request(`${url}${path}`, { method: "GET", path }, (response) => {
      let body = ""
      response.on("data", (chunk) => (body += chunk))
      response.on("end", () => resume(Effect.succeed({ status: response.statusCode ?? 0, body })))
    })
    req.on("error", (error) => resume(Effect.die(error)))
    req.end()
  })

/** An orchestrator serving the fixture site, with an API token set. */
const siteOrchestrator = Effect.acquireRelease(
  Effect.sync(() => {
    const previous = process.env["PIPEWEAVE_SITE_DIR"]
    process.env["PIPEWEAVE_SITE_DIR"] = fixtureSite()
    return previous
  }),
  (previous) =>
    Effect.sync(() => {
      if (previous === undefined) delete process.env["PIPEWEAVE_SITE_DIR"]
      else process.env["PIPEWEAVE_SITE_DIR"] = previous
    })
).pipe(Effect.zipRight(target(layerPglite(), { apiToken: Option.some(Redacted.make("site-token")) })))

describe("the monitoring site at /ui/", () => {
  it.scoped("serves pages and assets with their content types and cache headers, no token needed", () =>
    Effect.gen(function*() {
      const orchestrator = yield* siteOrchestrator
      const index = yield* orchestrator.send("/ui/")
      assert.strictEqual(index.status, 200)
      assert.strictEqual(index.headers.get("content-type"), "text/html; charset=utf-8")
      assert.strictEqual(index.headers.get("cache-control"), "no-cache")
      assert.include(index.text, "<title>Dashboard</title>")

      const script = yield* orchestrator.send("/ui/_astro/island.abc123.js")
      assert.strictEqual(script.status, 200)
      assert.strictEqual(script.headers.get("content-type"), "text/javascript; charset=utf-8")
      assert.strictEqual(script.headers.get("cache-control"), "public, max-age=31536000, immutable")
      assert.strictEqual(script.headers.get("x-content-type-options"), "nosniff")
      const style = yield* orchestrator.send("/ui/_astro/index.abc123.css")
      assert.strictEqual(style.headers.get("content-type"), "text/css; charset=utf-8")

      const api = yield* orchestrator.send("/api/queue/status")
      assert.strictEqual(api.status, 401, "the API still needs the token")
    }))

  it.scoped("answers /ui/runs/<id> with the Runs page and redirects folders to their trailing slash", () =>
    Effect.gen(function*() {
      const orchestrator = yield* siteOrchestrator
      const run = yield* orchestrator.send("/ui/runs/prun_abc123?x=1")
      assert.strictEqual(run.status, 200)
      assert.include(run.text, "<title>Runs</title>")
      for (const [path, location] of [["/ui", "/ui/"], ["/ui/runs", "/ui/runs/"], ["/ui/runs?id=a", "/ui/runs/?id=a"]] as const) {
        const response = yield* Effect.promise(() => fetch(`${orchestrator.url}${path}`, { redirect: "manual" }))
        assert.strictEqual(response.status, 301, path)
        assert.strictEqual(response.headers.get("location"), location, path)
      }
    }))

  it.scoped("serves nothing outside the site: traversal, hidden files, missing files, other methods", () =>
    Effect.gen(function*() {
      const orchestrator = yield* siteOrchestrator
      const before = yield* orchestrator.state
      for (
        const path of [
          "/ui/../secret.txt",
          "/ui/%2e%2e/secret.txt",
          "/ui/..%2fsecret.txt",
          "/ui/runs/..%2f..%2fsecret.txt",
          "/ui/%2e%2e%5csecret.txt",
          "/ui/.hidden",
          "/ui/missing.html",
          "/ui/%00",
          "/ui/%E0%A4%A"
        ]
      ) {
        const answer = yield* rawGet(orchestrator.url, path)
        assert.strictEqual(answer.status, 404, `${path}: ${answer.status} ${answer.body.slice(0, 200)}`)
        assert.notInclude(answer.body, "not for the web", path)
      }
      const posted = yield* orchestrator.send("/ui/", { method: "POST", body: "x", headers: { "content-type": "text/plain" } })
      assert.notStrictEqual(posted.status, 200)
      assert.deepStrictEqual(yield* orchestrator.state, before)
    }))
})
