import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

/**
 * Gives a test run a temporary directory of its own (`TMPDIR`, which the test workers and every
 * process they start inherit) and removes it when the run ends, so data dirs, storage roots and
 * workers' run dirs do not pile up in the machine's `/tmp`.
 */
export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), "pipeweave-tests-"))
  process.env["TMPDIR"] = dir
  return () => rmSync(dir, { recursive: true, force: true })
}
