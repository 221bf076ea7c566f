/**
 * Regenerates the embedded database template for the installed PGlite:
 * `npx tsx packages/orchestrator/src/sql/WritePgliteTemplate.ts` (then delete the old version's file).
 */
import { writeTemplate } from "./PgliteTemplate.js"

const started = performance.now()
const out = await writeTemplate()
process.stdout.write(`wrote ${out} in ${((performance.now() - started) / 1000).toFixed(1)} s\n`)
