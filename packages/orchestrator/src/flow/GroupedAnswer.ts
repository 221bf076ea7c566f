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
 * line first, then one line per finished item. Lines that do not decode are skipped (the items
 * they would have settled count as lost when the answer ends).
 */
export const readGroupedAnswer = <E>(body: Stream.Stream<Uint8Array, E>, handlers: GroupedAnswerHandlers) => {
  let first = true
  return body.pipe(
    Stream.decodeText(),
    Stream.splitLines,
    Stream.runForEach((line) => {
      if (line.length === 0) return Effect.void
      if (first) {
        first = false
        const results = decodeResults(line)
        return Either.isLeft(results)
          ? Effect.void
          : Effect.forEach(
            results.right.results,
            (decision, index) => handlers.onDecision(index, decision.runId, decision.status, decision.error),
            { discard: true }
          )
      }
      const done = decodeDone(line)
      return Either.isLeft(done) ? Effect.void : handlers.onDone(done.right.done.runId)
    })
  )
}
