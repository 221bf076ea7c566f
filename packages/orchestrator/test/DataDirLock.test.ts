import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readdirSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { acquire, DataDirInUse, lockAddresses } from "../src/sql/DataDirLock.js"

const newDir = () => join(mkdtempSync(join(tmpdir(), "pipeweave-lock-unit-")), "db")

const refusal = (dir: string, kind: "auto" | "file") =>
  Effect.flip(Effect.scoped(acquire(dir, { holder: "second", kind })))

for (const kind of ["auto", "file"] as const) {
  describe(`the data directory lock (${kind === "auto" ? process.platform : "socket file"})`, () => {
    it.live("is held until its scope closes; meanwhile another opener is told this process's PID", () =>
      Effect.gen(function*() {
        const dir = newDir()
        yield* Effect.scoped(Effect.gen(function*() {
          yield* acquire(dir, { holder: "test holder", kind })
          const error = yield* refusal(dir, kind)
          assert.instanceOf(error, DataDirInUse)
          assert.deepStrictEqual({ ...error }, { _tag: "DataDirInUse", dir, pid: process.pid, holder: "test holder" })
          assert.strictEqual(
            error.message,
            `The embedded database at ${dir} is in use by process ${process.pid} (test holder); ` +
              "stop it or set PIPEWEAVE_DATA_DIR to another directory"
          )
        }))
        const again = yield* Effect.exit(Effect.scoped(acquire(dir, { holder: "again", kind })))
        assert.isTrue(Exit.isSuccess(again))
      }))

    it.live("a holder killed with SIGKILL leaves nothing that blocks the next opener", () =>
      Effect.gen(function*() {
        const dir = newDir()
        const paths = lockAddresses(dir, kind).map((address) => address.path)
        const killed = spawnSync(process.execPath, [
          "-e",
          `const net = require("node:net"); const paths = ${JSON.stringify(paths)}; let n = 0
          for (const path of paths) net.createServer().listen(path, () => ++n === paths.length && process.kill(process.pid, "SIGKILL"))`
        ])
        assert.strictEqual(killed.signal, "SIGKILL", killed.stderr.toString())
        assert.isTrue(existsSync(`${dir}.lock`), "the killed holder left its socket file")
        const addresses = yield* Effect.scoped(acquire(dir, { holder: "next", kind }))
        assert.deepStrictEqual(addresses.map((address) => address.path), paths)
      }))
  })
}

describe("the socket file", () => {
  it("lies beside the data directory, or in the temporary directory when that path is too long for a socket", () => {
    const dir = newDir()
    assert.deepStrictEqual(lockAddresses(dir, "file"), [{ kind: "file", path: `${dir}.lock` }])
    const deep = join(mkdtempSync(join(tmpdir(), "pipeweave-lock-unit-")), "x".repeat(120))
    assert.match(lockAddresses(deep, "file")[0]!.path, new RegExp(`^${tmpdir()}/pipeweave-[0-9a-f]{32}\\.lock$`))
  })

  it.live.skipIf(process.platform !== "linux")(
    "keeps out a process that does not share this one's abstract namespace (another container on the same volume)",
    () =>
      Effect.gen(function*() {
        const dir = newDir()
        yield* acquire(dir, { holder: "other container", kind: "file" })
        const error = yield* refusal(dir, "auto")
        assert.instanceOf(error, DataDirInUse)
        assert.deepStrictEqual({ ...error }, { _tag: "DataDirInUse", dir, pid: process.pid, holder: "other container" })
      }).pipe(Effect.scoped)
  )

  it.live("is removed when the holder closes, with no guard left behind", () =>
    Effect.gen(function*() {
      const dir = newDir()
      yield* Effect.scoped(acquire(dir, { holder: "test", kind: "file" }))
      assert.deepStrictEqual(readdirSync(join(dir, "..")), [])
    }))
})
