import { execFile } from "node:child_process"
import { promisify } from "node:util"

const run = promisify(execFile)

/** The server the bench uses: `BENCH_DATABASE_URL`, else `TEST_DATABASE_URL`, else local trust auth. */
export const serverUrl = process.env["BENCH_DATABASE_URL"] ?? process.env["TEST_DATABASE_URL"] ??
  "postgres://postgres@127.0.0.1:5432/postgres"

/** Runs SQL through `psql` (stops at the first error); returns its unaligned, tuples-only output. */
export const psql = async (url: string, sql: string): Promise<string> => {
  const { stdout } = await run("psql", [url, "-X", "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql], {
    maxBuffer: 16 * 1024 * 1024
  })
  return stdout.trim()
}

const created = new Set<string>()

const withDatabase = (name: string) => {
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return url.toString()
}

/** Creates an empty scratch database `pw_bench_<pid>_<suffix>` and returns its URL. */
export const createScratchDatabase = async (suffix: string): Promise<string> => {
  const name = `pw_bench_${process.pid}_${suffix}`
  await psql(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  await psql(serverUrl, `CREATE DATABASE ${name}`)
  created.add(name)
  return withDatabase(name)
}

/** Drops a scratch database made by `createScratchDatabase` (closing its connections). */
export const dropScratchDatabase = async (url: string) => {
  const name = new URL(url).pathname.slice(1)
  await psql(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  created.delete(name)
}

/** Drops every scratch database still present; errors are reported, not thrown. */
export const dropAllScratchDatabases = async (report: (message: string) => void) => {
  for (const name of [...created]) {
    try {
      await dropScratchDatabase(withDatabase(name))
    } catch (error) {
      report(`could not drop ${name}: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
}
