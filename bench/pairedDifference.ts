import { median, percentile } from "./stats.js"

/** The median of paired differences (b − a) and its 95% bootstrap interval. */
export interface PairedDifference {
  readonly median: number
  readonly low: number
  readonly high: number
  /** Pairs where b was lower, of all pairs. */
  readonly bLower: number
  readonly pairs: number
}

/** A small deterministic generator (mulberry32), so the same samples give the same interval. */
const generator = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const RESAMPLES = 2_000

/**
 * `b[i] − a[i]` over pairs measured back to back: the median difference, and the 2.5th–97.5th
 * percentiles of the medians of `RESAMPLES` resamples of the pairs (with replacement). An interval
 * that holds 0 is no difference this sample can tell.
 */
export const pairedDifference = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): PairedDifference => {
  if (a.length !== b.length || a.length === 0) throw new Error(`paired samples must be as long and not empty (${a.length}, ${b.length})`)
  const differences = a.map((x, i) => b[i]! - x)
  const random = generator(0x5eed)
  const medians = Array.from({ length: RESAMPLES }, () =>
    median(Array.from({ length: differences.length }, () => differences[Math.floor(random() * differences.length)]!)))
  return {
    median: median(differences),
    low: percentile(medians, 2.5),
    high: percentile(medians, 97.5),
    bLower: differences.filter((d) => d < 0).length,
    pairs: differences.length
  }
}
