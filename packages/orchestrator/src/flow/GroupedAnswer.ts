import { GroupedDone, GroupedResults } from "@pipeweave/domain/Dispatch"
import { plainDecoder } from "@pipeweave/domain/PlainDecode"
import { Effect, Either, type ParseResult, Stream } from "effect"
import type { GroupExchangeError } from "./PostGroupToWorker.js"

/** A line of the answer as JSON decoded by `decode`; `undefined` when it is not JSON or does not decode. */
const lineDecoder = <A>(decode: (json: unknown) => Either.Either<A, ParseResult.ParseError>) => (line: string): A | undefined => {
  let json: unknown
  try {
    json = JSON.parse(line)
  } catch {
    return undefined
  }
  return Either.getOrUndefined(decode(json))
}

const decodeResults = lineDecoder(plainDecoder(GroupedResults))
const decodeDone = lineDecoder(plainDecoder(GroupedDone))

/** What `readGroupedAnswer` reports as the lines of a grouped dispatch's answer arrive. */
export interface GroupedAnswerHandlers {
  /** The worker's decision for the `index`-th item of the request. */
  readonly onDecision: (index: number, runId: string, status: number, error: string | undefined) => Effect.Effect<void>
  /** An accepted item finished. */
  readonly onDone: (runId: string) => Effect.Effect<void>
  /** After the lines that arrived together were handled (and at the end of the answer). */
  readonly afterLines?: () => Effect.Effect<void>
}

/**
 * The longest line a grouped dispatch's answer may have: its lines are a few hundred bytes, so a
 * longer one is a broken or hostile worker, and the answer is cut off rather than buffered.
 */
export const MAX_ANSWER_LINE_CHARS = 1_048_576

/** Why an answer was cut off: a line longer than `MAX_ANSWER_LINE_CHARS` (read as a lost connection). */
export const lineTooLong = (url: string): GroupExchangeError => ({
  _tag: "ResponseError",
  message: `answer of POST ${url} cut off: a line is longer than ${MAX_ANSWER_LINE_CHARS} characters`,
  cause: undefined
})

/**
 * The newline-delimited text of an answer, as its bytes arrive: each call of `push` returns the
 * lines its text completed (without their `\r\n` or `\n`); `end` returns the last, unterminated one;
 * `overlong` tells whether the line not yet ended is past `MAX_ANSWER_LINE_CHARS`.
 */
export const lineSplitter = () => {
  const decoder = new TextDecoder()
  let partial = ""
  const split = (text: string): Array<string> => {
    partial += text
    const lines: Array<string> = []
    for (let end = partial.indexOf("\n"); end >= 0; end = partial.indexOf("\n")) {
      lines.push(partial.slice(0, end > 0 && partial[end - 1] === "\r" ? end - 1 : end))
      partial = partial.slice(end + 1)
    }
    return lines
  }
  return {
    push: (bytes: Uint8Array) => split(decoder.decode(bytes, { stream: true })),
    end: () => split(`${decoder.decode()}\n`),
    overlong: () => partial.length > MAX_ANSWER_LINE_CHARS
  }
}

/** The effects `lines` call for, in order, run one after another (most are nothing). */
const linesHandler = (handlers: GroupedAnswerHandlers) => {
  let first = true
  return (lines: ReadonlyArray<string>): Effect.Effect<void> => {
    let effect: Effect.Effect<void> = Effect.void
    const then = (next: Effect.Effect<void>) => {
      if (next !== Effect.void) effect = effect === Effect.void ? next : Effect.zipRight(effect, next)
    }
    for (const line of lines) {
      if (line.length === 0) continue
      if (first) {
        first = false
        const results = decodeResults(line)
        if (results !== undefined) {
          for (const [index, decision] of results.results.entries()) {
            then(handlers.onDecision(index, decision.runId, decision.status, decision.error))
          }
        }
        continue
      }
      const done = decodeDone(line)
      if (done !== undefined) then(handlers.onDone(done.done.runId))
    }
    if (handlers.afterLines !== undefined) then(handlers.afterLines())
    return effect
  }
}

/**
 * Reads the newline-delimited answer of `POST {workerUrl}/dispatches` to its end: the decisions
 * line first, then one line per finished item, each handled as soon as the bytes that end it
 * arrive. Lines that do not decode are skipped (the items they would have settled count as lost
 * when the answer ends). For an answer as a `Stream` (`HttpClient`'s, when traced); an untraced
 * dispatch reads Node's response directly (`readGroupedLines`).
 */
export const readGroupedAnswer = <E>(body: Stream.Stream<Uint8Array, E>, handlers: GroupedAnswerHandlers, url: string) => {
  const lines = lineSplitter()
  const handle = linesHandler(handlers)
  return Effect.zipRight(
    Stream.runForEach(body, (bytes) => {
      const completed = lines.push(bytes)
      return lines.overlong() ? Effect.fail(lineTooLong(url)) : handle(completed)
    }),
    Effect.suspend(() => handle(lines.end()))
  )
}

/**
 * `readGroupedAnswer` over `next`, which gives the lines completed since its last call (waiting
 * for at least one) and `undefined` once the answer has ended.
 */
export const readGroupedLines = <E>(
  next: Effect.Effect<ReadonlyArray<string> | undefined, E>,
  handlers: GroupedAnswerHandlers
): Effect.Effect<void, E> => {
  const handle = linesHandler(handlers)
  const loop: Effect.Effect<void, E> = Effect.flatMap(next, (lines) =>
    lines === undefined ? Effect.void : Effect.zipRight(handle(lines), loop))
  return loop
}
