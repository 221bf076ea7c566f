import { Clock, Console, Effect, Option } from "effect"
import { DEFAULT_ORCHESTRATOR_URL } from "./ApiOptions.js"
import { CliFailure } from "./CliFailure.js"
import { formatElapsed } from "./DurationText.js"
import { changeLines, frameLines, type LiveRun } from "./LiveView.js"
import { redraw, redrawsInPlace } from "./TerminalFrame.js"

/** How `followRun` waits. */
export interface FollowSettings {
  readonly intervalMs: number
  /** Stop waiting after this long (exit 124); the run goes on. */
  readonly timeoutMs: Option.Option<number>
  /** Show no live view (`--json`). */
  readonly quiet: boolean
  /** The orchestrator, for the command that follows the run again. */
  readonly url: string
}

/** The command that picks the run up again. */
export const followCommand = (id: string, url: string): string =>
  `pipeweave status ${id} --watch${url === DEFAULT_ORCHESTRATOR_URL ? "" : ` --url ${url}`}`

/**
 * Polls `fetch` every `intervalMs` until `ended`, showing the live view on stderr: redrawn in
 * place on an interactive terminal, else one line per change. When `--timeout` runs out it says
 * the run continues and how to follow it, and fails with exit code 124; when interrupted (Ctrl+C)
 * it says the same before the interruption goes on (exit code 130).
 */
export const followRun = <A, E, R>(
  id: string,
  fetch: Effect.Effect<A, E, R>,
  view: (value: A) => LiveRun,
  ended: (value: A) => boolean,
  settings: FollowSettings
): Effect.Effect<A, E | CliFailure, R> =>
  Effect.suspend(() => {
    const inPlace = !settings.quiet && redrawsInPlace({
      stdoutIsTty: process.stdout.isTTY === true,
      stderrIsTty: process.stderr.isTTY === true,
      env: process.env
    })
    const width = process.stderr.columns
    let previous: LiveRun | undefined
    let height = 0

    const show = (value: A) =>
      Effect.gen(function*() {
        const live = view(value)
        const now = new Date(yield* Clock.currentTimeMillis)
        if (inPlace) {
          const lines = frameLines(live, now, width)
          yield* Console.error(redraw(height, lines))
          height = lines.length
        } else if (!settings.quiet) {
          yield* Effect.forEach(changeLines(previous, live, now), (line) => Console.error(line), { discard: true })
        }
        previous = live
      })

    const poll: Effect.Effect<A, E, R> = Effect.flatMap(fetch, (value) =>
      Effect.zipRight(
        show(value),
        ended(value) ? Effect.succeed(value) : Effect.zipRight(Effect.sleep(settings.intervalMs), Effect.suspend(() => poll))
      ))

    const continues = `${id} continues on the orchestrator; follow it with: ${followCommand(id, settings.url)}`
    const bounded: Effect.Effect<A, E | CliFailure, R> = Option.match(settings.timeoutMs, {
      onNone: () => poll,
      onSome: (ms) =>
        Effect.raceFirst(
          poll,
          Effect.sleep(ms).pipe(
            Effect.zipRight(Effect.suspend(() =>
              Console.error(
                `stopped waiting after ${formatElapsed(ms)} (--timeout): ${id} is still ${previous?.status ?? "running"}. ${continues}`
              )
            )),
            Effect.zipRight(Effect.fail(CliFailure.exit(124)))
          )
        )
    })
    return Effect.onInterrupt(bounded, () => Console.error(`${inPlace ? "\n" : ""}stopped waiting (interrupted): ${continues}`))
  })
