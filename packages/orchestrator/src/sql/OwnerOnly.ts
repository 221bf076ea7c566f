import { chmodSync, lstatSync, mkdirSync, readdirSync, statSync } from "node:fs"
import { join } from "node:path"

const GROUP_OR_OTHER = 0o077

/**
 * Makes `dir` reachable by its owner only: created with mode 0700, or changed to 0700 when it
 * exists with access for group or others. Returns the mode it had when it was changed. A
 * directory shared by design (sticky, like /tmp) or owned by another user is left as it is.
 */
export const ownerOnlyDirectory = (dir: string): number | undefined => {
  const stats = statSync(dir, { throwIfNoEntry: false })
  if (stats === undefined) {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    return undefined
  }
  const shared = (stats.mode & 0o1000) !== 0 || (process.getuid !== undefined && stats.uid !== process.getuid())
  if (shared || (stats.mode & GROUP_OR_OTHER) === 0) return undefined
  chmodSync(dir, 0o700)
  return stats.mode & 0o7777
}

/**
 * Removes every group and other permission bit under `dir` (symbolic links are not followed):
 * what an earlier version, or PGlite's own initdb (which writes its files 0666), left open.
 * Returns how many entries were changed.
 */
export const tightenTree = (dir: string): number => {
  let changed = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isSymbolicLink()) continue
    const mode = lstatSync(path).mode & 0o7777
    if ((mode & GROUP_OR_OTHER) !== 0) {
      chmodSync(path, mode & ~GROUP_OR_OTHER)
      changed++
    }
    if (entry.isDirectory()) changed += tightenTree(path)
  }
  return changed
}
