import { Args, Command, Options } from "@effect/cli"
import { TaskRunId } from "@pipeweave/domain/Ids"
import type { TaskRun } from "@pipeweave/domain/TaskRun"
import { Console, Effect, Option, Schema } from "effect"
import { apiOptions } from "../ApiOptions.js"
import { CliFailure } from "../CliFailure.js"
import { type LogEntry, parseLogLines, renderLogLine } from "../LogLines.js"
import { callOrchestrator, type OrchestratorClient, readStorage } from "../OrchestratorClient.js"

const isTaskRunId: (id: string) => boolean = Schema.is(TaskRunId)

const attemptOption = Options.integer("attempt").pipe(
  Options.withSchema(Schema.Number.pipe(Schema.int(), Schema.positive({ message: () => "--attempt must be 1 or more" }))),
  Options.optional,
  Options.withDescription("Only the lines of this attempt (1 is the first)")
)

const checkAttempt = (run: TaskRun, attempt: Option.Option<number>): Effect.Effect<void, CliFailure> =>
  Option.match(attempt, {
    onNone: () => Effect.void,
    onSome: (n) =>
      n <= run.attempt
        ? Effect.void
        : Effect.fail(CliFailure.usage(
          run.attempt === 0
            ? `${run.runId} has not started an attempt yet; leave out --attempt`
            : `${run.runId} has had ${run.attempt} attempt(s); --attempt must be 1-${run.attempt}`
        ))
  })

const fetchRun = (id: string) => (client: OrchestratorClient) =>
    client.queue.taskRun({ path: { id } }).pipe(
      Effect.catchTag("NotFound", () =>
        Effect.fail(CliFailure.failed(
          `no task run ${id} on this orchestrator (check the id: \`pipeweave items\` lists task runs, ` +
            "`pipeweave status prun_…` those of a pipeline run)"
        )))
    )

const noLines = (run: TaskRun, attempt: Option.Option<number>): string => {
  const which = Option.match(attempt, { onNone: () => run.runId, onSome: (n) => `attempt ${n} of ${run.runId}` })
  const why = isRunning(run) ? "; a running attempt's lines are stored when it ends" : ""
  return `${which} has no log lines (status ${run.status})${why}`
}

const isRunning = (run: TaskRun): boolean => run.status === "running" || run.status === "dispatching"

const printLines = (entries: ReadonlyArray<LogEntry>, json: boolean, withAttempt: boolean, raw: ReadonlyArray<string>) =>
  Effect.forEach(entries, (entry, i) => Console.log(json ? raw[i]! : renderLogLine(entry, withAttempt)), { discard: true })

/** `pipeweave logs <trun_…> [--attempt n]`: the lines the task's handler wrote with `ctx.log`. */
export const LogsCommand = Command.make(
  "logs",
  {
    ...apiOptions,
    id: Args.text({ name: "taskRunId" }).pipe(Args.withDescription("A task run id (trun_…)")),
    attempt: attemptOption
  },
  (options) =>
    Effect.gen(function*() {
      const id: string = options.id
      if (!isTaskRunId(id)) {
        return yield* CliFailure.usage(
          id.startsWith("prun_")
            ? `logs takes a task run id (trun_…); \`pipeweave status ${id}\` lists the task runs of that pipeline run`
            : `"${id}" is not a task run id (trun_ followed by letters and digits)`
        )
      }
      const run = yield* callOrchestrator(options, fetchRun(options.id))
      yield* checkAttempt(run, options.attempt)
      if (run.logsPath === null) return yield* Console.error(noLines(run, options.attempt))
      const stored = yield* readStorage(options, run.logsPath)
      const text = typeof stored.content === "string" ? stored.content : ""
      const raw = text.split("\n").filter((line) => line.trim() !== "")
      const entries = parseLogLines(text)
      const keep = entries.map((entry) => Option.match(options.attempt, { onNone: () => true, onSome: (n) => entry.attempt === n }))
      const shown = entries.filter((_, i) => keep[i])
      if (shown.length === 0) return yield* Console.error(noLines(run, options.attempt))
      yield* printLines(shown, options.json, Option.isNone(options.attempt), raw.filter((_, i) => keep[i]))
    })
).pipe(Command.withDescription(
  "Print a task run's log lines (what its handler wrote with ctx.log, every attempt, oldest first) as " +
    "timestamp, level, [attempt] and message; --attempt n keeps one attempt, --json prints the stored JSON lines"
))
