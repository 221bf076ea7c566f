/**
 * The acceptance test of "adoptable": the packages packed with `npm pack` install into a project
 * outside this repository (its own package.json and package-lock, Effect from the registry), and
 * there a plain-JavaScript worker, a TypeScript worker on `@pipeweave/sdk/effect` with a service
 * of its own, the scaffolded worker and `npx pipeweave` each work against a real orchestrator
 * (this repository's bundle, embedded database in a temp dir). Needs `npm run build` first (as
 * `npm test` does) and the npm registry (`--prefer-offline` keeps it to the cache when warm).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { assert, layer } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { runCli } from "../support/RunCli.js"
import { eventually, freePort, type Proc, runCommand, runOk, startProcess } from "../support/Processes.js"

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "../../../..")
const PACKAGES = ["domain", "storage", "sdk", "cli"]
const SECRET = "5e".repeat(32)
const NPM_INSTALL = ["install", "--prefer-offline", "--no-audit", "--no-fund"]

const plainWorker = `import { createWorker } from "@pipeweave/sdk"

const worker = createWorker({
  orchestratorUrl: process.env.PIPEWEAVE_ORCHESTRATOR_URL,
  serviceId: "plain-js",
  secretKey: process.env.PIPEWEAVE_SECRET_KEY
})
worker.register("shout", async (ctx) => ({ shouted: String(ctx.input.text).toUpperCase() }))
await worker.listen(Number(process.env.PORT))
`

const effectWorker = `import { Context, Effect, Layer } from "effect"
import { Worker } from "@pipeweave/sdk/effect"

class Greeter extends Context.Tag("packed/Greeter")<Greeter, { readonly greet: (name: string) => Effect.Effect<string> }>() {}

const GreeterLive = Layer.succeed(Greeter, { greet: (name) => Effect.succeed(\`Hello from Effect, \${name}!\`) })

const worker = Worker.make({
  orchestratorUrl: process.env.PIPEWEAVE_ORCHESTRATOR_URL!,
  serviceId: "effect-ts",
  secretKey: process.env.PIPEWEAVE_SECRET_KEY
}).register("greet", (ctx) =>
  Effect.gen(function*() {
    const greeter = yield* Greeter
    return { greeting: yield* greeter.greet((ctx.input as { readonly name: string }).name) }
  }))

// @ts-expect-error the handler requires Greeter, so the unprovided layer requires it too
export const unprovided: Layer.Layer<never, unknown> = Worker.layer(worker, { port: 0 })

const main: Layer.Layer<never, unknown> = Worker.layer(worker, { port: Number(process.env.PORT) }).pipe(Layer.provide(GreeterLive))
Effect.runFork(Layer.launch(main))
`

/** The packed tarballs, a project scaffolded by `pipeweave init --sdk` on them and installed, and a running orchestrator. */
class Packed extends Context.Tag("test/Packed")<Packed, {
  readonly packs: string
  readonly project: string
  readonly orchestratorUrl: string
  readonly env: Record<string, string>
}>() {}

