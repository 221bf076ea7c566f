import { Either, Option, type ParseResult, Schema, SchemaAST as AST } from "effect"

/** What decoding a value against a schema does, as far as `verdict` can tell without decoding it. */
const enum Verdict {
  /** The decoding fails. */
  Refused,
  /** The decoding succeeds and returns a value equal to the input: every field as given, none added or dropped. */
  Unchanged,
  /** Anything else, or it cannot tell: a transformation, an undeclared field, a union it cannot settle. */
  Unknown
}

const isRecord = (value: unknown): value is Record<PropertyKey, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/**
 * Whether `value` has the prototype of the parser's output (`prototype`: an object literal's or an
 * array's): only then can it be its own decoding (not a null-prototype object, a class instance).
 */
const hasPrototype = (value: object, prototype: object): boolean => Object.getPrototypeOf(value) === prototype

const NO_OPTIONS: AST.ParseOptions = {}

/** Both verdicts at once: refused if either is, unchanged only if both are. */
const both = (a: Verdict, b: Verdict): Verdict =>
  a === Verdict.Refused || b === Verdict.Refused ? Verdict.Refused : a === Verdict.Unchanged ? b : Verdict.Unknown

const tupleVerdict = (ast: AST.TupleType, value: unknown): Verdict => {
  if (!Array.isArray(value)) return Verdict.Refused
  if (ast.rest.length > 1 || (ast.rest.length === 0 && value.length > ast.elements.length)) return Verdict.Unknown
  let result = hasPrototype(value, Array.prototype) ? Verdict.Unchanged : Verdict.Unknown
  for (let i = 0; i < ast.elements.length; i++) {
    const element = ast.elements[i]!
    if (i >= value.length) {
      if (!element.isOptional) return Verdict.Refused
      continue
    }
    result = both(result, verdict(element.type, value[i]))
    if (result === Verdict.Refused) return result
  }
  const rest = ast.rest[0]?.type
  for (let i = ast.elements.length; rest !== undefined && i < value.length; i++) {
    result = both(result, verdict(rest, value[i]))
    if (result === Verdict.Refused) return result
  }
  return result
}

const typeLiteralVerdict = (ast: AST.TypeLiteral, value: unknown): Verdict => {
  if (ast.propertySignatures.length === 0 && ast.indexSignatures.length === 0) {
    return value === null || value === undefined ? Verdict.Refused : Verdict.Unchanged
  }
  if (!isRecord(value)) return Verdict.Refused
  let result = hasPrototype(value, Object.prototype) ? Verdict.Unchanged : Verdict.Unknown
  let declared = 0
  for (const ps of ast.propertySignatures) {
    if (!Object.prototype.hasOwnProperty.call(value, ps.name)) {
      if (ps.isOptional) continue
      // Decoded as `undefined` and then written to the output: a field added, unless refused.
      if (verdict(ps.type, undefined) === Verdict.Refused) return Verdict.Refused
      result = Verdict.Unknown
      continue
    }
    declared++
    result = both(result, verdict(ps.type, value[ps.name]))
    if (result === Verdict.Refused) return result
  }
  const keys = Reflect.ownKeys(value)
  if (ast.indexSignatures.length === 0) return keys.length === declared ? result : both(result, Verdict.Unknown)
  if (ast.indexSignatures.length > 1 || ast.propertySignatures.length > 0) return both(result, Verdict.Unknown)
  const signature = ast.indexSignatures[0]!
  for (const key of keys) {
    // A key the signature's parameter refuses is dropped from the output.
    if (typeof key !== "string" || verdict(signature.parameter, key) !== Verdict.Unchanged) return both(result, Verdict.Unknown)
    // The parser writes its output by assignment, and assigning `__proto__` sets the prototype.
    if (key === "__proto__") return both(result, Verdict.Unknown)
    result = both(result, verdict(signature.type, value[key]))
    if (result === Verdict.Refused) return result
  }
  return result
}

const unionVerdict = (ast: AST.Union, value: unknown): Verdict => {
  // Settled only when exactly one member accepts the value: which member the decoding tries first
  // then does not matter.
  let accepted = Verdict.Refused
  for (const member of ast.types) {
    const v = verdict(member, value)
    if (v === Verdict.Refused) continue
    if (accepted !== Verdict.Refused || v === Verdict.Unknown) return Verdict.Unknown
    accepted = v
  }
  return accepted
}

/**
 * A declaration without type parameters (`DateFromSelf`, a class's instances) answers by its own
 * decoding: unchanged when it succeeds with the very value given.
 */
type DeclarationDecoder = (value: unknown, options: AST.ParseOptions, ast: AST.AST) => unknown
const declarationDecoders = new WeakMap<AST.Declaration, DeclarationDecoder>()

const declarationVerdict = (ast: AST.Declaration, value: unknown): Verdict => {
  if (ast.typeParameters.length > 0) return Verdict.Unknown
  let decode = declarationDecoders.get(ast)
  if (decode === undefined) {
    decode = ast.decodeUnknown() as DeclarationDecoder
    declarationDecoders.set(ast, decode)
  }
  const decoded = decode(value, NO_OPTIONS, ast)
  if (!Either.isEither(decoded)) return Verdict.Unknown
  return Either.isLeft(decoded) ? Verdict.Refused : decoded.right === value ? Verdict.Unchanged : Verdict.Unknown
}

