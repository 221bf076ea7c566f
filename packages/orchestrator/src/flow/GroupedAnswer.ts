import { GroupedDone, GroupedResults } from "@pipeweave/domain/Dispatch"
import { Effect, Either, Schema, Stream } from "effect"

const decodeResults = Schema.decodeUnknownEither(Schema.parseJson(GroupedResults))
const decodeDone = Schema.decodeUnknownEither(Schema.parseJson(GroupedDone))

/** What `readGroupedAnswer` reports as the lines of a grouped dispatch's answer arrive. */
export interface GroupedAnswerHandlers {
  /** The worker's decision for the `index`-th item of the request. */
  readonly onDecision: (index: number, runId: string, status: number, error: string | undefined) => Effect.Effect<void>
  /** An accepted item finished. */
  readonly onDone: (runId: string) => Effect.Effect<void>
}

/**
 * Reads the newline-delimited answer of `POST {workerUrl}/dispatches` to its end: the decisions
 * line first, then one line per finished item, each handled as soon as the bytes that end it
 * arrive. Lines that do not decode are skipped (the items they would have settled count as lost
 * when the answer ends). The lines are split here, per chunk, rather than by stream stages per
 * line: this runs for every grouped dispatch.
 */
export const readGroupedAnswer = <E>(body: Stream.Stream<Uint8Array, E>, handlers: GroupedAnswerHandlers) => {
  const decoder = new TextDecoder()
  let first = true
  let partial = ""

  const handleLine = (line: string): Effect.Effect<void> | undefined => {
    if (line.length === 0) return undefined
    if (first) {
      first = false
      const results = decodeResults(line)
      return Either.isLeft(results)
        ? undefined
        : Effect.forEach(
          results.right.results,
          (decision, index) => handlers.onDecision(index, decision.runId, decision.status, decision.error),
          { discard: true }
        )
    }
    const done = decodeDone(line)
    return Either.isLeft(done) ? undefined : handlers.onDone(done.right.done.runId)
  }

  /** Handles the lines `text` completes; keeps the unfinished rest for the next chunk. */
  const handleText = (text: string): Effect.Effect<void> => {
    partial += text
    const handled: Array<Effect.Effect<void>> = []
    for (let end = partial.indexOf("\n"); end >= 0; end = partial.indexOf("\n")) {
      const line = partial.slice(0, end > 0 && partial[end - 1] === "\r" ? end - 1 : end)
      partial = partial.slice(end + 1)
      const effect = handleLine(line)
      if (effect !== undefined) handled.push(effect)
    }
    return handled.length === 0 ? Effect.void : Effect.all(handled, { discard: true })
  }

  return Effect.zipRight(
    Stream.runForEach(body, (bytes) => handleText(decoder.decode(bytes, { stream: true }))),
    Effect.suspend(() => handleText(`${decoder.decode()}\n`))
  )
}
