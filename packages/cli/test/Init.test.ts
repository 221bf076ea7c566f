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

  it.live("depends on the published SDK and CLI by default, and on local tarballs with --sdk", () =>
    Effect.gen(function*() {
      const root = mkdtempSync(join(tmpdir(), "pipeweave-cli-init-"))
      const published = yield* runCli(["init", "--name", "svc", "--dir", join(root, "published")])
      assert.strictEqual(published.exitCode, 0, published.stderr)
      const pkg = JSON.parse(readFileSync(join(root, "published/package.json"), "utf8"))
      assert.deepStrictEqual(pkg.dependencies, { "@pipeweave/sdk": "^0.1.0", effect: "^3.22.4" })
      assert.strictEqual(pkg.devDependencies["@pipeweave/cli"], "^0.1.0")
      assert.notProperty(pkg, "overrides")

      const packs = join(root, "packs")
      mkdirSync(packs)
      for (const name of ["sdk", "domain", "storage", "cli"]) writeFileSync(join(packs, `pipeweave-${name}-0.2.0.tgz`), "")
      const local = yield* runCli(["init", "--name", "svc", "--dir", join(root, "local"), "--sdk", join(packs, "pipeweave-sdk-0.2.0.tgz")])
      assert.strictEqual(local.exitCode, 0, local.stderr)
      const localPkg = JSON.parse(readFileSync(join(root, "local/package.json"), "utf8"))
      assert.strictEqual(localPkg.dependencies["@pipeweave/sdk"], `file:${packs}/pipeweave-sdk-0.2.0.tgz`)
      assert.strictEqual(localPkg.devDependencies["@pipeweave/cli"], `file:${packs}/pipeweave-cli-0.2.0.tgz`)
      assert.deepStrictEqual(localPkg.overrides, {
        "@pipeweave/domain": `file:${packs}/pipeweave-domain-0.2.0.tgz`,
        "@pipeweave/storage": `file:${packs}/pipeweave-storage-0.2.0.tgz`
      })
    }))

  it.live("--sdk may name the SDK's package directory; anything else is a usage error", () =>
    Effect.gen(function*() {
      const root = mkdtempSync(join(tmpdir(), "pipeweave-cli-init-"))
      const sdkDir = join(import.meta.dirname, "../../sdk")
      const linked = yield* runCli(["init", "--name", "svc", "--dir", join(root, "linked"), "--sdk", sdkDir])
      assert.strictEqual(linked.exitCode, 0, linked.stderr)
      const pkg = JSON.parse(readFileSync(join(root, "linked/package.json"), "utf8"))
      assert.match(pkg.dependencies["@pipeweave/sdk"], /^file:\/.*\/packages\/sdk$/)
      assert.match(pkg.devDependencies["@pipeweave/cli"], /^file:\/.*\/packages\/cli$/)

      const wrong = yield* runCli(["init", "--name", "svc", "--dir", join(root, "wrong"), "--sdk", join(root, "nope.tgz")])
      assert.strictEqual(wrong.exitCode, 2)
      assert.include(wrong.stderr, `--sdk: ${join(root, "nope.tgz")} does not exist`)
      assert.isFalse(existsSync(join(root, "wrong")))
    }))
})
