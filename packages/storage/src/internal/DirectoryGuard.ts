import type { Stats } from "node:fs"
import { lstat, mkdir } from "node:fs/promises"
import { dirname, sep } from "node:path"
import { errorCode } from "./io.js"

/**
 * Keeps a local backend's paths inside its root and off symlinks: a directory on the way to an
 * object is checked once (an `lstat`) and remembered, so most operations touch no directory at
 * all. A symlink below the root is never followed, wherever it points. A remembered directory that disappears (pruned by a delete, here or in
 * another process) shows as `ENOENT`; `forget` drops it so the next attempt checks it again.
 */
export interface DirectoryGuard {
  /** Whether the existing directories on the way to `path`, and `path` itself, are inside the root and not symlinks. */
  readonly allows: (path: string) => Promise<boolean>
  /** Creates the missing directories on the way to `path`: `created` when its parent is new, `outside` when one escapes. */
  readonly prepare: (path: string) => Promise<"created" | "existing" | "outside">
  /** Drops the directories on the way to `path` from memory (they were removed, or found missing). */
  readonly forget: (path: string) => void
}

type Entry = "directory" | "other" | "missing" | "outside"

const missing = (cause: unknown) => ["ENOENT", "ENOTDIR"].includes(String(errorCode(cause)))
const maxRemembered = 10_000

export const makeDirectoryGuard = (root: string): DirectoryGuard => {
  const known = new Set<string>()
  const remember = (dir: string) => {
    if (known.size >= maxRemembered) known.clear()
    known.add(dir)
  }
  const unchecked = (dir: string): Array<string> => {
    const dirs: Array<string> = []
    for (; dir !== root && dir.startsWith(root + sep) && !known.has(dir); dir = dirname(dir)) dirs.push(dir)
    return dirs.reverse()
  }
  const entryOf = async (path: string): Promise<Entry> => {
    const stats: Stats | undefined = await lstat(path).catch((e) => missing(e) ? undefined : Promise.reject(e))
    if (stats === undefined) return "missing"
    if (stats.isSymbolicLink()) return "outside"
    return stats.isDirectory() ? "directory" : "other"
  }

  return {
    allows: async (path) => {
      for (const dir of unchecked(dirname(path))) {
        const entry = await entryOf(dir)
        if (entry === "outside") return false
        if (entry !== "directory") return true
        remember(dir)
      }
      return (await entryOf(path)) !== "outside"
    },
    prepare: async (path) => {
      let created = false
      for (const dir of unchecked(dirname(path))) {
        created = await mkdir(dir).then(() => true, (e) => errorCode(e) === "EEXIST" ? false : Promise.reject(e))
        const entry = created ? "directory" : await entryOf(dir)
        if (entry === "outside") return "outside"
        if (entry === "directory") remember(dir)
      }
      return created ? "created" : "existing"
    },
    forget: (path) => {
      for (let dir = dirname(path); dir.startsWith(root + sep); dir = dirname(dir)) known.delete(dir)
    }
  }
}
