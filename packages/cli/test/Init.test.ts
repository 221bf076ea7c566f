import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { runCli } from "./support/RunCli.js"

const FILES = ["package.json", "tsconfig.json", "src/worker.ts", "README.md", ".gitignore"]

describe("init", () => {
  it.live("scaffolds a worker project that uses the SDK as the spec shows", () =>
    Effect.gen(function*() {
      const dir = join(mkdtempSync(join(tmpdir(), "pipeweave-cli-init-")), "my-service")
      const result = yield* runCli(["init", "--name", "my-service", "--dir", dir, "--url", "http://orchestrator:3000"])
      assert.strictEqual(result.exitCode, 0, result.stderr)
      assert.match(result.stdout, new RegExp(`^created worker project 'my-service' in ${dir}:$`, "m"))
      for (const file of FILES) assert.isTrue(existsSync(join(dir, file)), file)

      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"))
      assert.deepInclude(pkg, { name: "my-service", type: "module" })
      assert.property(pkg.dependencies, "@pipeweave/sdk")
      assert.property(pkg.scripts, "dev")

      const worker = readFileSync(join(dir, "src/worker.ts"), "utf8")
      assert.include(worker, "import { createWorker } from \"@pipeweave/sdk\";")
      assert.include(worker, "serviceId: \"my-service\",")
      assert.include(worker, "process.env.PIPEWEAVE_ORCHESTRATOR_URL ?? \"http://orchestrator:3000\"")
      assert.include(worker, "secretKey: process.env.PIPEWEAVE_SECRET_KEY,")
      assert.match(worker, /worker\.register\(\s+"hello",/)
      assert.include(worker, "await worker.listen(")

      const readme = readFileSync(join(dir, "README.md"), "utf8")
      assert.include(readme, "npm run dev")
      assert.include(readme, "PIPEWEAVE_SECRET_KEY")
    }))

  it.live("refuses to overwrite any existing file and then writes nothing", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "pipeweave-cli-init-"))
      mkdirSync(join(dir, "src"))
      writeFileSync(join(dir, "src/worker.ts"), "// mine\n")
      writeFileSync(join(dir, "README.md"), "# mine\n")
      const result = yield* runCli(["init", "--name", "svc", "--dir", dir])
      assert.strictEqual(result.exitCode, 1)
      assert.strictEqual(
        result.stderr,
        `error: refusing to overwrite existing files in ${dir}: src/worker.ts, README.md (choose another --dir or move them away)`
      )
      assert.strictEqual(readFileSync(join(dir, "src/worker.ts"), "utf8"), "// mine\n")
      assert.isFalse(existsSync(join(dir, "package.json")))
    }))

  it.live("rejects a name that cannot be a package name and service id (exit 2)", () =>
    Effect.gen(function*() {
      const result = yield* runCli(["init", "--name", "My Service"])
      assert.strictEqual(result.exitCode, 2)
      assert.match(result.stderr, /--name must be lowercase letters/)
    }))
})
