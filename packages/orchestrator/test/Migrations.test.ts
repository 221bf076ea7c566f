import { mkdtempSync, readdirSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { migrationsDir } from "../src/sql/Migrations.js"
import { repoRoot } from "./support/Processes.js"

describe("migrationsDir", () => {
  it("is the orchestrator package's migrations/ folder, or PIPEWEAVE_MIGRATIONS_DIR when set", () => {
    const before = process.env["PIPEWEAVE_MIGRATIONS_DIR"]
    try {
      delete process.env["PIPEWEAVE_MIGRATIONS_DIR"]
      assert.strictEqual(migrationsDir(), join(repoRoot, "packages/orchestrator/migrations"))
      assert.include(readdirSync(migrationsDir()), "0001_init.sql")
      const elsewhere = mkdtempSync(join(tmpdir(), "pipeweave-migrations-"))
      process.env["PIPEWEAVE_MIGRATIONS_DIR"] = elsewhere
      assert.strictEqual(migrationsDir(), elsewhere)
    } finally {
      if (before === undefined) delete process.env["PIPEWEAVE_MIGRATIONS_DIR"]
      else process.env["PIPEWEAVE_MIGRATIONS_DIR"] = before
    }
  })
})
