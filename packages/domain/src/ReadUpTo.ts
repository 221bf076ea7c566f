import type { Readable } from "node:stream"
import { Effect, Option } from "effect"

/** How reading a body up to a size ended: its bytes, past the size (reading stopped), or the stream's error. */
export type BodyRead =
  | { readonly _tag: "Read"; readonly body: Buffer }
  | { readonly _tag: "TooLarge" }
  | { readonly _tag: "Failed"; readonly error: Error }

/**
 * Reads `source` (a request body, say) to its end, up to `maxBytes`, and calls `done` once with how
 * it ended: `TooLarge` as soon as it grows past them (reading stops and nothing more is kept).
 * Listens to the stream directly: a request body of a few kilobytes is there in one event. Returns
 * what stops listening.
 */
export const onBodyUpTo = (source: Readable, maxBytes: number, done: (read: BodyRead) => void): () => void => {
  const chunks: Array<Buffer> = []
  let size = 0
  const stop = () => {
    source.off("data", onData)
    source.off("end", onEnd)
    source.off("error", onError)
  }
  const onData = (chunk: Buffer) => {
    size += chunk.length
    if (size > maxBytes) {
      stop()
      source.pause()
      done({ _tag: "TooLarge" })
    } else {
      chunks.push(chunk)
    }
  }
  const onEnd = () => {
    stop()
    done({ _tag: "Read", body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) })
  }
  const onError = (error: Error) => {
    stop()
    done({ _tag: "Failed", error })
  }
  source.on("data", onData)
  source.once("end", onEnd)
  source.once("error", onError)
  return stop
}

/** `onBodyUpTo` as an effect: the body, or None past `maxBytes`; fails with the stream's error. */
export const readUpTo = (source: Readable, maxBytes: number): Effect.Effect<Option.Option<Buffer>, Error> =>
  Effect.async<Option.Option<Buffer>, Error>((resume) => {
    const stop = onBodyUpTo(source, maxBytes, (read) => {
      switch (read._tag) {
        case "Read":
          return resume(Effect.succeed(Option.some(read.body)))
        case "TooLarge":
          return resume(Effect.succeed(Option.none()))
        case "Failed":
          return resume(Effect.fail(read.error))
      }
    })
    return Effect.sync(stop)
  })
