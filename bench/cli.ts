import { spawnNode } from "./children.js"
import { makeDataDir, startOrchestrator } from "./processes.js"
import { progress } from "./progress.js"
import type { Settings } from "./settings.js"
import { median } from "./stats.js"

/** The `pipeweave` bin as `npm pack` ships it (`npm run build` bundles it). */
const PIPEWEAVE = "packages/cli/dist/bundle/pipeweave.mjs"

export interface CliResult {
  readonly samples: number
  /** Medians of wall time from spawn to exit. */
  readonly nodeMs: number
  readonly versionMs: number
  readonly servicesMs: number
  /** `import("@pipeweave/sdk")` in a fresh process (the built SDK): what every worker pays before its first line. */
  readonly sdkImportMs: number
}

/** Wall time from spawn to exit of `node <args>` (with `cacheHome` as `XDG_CACHE_HOME`); fails unless it exits 0. */
const timed = async (args: ReadonlyArray<string>, cacheHome: string): Promise<number> => {
  const started = performance.now()
  const child = spawnNode(`node ${args.join(" ")}`, args, { NO_COLOR: "1", XDG_CACHE_HOME: cacheHome })
  const code = await new Promise<number | null>((resolve) => child.process.once("exit", (c) => resolve(c)))
  const ms = performance.now() - started
  if (code !== 0) throw new Error(`node ${args.join(" ")} exited ${code}:\n${child.output()}`)
  return ms
}

/**
 * `pipeweave --version` and `pipeweave services` (against an orchestrator on the embedded database)
 * from the bundled bin, and an import of the built SDK (a worker's start before its own code),
 * beside `node -e 0`, interleaved so load changes hit all four alike; one
 * untimed round first (file cache, and the bin's code cache, kept in a directory of the bench's own
 * rather than the user's `~/.cache/pipeweave`).
 */
export const measureCli = async (settings: Settings): Promise<CliResult> => {
  const orchestrator = await startOrchestrator({}, makeDataDir())
  const cacheHome = makeDataDir()
  try {
    const commands = [
      ["-e", "0"],
      [PIPEWEAVE, "--version"],
      [PIPEWEAVE, "services", "--url", orchestrator.url],
      ["--input-type=module", "-e", `await import("@pipeweave/sdk")`]
    ]
    const samples: Array<Array<number>> = commands.map(() => [])
    for (let round = 0; round <= settings.cliSamples; round++) {
      for (const [i, args] of commands.entries()) {
        const ms = await timed(args, cacheHome)
        if (round > 0) samples[i]!.push(ms)
      }
      if (round > 0) progress(`cli round ${round}/${settings.cliSamples}`)
    }
    const [nodeMs, versionMs, servicesMs, sdkImportMs] = samples.map(median) as [number, number, number, number]
    return { samples: settings.cliSamples, nodeMs, versionMs, servicesMs, sdkImportMs }
  } finally {
    await orchestrator.child.stop()
  }
}
