/** Nearest-rank percentile (`p` in 0–100) of a non-empty sample. */
export const percentile = (values: ReadonlyArray<number>, p: number): number => {
  if (values.length === 0) throw new Error("percentile of an empty sample")
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
}

export const median = (values: ReadonlyArray<number>): number => percentile(values, 50)
