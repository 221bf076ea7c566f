import { plainDecoder, plainEncoder } from "@pipeweave/domain/PlainDecode"
import { Effect, Either, Option, type ParseResult, Schema } from "effect"

/** A statement's request, its rows' schema, and how it runs: what `SqlSchema`'s constructors take. */
export interface TypedQuery<IA, II, A, AI, R, E> {
  readonly Request: Schema.Schema<IA, II>
  readonly Result: Schema.Schema<A, AI>
  readonly execute: (request: II) => Effect.Effect<ReadonlyArray<unknown>, E, R>
}

/**
 * `SqlSchema.findAll` and `findOne` of `@effect/sql`, with the same answers, for the statements on
 * the hot path: a request that encodes to itself and rows that decode to themselves (every column
 * declared, none transformed) are taken as they are (`plainDecoder`), not rebuilt by Effect's
 * parser; any other goes through it.
 */
export const findAll = <IA, II, A, AI, R, E>(options: TypedQuery<IA, II, A, AI, R, E>) => {
  const encodeRequest = plainEncoder(options.Request)
  const decodeRow = plainDecoder(options.Result)
  const decodeAll = Schema.decodeUnknownEither(Schema.Array(options.Result))
  // Row by row, so that one row the parser must rebuild leaves the others as they are; a row that
  // does not decode is reported as the whole array's decoding reports it.
  const decode = (rows: ReadonlyArray<unknown>): Either.Either<ReadonlyArray<A>, ParseResult.ParseError> => {
    if (!Array.isArray(rows)) return decodeAll(rows)
    const decoded: Array<A> = []
    for (const row of rows) {
      const one = decodeRow(row)
      if (Either.isLeft(one)) return decodeAll(rows)
      decoded.push(one.right)
    }
    return Either.right(decoded)
  }
  return (request: IA): Effect.Effect<ReadonlyArray<A>, E | ParseResult.ParseError, R> =>
    Effect.flatMap(Effect.flatMap(encodeRequest(request), options.execute), decode)
}

/** `SqlSchema.findOne`, as `findAll` is `SqlSchema.findAll`: the first row, if any. */
export const findOne = <IA, II, A, AI, R, E>(options: TypedQuery<IA, II, A, AI, R, E>) => {
  const encodeRequest = plainEncoder(options.Request)
  const decode = plainDecoder(options.Result)
  return (request: IA): Effect.Effect<Option.Option<A>, E | ParseResult.ParseError, R> =>
    Effect.flatMap(
      Effect.flatMap(encodeRequest(request), options.execute),
      (rows) => Array.isArray(rows) && rows.length > 0 ? Effect.map(decode(rows[0]), Option.some) : Effect.succeedNone
    )
}
