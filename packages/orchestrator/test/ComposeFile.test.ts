/**
 * compose.yaml cannot run here (no Docker daemon), so its orchestrator service is checked against
 * what the orchestrator accepts: the environment it receives (compose's `${VAR}` interpolation, then
 * the image's ENV underneath) passes the orchestrator's own configuration parsing in production.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Either, Option, Redacted } from "effect"
import { parse } from "yaml"
import { parseConfig } from "../src/Config.js"
import { argsOf, envOf, readDockerfile } from "./support/Dockerfile.js"
import { repoRoot } from "./support/Processes.js"

const compose = parse(readFileSync(join(repoRoot, "compose.yaml"), "utf8"))
const runtime = readDockerfile(join(repoRoot, "Dockerfile")).find((stage) => stage.name === "runtime")!

const REQUIRED = /\$\{([A-Z_]+):\?[^}]*\}/g
const DEFAULTED = /\$\{([A-Z_]+):-([^}]*)\}/g

/** Compose's interpolation of `${VAR:?message}` and `${VAR:-default}` (`$$` is a literal `$`). */
const interpolate = (text: string, variables: Record<string, string>): string =>
  text
    .replace(REQUIRED, (_, name: string) => {
      const value = variables[name]
      if (value === undefined) throw new Error(`${name} is required`)
      return value
    })
    .replace(DEFAULTED, (_, name: string, fallback: string) => variables[name] ?? fallback)
    .replaceAll("$$", "$")

const variables = {
  POSTGRES_PASSWORD: "pg-password",
  MINIO_ROOT_USER: "pipeweave",
  MINIO_ROOT_PASSWORD: "minio-password",
  PIPEWEAVE_SECRET_KEY: "ab".repeat(32),
  PIPEWEAVE_API_TOKEN: "api-token"
}

describe("compose.yaml", () => {
  it("requires exactly the secrets the Deploy section lists", () => {
    const required = new Set([...JSON.stringify(compose).matchAll(REQUIRED)].map(([, name]) => name))
    assert.deepStrictEqual([...required].sort(), Object.keys(variables).sort())
  })

  it("gives the orchestrator an environment it accepts in production: PostgreSQL, MinIO storage, a token", () => {
    const service = compose.services.orchestrator
    assert.strictEqual(service.build, ".")
    const env: Record<string, string> = {
      ...envOf(runtime),
      ...Object.fromEntries(Object.entries(service.environment).map(([k, v]) => [k, interpolate(String(v), variables)]))
    }
    const settings = parseConfig(env)
    assert.isTrue(Either.isRight(settings), Either.isLeft(settings) ? settings.left.message : "")
    const config = Either.getOrThrow(settings)
    assert.isTrue(config.production)
    assert.strictEqual(config.host, undefined, "listens on every interface")
    assert.strictEqual(config.port, 3000)
    assert.strictEqual(
      Option.map(config.databaseUrl, Redacted.value).pipe(Option.getOrThrow),
      "postgres://pipeweave:pg-password@postgres:5432/pipeweave"
    )
    assert.deepStrictEqual(config.storage.backends, [{
      id: "minio",
      provider: "minio",
      endpoint: "http://minio:9000",
      bucket: "pipeweave",
      credentials: { accessKey: "pipeweave", secretKey: "minio-password" }
    }])
    assert.include(service.ports, `${config.port}:${config.port}`)
    assert.deepStrictEqual(service.volumes, [`orchestrator:${env["PIPEWEAVE_DATA_DIR"]}`])
    assert.deepStrictEqual(JSON.parse(argsOf(runtime, "VOLUME")[0]!), [env["PIPEWEAVE_DATA_DIR"]])
    assert.deepStrictEqual(Object.keys(service.depends_on).sort(), ["minio-bucket", "postgres"])
  })

  it("creates the bucket the orchestrator's backend names, and PostgreSQL's database is the one in DATABASE_URL", () => {
    const script = compose.services["minio-bucket"].entrypoint.join(" ")
    assert.match(script, /mc mb --ignore-existing pipeweave\/pipeweave$/)
    assert.strictEqual(compose.services.postgres.environment.POSTGRES_DB, "pipeweave")
    assert.strictEqual(compose.services.postgres.environment.POSTGRES_USER, "pipeweave")
  })
})
