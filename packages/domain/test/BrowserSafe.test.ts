import { readdirSync } from "node:fs"
import { dirname, join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import { runInNewContext } from "node:vm"
import { describe, expect, it } from "@effect/vitest"
import { build } from "esbuild"

const src = join(dirname(fileURLToPath(import.meta.url)), "..", "src")

/** Every module `@pipeweave/domain/*` exports (the package maps `./*` to `src/*.ts`). */
const entryPoints = (dir: string): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? entryPoints(join(dir, entry.name))
      : entry.name.endsWith(".ts")
      ? [`@pipeweave/domain/${relative(src, join(dir, entry.name)).replace(/\.ts$/, "")}`]
      : []
  )

/**
 * What a site would do with the contract: hash, decode a request, and call the orchestrator through
 * the derived client over `fetch`.
 */
const probe = (modules: ReadonlyArray<string>) => `
${modules.map((m, i) => `import * as m${i} from ${JSON.stringify(m)}`).join("\n")}
import { codeHashOf } from "@pipeweave/domain/CodeHash"
import { structureVersion } from "@pipeweave/domain/pipeline/PipelineStructure"
import { QueueTaskRequest } from "@pipeweave/domain/Queue"
import { OrchestratorApi } from "@pipeweave/domain/OrchestratorApi"
import { FetchHttpClient, HttpApiClient } from "@effect/platform"
import { Effect, Schema } from "effect"
globalThis.loaded = [${modules.map((_, i) => `m${i}`).join(", ")}].length
globalThis.probe = () => Effect.runPromise(Effect.gen(function*() {
  const client = yield* HttpApiClient.make(OrchestratorApi, { baseUrl: "http://orchestrator.test" })
  const health = yield* client.health()
  const request = Schema.decodeUnknownSync(QueueTaskRequest)({ taskId: "resize", input: { n: 1 } })
  return {
    codeHash: codeHashOf("async (input) => input.n * 2"),
    version: structureVersion({ entry: ["a"], tasks: { a: { allowedNext: [] } } }),
    taskId: request.taskId,
    health
  }
}).pipe(Effect.provide(FetchHttpClient.layer)))
`

describe("@pipeweave/domain in a browser", () => {
  it("bundles for the browser with every module and the derived client, importing nothing from Node", async () => {
    const modules = entryPoints(src)
    expect(modules).toContain("@pipeweave/domain/OrchestratorApi")
    const result = await build({
      stdin: { contents: probe(modules), resolveDir: src, loader: "ts" },
      bundle: true,
      platform: "browser",
      format: "iife",
      conditions: ["@pipeweave/source"],
      write: false,
      metafile: true,
      logLevel: "silent"
    })
    const inputs = Object.keys(result.metafile.inputs)
    expect(inputs.filter((path) => path.startsWith("node:") || /(^|\/)node_modules\/@types\/node\//.test(path))).toEqual([])
    const code = result.outputFiles[0]!.text
    expect(code.match(/\bnode:[a-z_]+/g) ?? []).toEqual([])

    // Run the bundle with only what a browser page has: no process, require, Buffer or module.
    const requests: Array<string> = []
    const context: Record<string, unknown> = {
      TextEncoder,
      TextDecoder,
      URL,
      URLSearchParams,
      Headers,
      Request,
      Response,
      AbortController,
      AbortSignal,
      setTimeout,
      clearTimeout,
      setInterval,
      clearInterval,
      queueMicrotask,
      console,
      fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
        requests.push(`${init?.method ?? "GET"} ${input instanceof Request ? input.url : String(input)}`)
        return new Response(
          JSON.stringify({ status: "ok", mode: "standalone", database: "pglite", orchestratorId: "orc_1" }),
          { status: 200, headers: { "content-type": "application/json" } }
        )
      }
    }
    context.globalThis = context
    context.window = context
    runInNewContext(code, context)
    expect(context.loaded).toBe(modules.length)
    const answer = await (context.probe as () => Promise<unknown>)()
    expect(JSON.parse(JSON.stringify(answer))).toEqual({
      codeHash: "5826f9fd26765fca",
      version: "8e9f75abb075",
      taskId: "resize",
      health: { status: "ok", mode: "standalone", database: "pglite", orchestratorId: "orc_1" }
    })
    expect(requests).toEqual(["GET http://orchestrator.test/health"])
  }, 120_000)
})