const PackedLive = Layer.scoped(
  Packed,
  Effect.gen(function*() {
    const root = yield* Effect.acquireRelease(
      Effect.sync(() => mkdtempSync(join(tmpdir(), "pipeweave-packed-"))),
      (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
    )
    const packs = join(root, "packs")
    mkdirSync(packs)
    yield* runOk("npm", ["pack", ...PACKAGES.flatMap((p) => ["--workspace", `packages/${p}`]), "--pack-destination", packs], {
      cwd: repoRoot
    })

    const port = yield* freePort
    const orchestratorUrl = `http://127.0.0.1:${port}`
    const project = join(root, "packed-worker")
    const init = yield* runCli(["init", "--name", "packed-worker", "--dir", project, "--sdk", join(packs, "pipeweave-sdk-0.1.0.tgz")])
    assert.strictEqual(init.exitCode, 0, init.stderr)
    yield* runOk("npm", NPM_INSTALL, { cwd: project })

    const orchestrator = yield* startProcess(process.execPath, [join(repoRoot, "packages/orchestrator/dist/orchestrator.mjs")], {
      cwd: repoRoot,
      env: { PORT: String(port), HOST: "127.0.0.1", MODE: "standalone", PIPEWEAVE_SECRET_KEY: SECRET, PIPEWEAVE_DATA_DIR: join(root, "data") }
    })
    yield* eventually("the orchestrator answers /health", Effect.tryPromise(() => fetch(`${orchestratorUrl}/health`)).pipe(
      Effect.filterOrFail((r) => r.ok)
    ), orchestrator)
    return { packs, project, orchestratorUrl, env: { PIPEWEAVE_ORCHESTRATOR_URL: orchestratorUrl, PIPEWEAVE_SECRET_KEY: SECRET } }
  })
)

const json = <A = any>(text: string): A => JSON.parse(text) as A

/** Installed copies of the package `name` under `dir`'s node_modules (nested ones included). */
const copiesOf = (dir: string, name: string): Array<string> => {
  const found: Array<string> = []
  const walk = (modules: string) => {
    if (!existsSync(modules)) return
    for (const entry of readdirSync(modules)) {
      const dirs = entry.startsWith("@") ? readdirSync(join(modules, entry)).map((e) => join(modules, entry, e)) : [join(modules, entry)]
      for (const pkgDir of dirs) {
        const manifest = join(pkgDir, "package.json")
        if (existsSync(manifest) && json(readFileSync(manifest, "utf8")).name === name) found.push(pkgDir)
        walk(join(pkgDir, "node_modules"))
      }
    }
  }
  walk(join(dir, "node_modules"))
  return found
}

/** `du -sk node_modules` in MB and the number of installed packages (`npm ls --all --parseable`). */
const installSize = (dir: string) =>
  Effect.gen(function*() {
    const du = yield* runOk("du", ["-sk", "node_modules"], { cwd: dir })
    const ls = yield* runOk("npm", ["ls", "--all", "--parseable"], { cwd: dir })
    const packages = new Set(ls.stdout.trim().split("\n").slice(1)).size
    return { megabytes: Math.round(Number(du.stdout.split("\t")[0]) / 1024), packages }
  })

layer(PackedLive, { timeout: "10 minutes", excludeTestServices: true })("packed tarballs installed outside the workspace", (it) => {
  /** `npx pipeweave <args>` from the project (the CLI installed from its tarball). */
  const pipeweave = (args: ReadonlyArray<string>) =>
    Effect.flatMap(Packed, (p) => runCommand("npx", ["pipeweave", ...args], { cwd: p.project, env: p.env }))

  /** Waits until `npx pipeweave services --json` lists `serviceId`. */
  const registered = (serviceId: string, proc: Proc) =>
    eventually(
      `${serviceId} registers`,
      pipeweave(["services", "--json"]).pipe(
        Effect.filterOrFail((r) => r.exitCode === 0 && json<Array<{ serviceId: string }>>(r.stdout).some((s) => s.serviceId === serviceId))
      ),
      proc
    )

  /** `npx pipeweave queue <task> -i <input> --wait --json`: the finished run and its output. */
  const queueAndWait = (taskId: string, input: unknown) =>
    Effect.gen(function*() {
      const result = yield* pipeweave(["queue", taskId, "-i", JSON.stringify(input), "--wait", "--json"])
      assert.strictEqual(result.exitCode, 0, result.stderr)
      const answer = json<{ run: { status: string }; output: { content: unknown } }>(result.stdout)
      return { status: answer.run.status, output: answer.output.content }
    })

  it.effect("the tarballs hold dist, README and LICENSE only, and install with one Effect 3 from the registry", () =>
    Effect.gen(function*() {
      const { packs, project } = yield* Packed
      for (const name of PACKAGES) {
        const listing = (yield* runOk("tar", ["-tzf", join(packs, `pipeweave-${name}-0.1.0.tgz`)], { cwd: packs })).stdout
        const files = listing.trim().split("\n").map((f) => f.replace(/^package\//, ""))
        assert.includeMembers(files, ["package.json", "README.md", "LICENSE"], name)
        const shipped = (f: string) =>
          ["package.json", "README.md", "LICENSE"].includes(f) || f.startsWith("dist/src/") ||
          (name === "cli" && /^dist\/bundle\/[\w-]+\.[cm]js$/.test(f))
        assert.deepStrictEqual(files.filter((f) => !shipped(f)), [], name)
        const manifest = json(readFileSync(join(project, "node_modules/@pipeweave", name, "package.json"), "utf8"))
        assert.deepInclude(manifest, { license: "MIT", engines: { node: ">=20" } }, name)
        assert.notProperty(manifest, "private", name)
      }
      assert.isTrue(existsSync(join(project, "package-lock.json")))
      const effects = copiesOf(project, "effect")
      assert.strictEqual(effects.length, 1, effects.join(", "))
      assert.match(json(readFileSync(join(effects[0]!, "package.json"), "utf8")).version, /^3\./)
    }), { timeout: 120_000 })

  it.scoped("a plain-JavaScript ESM worker runs with node and completes a task", () =>
    Effect.gen(function*() {
      const { env, project } = yield* Packed
      writeFileSync(join(project, "plain-worker.mjs"), plainWorker)
      const worker = yield* startProcess(process.execPath, ["plain-worker.mjs"], { cwd: project, env: { ...env, PORT: String(yield* freePort) } })
      yield* registered("plain-js", worker)
      const done = yield* queueAndWait("shout", { text: "hello" })
      assert.strictEqual(done.status, "completed")
      assert.deepStrictEqual(done.output, { shouted: "HELLO" })
    }), { timeout: 180_000 })

  it.scoped("a TypeScript worker on @pipeweave/sdk/effect whose handler uses a user service type-checks (NodeNext, bundler) and runs", () =>
    Effect.gen(function*() {
      const { env, project } = yield* Packed
      writeFileSync(join(project, "src/effect-worker.ts"), effectWorker)
      yield* runOk("npx", ["tsc", "--outDir", "effect-dist"], { cwd: project })
      // The exports resolve with types under bundler resolution too.
      yield* runOk("npx", ["tsc", "--noEmit", "--module", "preserve", "--moduleResolution", "bundler"], { cwd: project })
      const worker = yield* startProcess(process.execPath, ["effect-dist/effect-worker.js"], {
        cwd: project,
        env: { ...env, PORT: String(yield* freePort) }
      })
      yield* registered("effect-ts", worker)
      const done = yield* queueAndWait("greet", { name: "Ada" })
      assert.strictEqual(done.status, "completed")
      assert.deepStrictEqual(done.output, { greeting: "Hello from Effect, Ada!" })
    }), { timeout: 180_000 })

  it.scoped("the scaffolded worker runs as its README says: npm run build, npm start, npx pipeweave services and queue", () =>
    Effect.gen(function*() {
      const { env, project } = yield* Packed
      const readme = readFileSync(join(project, "README.md"), "utf8")
      const commands = readme.split("\n").map((line) => line.trim())
      for (const command of ["npm run build", "npm start", "npx pipeweave services --tasks"]) assert.include(commands, command)
      const queue = commands.find((line) => line.startsWith("npx pipeweave queue hello "))
      assert.isDefined(queue, readme)

      yield* runOk("npm", ["run", "build"], { cwd: project })
      const worker = yield* startProcess("npm", ["start"], { cwd: project, env: { ...env, PORT: String(yield* freePort) } })
      yield* registered("packed-worker", worker)
      const services = yield* runOk("sh", ["-c", "npx pipeweave services --tasks"], { cwd: project, env })
      assert.match(services.stdout, /^packed-worker 0\.1\.0$/m)
      assert.match(services.stdout, /^\s+hello\s+v1\s+[0-9a-f]+\s+\(end\)$/m)
      const queued = yield* runOk("sh", ["-c", queue!], { cwd: project, env })
      assert.deepStrictEqual(json(queued.stdout), { greeting: "Hello, Ada!" })
    }), { timeout: 180_000 })

  it.effect("npx pipeweave db, without @pipeweave/orchestrator installed, names the package to install", () =>
    Effect.gen(function*() {
      const result = yield* pipeweave(["db", "status"])
      assert.strictEqual(result.exitCode, 1)
      assert.include(result.stderr, "install @pipeweave/orchestrator next to the CLI (npm install @pipeweave/orchestrator@0.1.0)")
    }), { timeout: 60_000 })

  it.effect("npx pipeweave dev, without @pipeweave/orchestrator installed, names the package to install", () =>
    Effect.gen(function*() {
      const result = yield* pipeweave(["dev", "--port", String(yield* freePort)])
      assert.strictEqual(result.exitCode, 1, result.stdout + result.stderr)
      assert.include(result.stderr, "install @pipeweave/orchestrator next to the CLI (npm install @pipeweave/orchestrator@0.1.0)")
    }), { timeout: 60_000 })

  it.effect("a local-storage worker installs without any provider client; an S3 worker adds only @aws-sdk/client-s3", () =>
    Effect.gen(function*() {
      const { packs } = yield* Packed
      const workerProject = (name: string, extra: Record<string, string>) =>
        Effect.gen(function*() {
          const dir = join(dirname(packs), name)
          mkdirSync(dir)
          const tarball = (p: string) => `file:${join(packs, `pipeweave-${p}-0.1.0.tgz`)}`
          writeFileSync(join(dir, "package.json"), JSON.stringify({
            name,
            private: true,
            type: "module",
            dependencies: { "@pipeweave/sdk": tarball("sdk"), effect: "^3.22.4", ...extra },
            overrides: { "@pipeweave/domain": tarball("domain"), "@pipeweave/storage": tarball("storage") }
          }))
          yield* runOk("npm", NPM_INSTALL, { cwd: dir })
          return dir
        })
      const openS3 = `import { Effect } from "effect"
import { makeStorage } from "@pipeweave/storage/StorageFactory"
const config = { id: "s3", provider: "aws-s3", bucket: "b", region: "eu-west-1", credentials: { accessKeyId: "a", secretAccessKey: "s" } }
const result = await Effect.runPromise(Effect.scoped(makeStorage(config)).pipe(Effect.match({ onFailure: (e) => e.message, onSuccess: (s) => "opened " + s.backendId })))
console.log(result)
`
      const local = yield* workerProject("local-worker", {})
      for (const client of ["@aws-sdk/client-s3", "@google-cloud/storage", "minio"]) assert.deepStrictEqual(copiesOf(local, client), [], client)
      writeFileSync(join(local, "open-s3.mjs"), openS3)
      const missing = yield* runOk(process.execPath, ["open-s3.mjs"], { cwd: local })
      assert.strictEqual(
        missing.stdout.trim(),
        "storage open 's3' failed: the aws-s3 provider needs @aws-sdk/client-s3, which is not installed: npm install @aws-sdk/client-s3@3.1175.0"
      )

      const s3 = yield* workerProject("s3-worker", { "@aws-sdk/client-s3": "3.1175.0" })
      writeFileSync(join(s3, "open-s3.mjs"), openS3)
      assert.strictEqual((yield* runOk(process.execPath, ["open-s3.mjs"], { cwd: s3 })).stdout.trim(), "opened s3")
      for (const client of ["@google-cloud/storage", "minio"]) assert.deepStrictEqual(copiesOf(s3, client), [], client)

      const sizes = { local: yield* installSize(local), s3: yield* installSize(s3) }
      console.log(`install size: local-storage worker ${sizes.local.megabytes} MB, ${sizes.local.packages} packages; ` +
        `S3 worker ${sizes.s3.megabytes} MB, ${sizes.s3.packages} packages`)
      // Before: every worker installed all three provider clients (170 packages, 129 MB).
      assert.isBelow(sizes.local.packages, 60)
      assert.isBelow(sizes.local.megabytes, 100)
    }), { timeout: 300_000 })
})
