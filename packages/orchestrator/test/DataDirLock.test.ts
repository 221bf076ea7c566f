import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readdirSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { acquire, DataDirInUse, lockAddress } from "../src/sql/DataDirLock.js"

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
        const { path } = lockAddress(dir, kind)
        const killed = spawnSync(process.execPath, [
          "-e",
          `require("node:net").createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, "SIGKILL"))`
        ])
        assert.strictEqual(killed.signal, "SIGKILL")
        if (kind === "file") assert.isTrue(existsSync(path), "the killed holder left its socket file")
        const address = yield* Effect.scoped(acquire(dir, { holder: "next", kind }))
        assert.strictEqual(address.path, path)
      }))
  })
}

describe("the socket file", () => {
  it("lies beside the data directory, or in the temporary directory when that path is too long for a socket", () => {
    const dir = newDir()
    assert.strictEqual(lockAddress(dir, "file").path, `${dir}.lock`)
    const deep = join(mkdtempSync(join(tmpdir(), "pipeweave-lock-unit-")), "x".repeat(120))
    assert.match(lockAddress(deep, "file").path, new RegExp(`^${tmpdir()}/pipeweave-[0-9a-f]{32}\\.lock$`))
  })

  it.live("is removed when the holder closes, with no guard left behind", () =>
    Effect.gen(function*() {
      const dir = newDir()
      yield* Effect.scoped(acquire(dir, { holder: "test", kind: "file" }))
      assert.deepStrictEqual(readdirSync(join(dir, "..")), [])
    }))
})
