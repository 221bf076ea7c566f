/**
 * The `pipeweave` binary as users run it: the bundle `npm pack` ships (`dist/bundle/pipeweave.mjs`)
 * and the `tsc` output (`dist/src/bin.js`), spawned with stdout piped. Needs `npm run build`.
 */
import { spawnSync } from "node:child_process"
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { assert, describe, it, layer } from "@effect/vitest"
import { Effect } from "effect"
import { type CommandResult, runCommand } from "./support/Processes.js"
import { register } from "./support/Registration.js"
import { orchestratorUrl, testOrchestrator } from "./support/TestOrchestrator.js"

const cliRoot = join(dirname(fileURLToPath(import.meta.url)), "..")
const BUNDLE = join(cliRoot, "dist/bundle/pipeweave.mjs")
const TSC_BIN = join(cliRoot, "dist/src/bin.js")
const RECORD_MODULES = join(cliRoot, "test/support/recordModules.mjs")

const pipeweave = (args: ReadonlyArray<string>, env: Record<string, string> = {}, bin = BUNDLE) =>
  runCommand(process.execPath, [bin, ...args], { cwd: cliRoot, env: { NO_COLOR: "", ...env } })

const ESCAPE = "\u001b["
const widest = (text: string) => Math.max(...text.split("\n").map((line) => line.length))

/** The subcommands the root help lists (`- db reset ...` rows), so commands added later are checked too. */
const listedCommands = (help: string): Array<Array<string>> =>
  help.split("\n").flatMap((line) => {
    const row = /^ {2}- ([a-z][a-z-]*(?: [a-z][a-z-]*)?)(?: |$)/.exec(line)
    return row ? [row[1]!.split(" ")] : []
  })

const assertTidyHelp = (what: string, result: CommandResult) => {
  assert.strictEqual(result.exitCode, 0, `${what}: ${result.stderr}`)
  assert.match(result.stdout, /USAGE/, what)
  assert.notInclude(result.stdout, ESCAPE, `${what} prints colour codes`)
  assert.isAtMost(widest(result.stdout), 100, `${what} has a line over 100 columns`)
}

/** `script` runs a command on a pseudo-terminal: the only way to see what a terminal would get. */
const hasScript = spawnSync("script", ["--version"]).status === 0

const onTerminal = (args: ReadonlyArray<string>, env: Record<string, string>) =>
  runCommand("script", ["-qec", [process.execPath, BUNDLE, ...args].join(" "), "/dev/null"], { cwd: cliRoot, env })

