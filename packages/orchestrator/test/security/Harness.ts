import { createHash } from "node:crypto"
import { existsSync, lstatSync, readdirSync, readFileSync } from "node:fs"
import { join, relative } from "node:path"
import { assert } from "@effect/vitest"
import { Effect } from "effect"
import type { OrchestratorSettings } from "../../src/Config.js"
import type * as Database from "../../src/Database.js"
import { serveOrchestrator } from "../support/InProcess.js"
import { databaseSnapshot } from "../support/TestOrchestrator.js"

/** What an HTTP answer carried, body parsed as JSON when it is JSON. */
export interface Answer {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  readonly body: any
}

export interface Send {
  readonly method?: string
  readonly headers?: Record<string, string>
  /** An object is sent as JSON (content-type application/json unless headers say otherwise). */
  readonly body?: unknown
}

/** One request over real HTTP to `url`; never fails, whatever the answer. */
export const send = (url: string, path: string, options: Send = {}) =>
  Effect.promise(async (): Promise<Answer> => {
    const raw = typeof options.body === "string" || options.body instanceof Uint8Array
    const headers: Record<string, string> = options.body === undefined || raw
      ? { ...options.headers }
      : { "content-type": "application/json", ...options.headers }
    const response = await fetch(`${url}${path}`, {
      method: options.method ?? (options.body === undefined ? "GET" : "POST"),
      headers,
      ...(options.body === undefined ? {} : { body: raw ? (options.body as string) : JSON.stringify(options.body) })
    })
    const text = await response.text()
    let body: unknown = text
    try {
      body = JSON.parse(text)
    } catch {
      body = text
    }
    return { status: response.status, headers: response.headers, text, body }
  })

/** Every object under a local storage root: relative path → sha256 of its bytes (symlinks noted, not followed). */
export const storageSnapshot = (root: string): Record<string, string> => {
  const files: Record<string, string> = {}
  const walk = (dir: string) => {
    if (!existsSync(dir)) return
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      const stat = lstatSync(path)
      if (stat.isSymbolicLink()) files[relative(root, path)] = "symlink"
      else if (stat.isDirectory()) walk(path)
      else files[relative(root, path)] = createHash("sha256").update(readFileSync(path)).digest("hex")
    }
  }
  walk(root)
  return files
}

/**
 * An orchestrator listening on a real port of 127.0.0.1 over `database`, with helpers to attack it
 * and to prove an attack changed nothing: every row of every table and every stored object.
 */
export const target = (database: ReturnType<typeof Database.layer>, overrides: Partial<OrchestratorSettings> = {}) =>
  Effect.gen(function*() {
    const served = yield* serveOrchestrator(database, { mode: "serverless", ...overrides })
    const storageRoot = join(served.settings.dataDir, "storage")
    const state = Effect.map(
      Effect.provide(databaseSnapshot, served.context),
      (rows) => ({ rows, objects: storageSnapshot(storageRoot) })
    )
    /** Sends the request and asserts its status, a JSON body matching `mention`, and an unchanged state. */
    const refused = (path: string, options: Send, status: number, mention: RegExp) =>
      Effect.gen(function*() {
        const before = yield* state
        const answer = yield* send(served.url, path, options)
        assert.strictEqual(answer.status, status, `${path}: ${answer.status} ${answer.text.slice(0, 500)}`)
        assert.strictEqual(typeof answer.body, "object", `expected a JSON body, got ${answer.text.slice(0, 500)}`)
        assert.match(JSON.stringify(answer.body), mention)
        assert.deepStrictEqual(yield* state, before, `${path} changed the state`)
        return answer
      })
    return {
      ...served,
      storageRoot,
      state,
      send: (path: string, options: Send = {}) => send(served.url, path, options),
      refused,
      /** Runs an effect that needs the orchestrator's services (SqlClient, Registrations, …). */
      use: <A, E>(effect: Effect.Effect<A, E, any>) => Effect.provide(effect, served.context) as Effect.Effect<A, E>
    }
  })
