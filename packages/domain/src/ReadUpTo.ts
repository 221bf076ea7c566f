import type { Readable } from "node:stream"
import { Effect, Option } from "effect"

/**
 * Reads `source` (a request body, say) to its end, up to `maxBytes`: None as soon as it grows past
 * them (reading stops and nothing more is kept). Listens to the stream directly: a request body
 * of a few kilobytes is there in one event.
 */
export const readUpTo = (source: Readable, maxBytes: number): Effect.Effect<Option.Option<Buffer>, Error> =>
  Effect.async<Option.Option<Buffer>, Error>((resume) => {
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
        resume(Effect.succeed(Option.none()))
      } else {
        chunks.push(chunk)
      }
    }
    const onEnd = () => {
      stop()
      resume(Effect.succeed(Option.some(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks))))
    }
    const onError = (error: Error) => {
      stop()
      resume(Effect.fail(error))
    }
    source.on("data", onData)
    source.once("end", onEnd)
    source.once("error", onError)
    return Effect.sync(stop)
  })
