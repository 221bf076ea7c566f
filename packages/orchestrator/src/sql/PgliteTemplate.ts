import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { basename, dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { brotliCompressSync, brotliDecompressSync, constants } from "node:zlib"

/**
 * A pre-initialised PGlite data directory (initdb's output, cleanly shut down) shipped as a
 * brotli-compressed tar next to this module. Copying it replaces initdb on the first start of an
 * embedded database: ~0.2 s instead of 5–15 s, and no second WASM instance left in memory.
 * The catalog only fits the PGlite version that wrote it, so the file name carries that version;
 * without a matching file PGlite runs initdb as before.
 */

const here = dirname(fileURLToPath(import.meta.url))

/** The installed `@electric-sql/pglite` version. */
export const pgliteVersion = (): string => {
  const entry = createRequire(import.meta.url).resolve("@electric-sql/pglite")
  let dir = dirname(entry)
  while (!existsSync(join(dir, "package.json"))) dir = dirname(dir)
  return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).version
}

/** `pgdata-pglite-0.5.14.tar.br` */
export const templateFileName = (version: string = pgliteVersion()): string => `pgdata-pglite-${version}.tar.br`

/** Where the template for `version` lives in the source tree (`src/sql`, next to this module's source). */
export const templateSourcePath = (version?: string): string =>
  join(here.replace(/([/\\])dist[/\\]src[/\\]sql$/, "$1src$1sql"), templateFileName(version))

/**
 * The template for the installed PGlite, if one is shipped: next to this module or in the
 * package's `src/sql` (where the build output, or a bundle of it, finds the source tree's file).
 */
export const findTemplate = (): string | undefined => {
  const file = templateFileName()
  for (let dir = here; ; dir = dirname(dir)) {
    for (const candidate of [join(dir, file), join(dir, "src", "sql", file)]) {
      if (existsSync(candidate)) return candidate
    }
    if (existsSync(join(dir, "package.json")) || dirname(dir) === dir) return undefined
  }
}

/** A directory that PGlite will treat as an existing database. */
export const isInitialised = (dataDir: string): boolean => existsSync(join(dataDir, "PG_VERSION"))

const isEmptyOrMissing = (dir: string): boolean => !existsSync(dir) || readdirSync(dir).length === 0

/** The template's tar, decompressed. */
export const readTemplate = (path: string): Buffer => brotliDecompressSync(readFileSync(path))

const BLOCK = 512

const octal = (header: Buffer, offset: number, length: number, value: number) =>
  header.write(value.toString(8).padStart(length - 1, "0") + "\0", offset, length, "ascii")

const tarHeader = (name: string, size: number, directory: boolean): Buffer => {
  if (Buffer.byteLength(name) > 99) throw new Error(`path too long for the template archive: ${name}`)
  const header = Buffer.alloc(BLOCK)
  header.write(name, 0, 100, "utf8")
  octal(header, 100, 8, directory ? 0o700 : 0o600)
  octal(header, 108, 8, 0)
  octal(header, 116, 8, 0)
  octal(header, 124, 12, size)
  octal(header, 136, 12, 0)
  header.write("        ", 148, 8, "ascii")
  header.write(directory ? "5" : "0", 156, 1, "ascii")
  header.write("ustar\u000000", 257, 8, "ascii")
  let sum = 0
  for (const byte of header) sum += byte
  header.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8, "ascii")
  return header
}

/** A ustar archive of `dir` (directories and regular files, paths relative to `dir`, sorted). */
export const packDirectory = (dir: string, skip: ReadonlySet<string> = new Set()): Buffer => {
  const parts: Array<Buffer> = []
  const walk = (relative: string) => {
    for (const entry of readdirSync(join(dir, relative)).sort()) {
      const path = relative === "" ? entry : `${relative}/${entry}`
      if (skip.has(path)) continue
      const stats = statSync(join(dir, path))
      if (stats.isDirectory()) {
        parts.push(tarHeader(path, 0, true))
        walk(path)
      } else if (stats.isFile()) {
        const data = readFileSync(join(dir, path))
        parts.push(tarHeader(path, data.length, false), data, Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK))
      }
    }
  }
  walk("")
  parts.push(Buffer.alloc(2 * BLOCK))
  return Buffer.concat(parts)
}

/** Writes the entries of a ustar archive made by `packDirectory` under `dir` (directories 0700, files 0600). */
export const unpackInto = (tar: Buffer, dir: string): void => {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  for (let offset = 0; offset + BLOCK <= tar.length;) {
    const header = tar.subarray(offset, offset + BLOCK)
    const name = header.toString("utf8", 0, 100).replace(/\0.*$/s, "")
    if (name === "") break
    const size = parseInt(header.toString("ascii", 124, 136).replace(/\0.*$/s, "").trim() || "0", 8)
    if (name.startsWith("/") || name.split("/").includes("..")) throw new Error(`unsafe path in the template archive: ${name}`)
    const path = join(dir, name)
    offset += BLOCK
    if (header[156] === 0x35) {
      mkdirSync(path, { recursive: true, mode: 0o700 })
    } else {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
      writeFileSync(path, tar.subarray(offset, offset + size), { mode: 0o600 })
      offset += Math.ceil(size / BLOCK) * BLOCK
    }
  }
}

/**
 * Creates the database at `dataDir` from the template: unpacked beside it, then renamed into place,
 * so an interrupted first start leaves no half-written database. Returns false (and touches
 * nothing) when there is no template for this PGlite or `dataDir` already has content.
 */
export const installTemplate = (dataDir: string, template: string | undefined = findTemplate()): boolean => {
  if (template === undefined || !isEmptyOrMissing(dataDir)) return false
  mkdirSync(dirname(dataDir), { recursive: true })
  const staging = mkdtempSync(join(dirname(dataDir), `.${basename(dataDir)}.init-`))
  try {
    unpackInto(readTemplate(template), staging)
    if (existsSync(dataDir)) rmdirSync(dataDir)
    renameSync(staging, dataDir)
    return true
  } catch (error) {
    rmSync(staging, { recursive: true, force: true })
    if (isInitialised(dataDir)) return true
    throw error
  }
}

/**
 * Runs initdb with the installed PGlite in a scratch directory, shuts it down cleanly and writes
 * the template next to this module (`npx tsx packages/orchestrator/src/sql/WritePgliteTemplate.ts`
 * after upgrading PGlite). Returns the file written.
 */
export const writeTemplate = async (out: string = templateSourcePath()): Promise<string> => {
  const { PGlite } = await import("@electric-sql/pglite")
  const scratch = mkdtempSync(join(tmpdir(), "pglite-template-"))
  try {
    const db = await PGlite.create(join(scratch, "db"))
    await db.close()
    const tar = packDirectory(join(scratch, "db"), new Set(["postmaster.pid", "postmaster.opts"]))
    writeFileSync(out, brotliCompressSync(tar, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_LGWIN]: 24, [constants.BROTLI_PARAM_SIZE_HINT]: tar.length }
    }))
    return out
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
}
