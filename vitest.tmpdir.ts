import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

/**
 * Gives a test run a temporary directory of its own (`TMPDIR`, which the test workers and every
 * process they start inherit) and removes it when the run ends, so data dirs, storage roots and
 * workers' run dirs do not pile up in the machine's `/tmp`; the `pipeweave` bin's code cache goes
 * there too (`XDG_CACHE_HOME`) rather than into the home directory of whoever runs the tests.
 */
export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), "pipeweave-tests-"))
  process.env["TMPDIR"] = dir
  process.env["XDG_CACHE_HOME"] = join(dir, "cache")
  return () => rmSync(dir, { recursive: true, force: true })
}
