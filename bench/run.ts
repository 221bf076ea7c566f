/**
 * `npm run bench` (`-- --json` for JSON on stdout): graphile-worker and PipeWeave (compiled
 * orchestrator + SDK worker, on PostgreSQL and on the embedded database) with the same no-op
 * work on the same machine and PostgreSQL server, then PipeWeave's claim and queue status with
 * growing backlogs, and the CLI's start-up beside `node -e 0`. Progress goes to stderr. Knobs: see `settings.ts`.
 */
import { availableParallelism, loadavg } from "node:os"
import { killAllChildren } from "./children.js"
import { measureCli } from "./cli.js"
import { graphilePeer } from "./graphile.js"
import { measurePipeWeave } from "./pipeweave.js"
import { dropAllScratchDatabases } from "./postgres.js"
import { removeDataDirs } from "./processes.js"
import { elapsedSeconds, progress } from "./progress.js"
import { report } from "./report.js"
import { type BenchResults, type Outcome, valueOf } from "./results.js"
import { measureScale } from "./scale.js"
import { readSettings } from "./settings.js"
import { targets } from "./targets.js"

const json = process.argv.includes("--json")

const cleanUp = async () => {
  await killAllChildren()
  await dropAllScratchDatabases(progress)
  await removeDataDirs()
  progress(`cleaned up; ${elapsedSeconds().toFixed(0)} s in all`)
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    progress(`${signal}: stopping`)
    cleanUp().finally(() => process.exit(130))
  })
}

const section = async <A>(name: string, enabled: boolean, run: () => Promise<A>): Promise<Outcome<A> | null> => {
  if (!enabled) return null
  progress(`${name}…`)
  const started = performance.now()
  const seconds = () => (performance.now() - started) / 1000
  try {
    const value = await run()
    progress(`${name} done in ${seconds().toFixed(0)} s`)
    return { ok: true, seconds: seconds(), value }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    progress(`${name} FAILED: ${message}`)
    await killAllChildren()
    return { ok: false, seconds: seconds(), error: message }
  }
}

const main = async (): Promise<number> => {
  const settings = readSettings()
  const startedAt = new Date().toISOString()
  const loadAtStart = loadavg()[0]!
  const has = (name: string) => settings.sections.has(name)
  const peer = graphilePeer(settings)
  const graphile = await section("graphile-worker", has("graphile"), () => peer.measure())
  const paired = graphile?.ok === true ? peer : undefined
  const postgres = await section("PipeWeave on PostgreSQL", has("postgres"), () => measurePipeWeave("postgres", settings, paired))
  const pglite = await section("PipeWeave on the embedded database", has("pglite"), () => measurePipeWeave("pglite", settings, paired))
  await peer.stop()
  const scale = await section("backlog (PostgreSQL)", has("scale"), () => measureScale(settings))
  const cli = await section("CLI start-up", has("cli"), () => measureCli(settings))
  const results: BenchResults = {
    startedAt,
    machine: {
      cpus: availableParallelism(),
      node: process.versions.node,
      loadAverage: { start: loadAtStart, end: loadavg()[0]! }
    },
    settings: { ...settings, sections: [...settings.sections] },
    graphile,
    postgres,
    pglite,
    scale,
    cli,
    targets: targets({
      graphile: valueOf(graphile),
      postgres: valueOf(postgres),
      pglite: valueOf(pglite),
      scale: valueOf(scale),
      cli: valueOf(cli)
    }),
    wallSeconds: elapsedSeconds()
  }
  process.stdout.write(json ? `${JSON.stringify(results, null, 2)}\n` : `\n${report(results)}\n`)
  return [graphile, postgres, pglite, scale, cli].some((o) => o !== null && !o.ok) ? 1 : 0
}

let code = 1
try {
  code = await main()
} catch (error) {
  progress(`bench failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`)
} finally {
  await cleanUp()
}
process.exit(code)
