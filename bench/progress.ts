const started = performance.now()

/** A progress line on stderr (stdout is kept for the results), prefixed with the elapsed time. */
export const progress = (message: string) => {
  process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${message}\n`)
}

/** Seconds since the bench started. */
export const elapsedSeconds = () => (performance.now() - started) / 1000