describe("pipeweave help", () => {
  it.live("is plain text within 100 columns when stdout is not a terminal, for the program and every command", () =>
    Effect.gen(function*() {
      const root = yield* pipeweave(["--help"])
      assertTidyHelp("--help", root)
      const commands = listedCommands(root.stdout)
      assert.includeDeepMembers(commands, [["services"], ["db"], ["db", "reset"], ["dlq", "list"], ["init"]])
      yield* Effect.forEach(
        commands,
        (command) => Effect.map(pipeweave([...command, "--help"]), (result) => assertTidyHelp(`${command.join(" ")} --help`, result)),
        { concurrency: 4 }
      )
    }), 240_000)

  it.live.skipIf(!hasScript)("has colour on a terminal, and none there with NO_COLOR=1; fits 100 columns in both", () =>
    Effect.gen(function*() {
      for (const args of [["--help"], ["db", "reset", "--help"]]) {
        const colour = yield* onTerminal(args, { NO_COLOR: "" })
        assert.strictEqual(colour.exitCode, 0, colour.stdout)
        assert.include(colour.stdout, ESCAPE)
        const plain = yield* onTerminal(args, { NO_COLOR: "1" })
        assert.strictEqual(plain.exitCode, 0, plain.stdout)
        assert.notInclude(plain.stdout, ESCAPE)
        assert.include(plain.stdout, "USAGE")
        for (const output of [colour.stdout, plain.stdout]) {
          const visible = output.replace(/\u001b\[[0-9;]*m/g, "").replace(/\r/g, "")
          assert.isAtMost(widest(visible), 100, `${args.join(" ")} on a terminal`)
        }
      }
    }), 120_000)

  it.live("usage errors print no colour codes when piped", () =>
    Effect.gen(function*() {
      const result = yield* pipeweave(["services", "--bogus"])
      assert.strictEqual(result.exitCode, 2)
      assert.include(result.stderr, "Received unknown argument: '--bogus'")
      assert.notInclude(result.stderr, ESCAPE)
    }), 60_000)
})

/** The database code: what only the `db` commands (and `dev`) may load. */
const DATABASE_MODULE = /@effect\/sql|@electric-sql\/pglite|\/pg\/|@pipeweave\/orchestrator|packages\/orchestrator\/|\/(DbActions|DatabaseTarget|MigrationState|OrchestratorSql)\.m?js$/

/** Runs the binary under `--import recordModules.mjs`; the URLs of the modules it resolved. */
const loadedModules = (bin: string, args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const dir = mkdtempSync(join(tmpdir(), "pipeweave-modules-"))
    const log = join(dir, "modules.txt")
    const result = yield* runCommand(process.execPath, ["--import", RECORD_MODULES, bin, ...args], {
      cwd: cliRoot,
      env: { PIPEWEAVE_MODULE_LOG: log }
    })
    const modules = (() => {
      try {
        return readFileSync(log, "utf8").split("\n").filter((line) => line !== "")
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    })()
    return { result, modules }
  })

layer(testOrchestrator(), { timeout: "60 seconds", excludeTestServices: true })("pipeweave start-up", (it) => {
  it.effect("--version and services load no database code, from the bundle and from the tsc output", () =>
    Effect.gen(function*() {
      const url = yield* orchestratorUrl
      yield* register("svc-startup", { probe: [] })
      for (const bin of [BUNDLE, TSC_BIN]) {
        const version = yield* loadedModules(bin, ["--version"])
        assert.deepStrictEqual([version.result.exitCode, version.result.stdout], [0, "0.1.0\n"], version.result.stderr)
        assert.deepStrictEqual(version.modules.filter((m) => DATABASE_MODULE.test(m)), [], `${bin} --version`)

        const services = yield* loadedModules(bin, ["services", "--url", url])
        assert.strictEqual(services.result.exitCode, 0, services.result.stderr)
        assert.match(services.result.stdout, /^svc-startup\s/m)
        assert.deepStrictEqual(services.modules.filter((m) => DATABASE_MODULE.test(m)), [], `${bin} services`)
        assert.isAbove(services.modules.length, 1, "the hook recorded nothing")
      }
    }), { timeout: 240_000 })

  it.effect("db commands load the database code when they run (the check above can see it)", () =>
    Effect.gen(function*() {
      const dataDir = mkdtempSync(join(tmpdir(), "pipeweave-db-"))
      try {
        const status = yield* loadedModules(BUNDLE, ["db", "status", "--data-dir", dataDir])
        assert.strictEqual(status.result.exitCode, 0, status.result.stderr)
        assert.match(status.result.stdout, /does not exist yet/)
        assert.isTrue(status.modules.some((m) => /@pipeweave\/orchestrator|packages\/orchestrator\//.test(m)))
        assert.isTrue(status.modules.some((m) => /@effect\/sql-pg/.test(m)))
      } finally {
        rmSync(dataDir, { recursive: true, force: true })
      }
    }), { timeout: 120_000 })
})

describe("the bundled bin's code cache", () => {
  it.live("is written once to a private directory, reused as it is, rewritten when corrupt, and unused where others may write", () =>
    Effect.gen(function*() {
      const home = mkdtempSync(join(tmpdir(), "pipeweave-cache-"))
      try {
        const env = { XDG_CACHE_HOME: home }
        const dir = join(home, "pipeweave")
        // Other versions' caches: one not written for 40 days (dropped when this one is written), one recent (kept).
        mkdirSync(dir, { mode: 0o700 })
        const stale = join(dir, "cli-0123456789abcdef.v8")
        const recent = join(dir, "cli-fedcba9876543210.v8")
        writeFileSync(stale, "old")
        writeFileSync(recent, "new")
        const longAgo = new Date(Date.now() - 40 * 24 * 3600 * 1000)
        utimesSync(stale, longAgo, longAgo)
        const others = [stale, recent].map((path) => path.slice(dir.length + 1))
        const caches = () => readdirSync(dir).filter((f) => f.endsWith(".v8") && !others.includes(f))
        const help = () =>
          Effect.map(pipeweave(["services", "--help"], env), (result) => {
            assert.strictEqual(result.exitCode, 0, result.stderr)
            return result.stdout
          })

        const expected = yield* help()
        assert.match(expected, /USAGE/)
        assert.deepStrictEqual([existsSync(stale), existsSync(recent)], [false, true])
        assert.strictEqual(statSync(dir).mode & 0o777, 0o700)
        const [file] = caches()
        assert.deepStrictEqual(caches(), [file!])
        const cache = join(dir, file!)
        assert.strictEqual(statSync(cache).mode & 0o777, 0o600)
        assert.isAbove(statSync(cache).size, 100_000)
        const written = readFileSync(cache)

        assert.strictEqual(yield* help(), expected)
        assert.isTrue(readFileSync(cache).equals(written), "an accepted cache is not written again")

        writeFileSync(cache, "not a code cache")
        assert.strictEqual(yield* help(), expected)
        assert.isAbove(statSync(cache).size, 100_000, "a rejected cache is written again")

        chmodSync(dir, 0o777)
        writeFileSync(cache, "planted")
        assert.strictEqual(yield* help(), expected)
        assert.strictEqual(readFileSync(cache, "utf8"), "planted", "a directory others may write is not used")
      } finally {
        rmSync(home, { recursive: true, force: true })
      }
    }), 120_000)
})
