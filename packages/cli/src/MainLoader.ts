import { createHash } from "node:crypto"
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { homedir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { Script } from "node:vm"
import type { main } from "./Main.js"

/** What the commands' module gives the bin. */
export interface MainModule {
  readonly main: typeof main
}

/**
 * `~/.cache/pipeweave` (or under `XDG_CACHE_HOME`), made private if new; undefined when it cannot
 * be made, or when someone else owns it or may write into it (a code cache is code: it is read only
 * from a directory no other user can write).
 */
const cacheDirectory = (): string | undefined => {
  try {
    const base = process.env["XDG_CACHE_HOME"] || join(homedir(), ".cache")
    const dir = join(base, "pipeweave")
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const stat = statSync(dir)
    const uid = process.getuid?.()
    return stat.isDirectory() && (uid === undefined || (stat.uid === uid && (stat.mode & 0o022) === 0)) ? dir : undefined
  } catch {
    return undefined
  }
}

/** A cache no run has written for this long belongs to a version no longer in use. */
const STALE_MS = 30 * 24 * 3600 * 1000

/** Removes the other versions' caches in `dir` that have not been written for `STALE_MS`. */
const pruneStale = (dir: string, kept: string) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (path === kept || !/^cli-[0-9a-f]+\.v8$/.test(name)) continue
    if (Date.now() - statSync(path).mtimeMs > STALE_MS) unlinkSync(path)
  }
}

/**
 * Compiles the bundled commands (`Main.cjs`, beside this bin) with V8's code cache: Node 20 has no
 * compile cache for modules, and compiling ~750 KB of JavaScript was a third of `pipeweave
 * services`. The cache is keyed by the source's hash and the Node version, read when V8 accepts it,
 * and (re)written at exit when there was none or V8 rejected it, with the functions the command
 * compiled (and then drops other versions' caches not written for 30 days). Without a usable cache
 * directory the commands are compiled as before.
 */
const compiledMain = (file: string): MainModule => {
  const source = readFileSync(file, "utf8")
  const dir = cacheDirectory()
  const key = createHash("sha256").update(source).update(process.version).update(process.arch).digest("hex").slice(0, 32)
  const cacheFile = dir === undefined ? undefined : join(dir, `cli-${key}.v8`)
  let cachedData: Buffer | undefined
  try {
    if (cacheFile !== undefined) cachedData = readFileSync(cacheFile)
  } catch {
    cachedData = undefined
  }
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${source}\n})`
  const script = new Script(wrapped, { filename: file, ...(cachedData === undefined ? {} : { cachedData }) })
  if (cacheFile !== undefined && (cachedData === undefined || script.cachedDataRejected === true)) {
    process.once("exit", () => {
      try {
        const partial = `${cacheFile}.${process.pid}`
        writeFileSync(partial, script.createCachedData(), { mode: 0o600 })
        renameSync(partial, cacheFile)
        pruneStale(dirname(cacheFile), cacheFile)
      } catch {
        // A cache that cannot be written only costs the next start its compile time.
      }
    })
  }
  const module = { exports: {} as MainModule }
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file))
  return module.exports
}

/**
 * The commands: the bundle's `Main.cjs` through the code cache when the bin is the bundle, else
 * (`tsc` output) `Main.js` as a module.
 */
export const loadMain = (): Promise<MainModule> => {
  const bundled = join(dirname(fileURLToPath(import.meta.url)), "Main.cjs")
  return existsSync(bundled) ? Promise.resolve(compiledMain(bundled)) : import("./Main.js")
}

/** The bin's own `import()`, lent to commands compiled from the cache (they have none). */
export const importModule = (specifier: string): Promise<unknown> => import(specifier)