/**
 * A struct's fields with defaults or renames (`optionalWith`, `fromKey`): unchanged only when every
 * such field is there and its own transformation gives it back as it is (a default not needed).
 */
const transformationVerdict = (ast: AST.Transformation, value: unknown): Verdict => {
  const from = verdict(ast.from, value)
  // Any other transformation changes what it decodes, unless its encoded side refuses it first.
  if (ast.transformation._tag !== "TypeLiteralTransformation") return from === Verdict.Refused ? from : Verdict.Unknown
  if (from !== Verdict.Unchanged || !isRecord(value)) return from
  for (const field of ast.transformation.propertySignatureTransformations) {
    if (field.from !== field.to || !Object.prototype.hasOwnProperty.call(value, field.from)) return Verdict.Unknown
    const decoded = field.decode(Option.some(value[field.from]))
    if (Option.isNone(decoded) || decoded.value !== value[field.from]) return Verdict.Unknown
  }
  return verdict(ast.to, value)
}

const verdict = (ast: AST.AST, value: unknown): Verdict => {
  switch (ast._tag) {
    case "Literal":
    case "UniqueSymbol":
      return value === (ast._tag === "Literal" ? ast.literal : ast.symbol) ? Verdict.Unchanged : Verdict.Refused
    case "StringKeyword":
      return typeof value === "string" ? Verdict.Unchanged : Verdict.Refused
    case "NumberKeyword":
      return typeof value === "number" ? Verdict.Unchanged : Verdict.Refused
    case "BooleanKeyword":
      return typeof value === "boolean" ? Verdict.Unchanged : Verdict.Refused
    case "BigIntKeyword":
      return typeof value === "bigint" ? Verdict.Unchanged : Verdict.Refused
    case "SymbolKeyword":
      return typeof value === "symbol" ? Verdict.Unchanged : Verdict.Refused
    case "UndefinedKeyword":
    case "VoidKeyword":
      return value === undefined ? Verdict.Unchanged : Verdict.Refused
    case "UnknownKeyword":
    case "AnyKeyword":
      return Verdict.Unchanged
    case "NeverKeyword":
      return Verdict.Refused
    case "ObjectKeyword":
      return (typeof value === "object" && value !== null) || typeof value === "function" ? Verdict.Unchanged : Verdict.Refused
    case "Enums":
      return ast.enums.some(([, member]) => member === value) ? Verdict.Unchanged : Verdict.Refused
    case "Refinement": {
      const from = verdict(ast.from, value)
      if (from !== Verdict.Unchanged) return from
      return Option.isNone(ast.filter(value, NO_OPTIONS, ast)) ? Verdict.Unchanged : Verdict.Refused
    }
    case "Suspend":
      return verdict(ast.f(), value)
    case "TupleType":
      return tupleVerdict(ast, value)
    case "TypeLiteral":
      return typeLiteralVerdict(ast, value)
    case "Union":
      return unionVerdict(ast, value)
    case "Transformation":
      return transformationVerdict(ast, value)
    case "Declaration":
      return declarationVerdict(ast, value)
    case "TemplateLiteral":
      return Verdict.Unknown
  }
}

/**
 * Whether decoding `value` with `schema` succeeds and gives back a value equal to `value` (every
 * field as given, none dropped, added or transformed), told by walking the schema without its
 * parser; false whenever it cannot tell.
 */
export const decodesUnchanged = (schema: Schema.Schema.AnyNoContext, value: unknown): boolean =>
  verdict(schema.ast, value) === Verdict.Unchanged

/**
 * Decodes as `Schema.decodeUnknownEither(schema)` does, with an equal answer for every input, at a
 * fraction of its cost for the common one: an input the decoding would give back unchanged
 * (`decodesUnchanged`) is returned as it is; any other goes through the schema's parser, which
 * transforms it or names what is wrong. For request and answer bodies decoded on a hot path, whose
 * schemas declare plain JSON: Effect's parser builds a new object for every object it decodes.
 */
export const plainDecoder = <A, I>(schema: Schema.Schema<A, I, never>) => {
  const decode = Schema.decodeUnknownEither(schema)
  return (input: unknown, options?: AST.ParseOptions): Either.Either<A, ParseResult.ParseError> =>
    verdict(schema.ast, input) === Verdict.Unchanged ? Either.right(input as A) : decode(input, options)
}

/**
 * Encodes as `Schema.encodeEither(schema)` does, with an equal answer for every input: a value that
 * decoding would give back unchanged (`decodesUnchanged`) has no transformation to undo, and is
 * returned as it is; any other goes through the schema's encoder.
 */
export const plainEncoder = <A, I>(schema: Schema.Schema<A, I, never>) => {
  const encode = Schema.encodeEither(schema)
  return (value: A, options?: AST.ParseOptions): Either.Either<I, ParseResult.ParseError> =>
    verdict(schema.ast, value) === Verdict.Unchanged ? Either.right(value as unknown as I) : encode(value, options)
}
