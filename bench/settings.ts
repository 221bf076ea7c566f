/** The bench's knobs, from environment variables; the defaults keep one run under ~10 minutes. */
export interface Settings {
  /** No-op tasks (jobs) in each throughput phase, the same for every system. */
  readonly tasks: number
  /** Timed graphile-worker throughput repetitions of `tasks` jobs (the median is reported). */
  readonly graphileRepeats: number
  /** Timed PipeWeave throughput repetitions of `tasks` tasks per database (medians are reported). */
  readonly repeats: number
  /**
   * Untimed no-op tasks (jobs) through the throughput path before anything is timed, for every
   * system alike, so that latency and throughput are measured warm (connection pools, JIT). The
   * orchestrator's CPU per task keeps falling for its first ~5,000 tasks (0.56 → 0.28–0.34 ms over
   * ten phases of 1,000 after a warm-up of 100) while graphile-worker is at its pace after its first
   * 1,000: with a shorter warm-up the timed phases measure PipeWeave's JIT warming up.
   */
  readonly warmup: number
  /** Queue→start samples, one task at a time (after `pathWarmup` untimed ones). */
  readonly latencySamples: number
  /** 5-task pipeline runs, one at a time (after `pathWarmup / 10` untimed ones). */
  readonly pipelineSamples: number
  /**
   * Untimed queue→start probes before the timed ones, for every system alike: a probe takes another
   * path than the throughput warm-up's batches (one task queued, one dispatched), which has to be
   * warm too for a steady-state figure.
   */
  readonly pathWarmup: number
  /** Runs queued through the API (no worker) before the RSS reading; 0 skips it. */
  readonly queued: number
  /** Queuing stops after this many seconds; the backlog is then completed with SQL. */
  readonly queuedBudgetSeconds: number
  /** Pending-run counts of the scale check. */
  readonly scaleSizes: ReadonlyArray<number>
  /** Timed claims and queue-status calls per size (after one untimed call). */
  readonly scaleSamples: number
  /** Runs per claim in the scale check (the scheduler claims at most `MAX_CONCURRENCY`, 10). */
  readonly claimLimit: number
  /** Timed runs of each CLI command (after one untimed round; the median is reported). */
  readonly cliSamples: number
  /** Sections to run: graphile, postgres, pglite, scale, cli. */
  readonly sections: ReadonlySet<string>
}

export const SECTIONS = ["graphile", "postgres", "pglite", "scale", "cli"] as const

export const count = (name: string, fallback: number, min: number): number => {
  const raw = process.env[name]?.trim()
  if (raw === undefined || raw === "") return fallback
  const value = Number(raw)
  if (!Number.isSafeInteger(value) || value < min) throw new Error(`${name} must be an integer >= ${min} (got "${raw}")`)
  return value
}

const list = (name: string, fallback: string): ReadonlyArray<string> =>
  (process.env[name]?.trim() || fallback).split(",").map((s) => s.trim()).filter((s) => s.length > 0)

export const readSettings = (): Settings => {
  const sections = new Set(list("BENCH_SECTIONS", SECTIONS.join(",")))
  for (const section of sections) {
    if (!(SECTIONS as ReadonlyArray<string>).includes(section)) {
      throw new Error(`BENCH_SECTIONS: unknown section "${section}" (known: ${SECTIONS.join(", ")})`)
    }
  }
  const scaleSizes = list("BENCH_SCALE_SIZES", "1000,100000,1000000").map(Number)
  if (scaleSizes.some((n) => !Number.isSafeInteger(n) || n < 1)) throw new Error("BENCH_SCALE_SIZES must list positive integers")
  return {
    tasks: count("BENCH_TASKS", 1000, 1),
    graphileRepeats: count("BENCH_GRAPHILE_REPEATS", 3, 1),
    repeats: count("BENCH_REPEATS", 5, 1),
    warmup: count("BENCH_WARMUP", 5000, 0),
    latencySamples: count("BENCH_LATENCY_SAMPLES", 100, 1),
    pipelineSamples: count("BENCH_PIPELINE_SAMPLES", 30, 1),
    pathWarmup: count("BENCH_PATH_WARMUP", 100, 0),
    queued: count("BENCH_QUEUED", 100_000, 0),
    queuedBudgetSeconds: count("BENCH_QUEUED_BUDGET_S", 120, 1),
    scaleSizes: [...scaleSizes].sort((a, b) => a - b),
    scaleSamples: count("BENCH_SCALE_SAMPLES", 25, 1),
    claimLimit: count("BENCH_CLAIM_LIMIT", 10, 1),
    cliSamples: count("BENCH_CLI_SAMPLES", 9, 1),
    sections
  }
}
