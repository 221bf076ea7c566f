/** Console rendering of a pipeline run for `npm start`: the summary and a task timeline. */

const WIDTH = 40

export const printSummary = (summary: any) => {
  console.log("\n[start] summary:")
  console.log(`  words: ${summary.wordCount}, tables included: ${summary.tablesIncluded}`)
  if (Array.isArray(summary.keywords)) {
    console.log(`  keywords: ${summary.keywords.map((k: any) => (typeof k === "string" ? k : k.word)).join(", ")}`)
  }
  for (const sentence of summary.sentences ?? summary.topSentences ?? []) {
    console.log(`  • ${typeof sentence === "string" ? sentence : sentence.text}`)
  }
  if (summary.tables) console.log(`  tables: ${JSON.stringify(summary.tables)}`)
}

export const printTimeline = (run: any) => {
  const start = Date.parse(run.createdAt)
  const end = Date.parse(run.completedAt)
  const span = Math.max(1, end - start)
  console.log(`\n[start] timeline of ${run.runId} (${end - start} ms, version ${run.pipelineVersion}):`)
  for (const task of run.tasks) {
    if (!task.startedAt || !task.completedAt) {
      console.log(`  ${task.taskId.padEnd(15)} ${"".padEnd(WIDTH)} ${task.status}`)
      continue
    }
    const from = Math.round(((Date.parse(task.startedAt) - start) / span) * WIDTH)
    const to = Math.max(from + 1, Math.round(((Date.parse(task.completedAt) - start) / span) * WIDTH))
    const bar = " ".repeat(from) + "█".repeat(to - from)
    console.log(
      `  ${task.taskId.padEnd(15)} ${bar.padEnd(WIDTH)} ${String(Date.parse(task.startedAt) - start).padStart(5)}–${
        String(Date.parse(task.completedAt) - start).padStart(5)
      } ms  ${task.status}, v${task.codeVersion}`
    )
  }
}
