import { Either, Option, type ParseResult, Schema, SchemaAST as AST } from "effect"
import { taggedUnionOf } from "./TaggedUnion.js"

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

/** A schema's `verdict` on a value, compiled once per schema node (`checkerOf`). */
type Checker = (value: unknown) => Verdict

const checkers = new WeakMap<AST.AST, Checker>()

/** The checker of `ast`, compiled at its first use and kept for the life of the schema. */
const checkerOf = (ast: AST.AST): Checker => {
  let checker = checkers.get(ast)
  if (checker === undefined) {
    checker = compile(ast)
    checkers.set(ast, checker)
  }
  return checker
}

const verdict = (ast: AST.AST, value: unknown): Verdict => checkerOf(ast)(value)

const tupleChecker = (ast: AST.TupleType): Checker => {
  const elements = ast.elements.map((element) => ({ isOptional: element.isOptional, check: checkerOf(element.type) }))
  const restAst = ast.rest[0]?.type
  const rest = restAst === undefined ? undefined : checkerOf(restAst)
  const manyRests = ast.rest.length > 1
  return (value) => {
    if (!Array.isArray(value)) return Verdict.Refused
    if (manyRests || (rest === undefined && value.length > elements.length)) return Verdict.Unknown
    let result = hasPrototype(value, Array.prototype) ? Verdict.Unchanged : Verdict.Unknown
    for (let i = 0; i < elements.length; i++) {
      const element = elements[i]!
      if (i >= value.length) {
        if (!element.isOptional) return Verdict.Refused
        continue
      }
      result = both(result, element.check(value[i]))
      if (result === Verdict.Refused) return result
    }
    for (let i = elements.length; rest !== undefined && i < value.length; i++) {
      result = both(result, rest(value[i]))
      if (result === Verdict.Refused) return result
    }
    return result
  }
}

const typeLiteralChecker = (ast: AST.TypeLiteral): Checker => {
  if (ast.propertySignatures.length === 0 && ast.indexSignatures.length === 0) {
    return (value) => value === null || value === undefined ? Verdict.Refused : Verdict.Unchanged
  }
  const fields = ast.propertySignatures.map((ps) => ({ name: ps.name, isOptional: ps.isOptional, check: checkerOf(ps.type) }))
  const signatures = ast.indexSignatures
  const signature = signatures.length === 1 && fields.length === 0
    ? { parameter: checkerOf(signatures[0]!.parameter), check: checkerOf(signatures[0]!.type) }
    : undefined
  return (value) => {
    if (!isRecord(value)) return Verdict.Refused
    let result = hasPrototype(value, Object.prototype) ? Verdict.Unchanged : Verdict.Unknown
    let declared = 0
    for (const field of fields) {
      if (!Object.prototype.hasOwnProperty.call(value, field.name)) {
        if (field.isOptional) continue
        // Decoded as `undefined` and then written to the output: a field added, unless refused.
        if (field.check(undefined) === Verdict.Refused) return Verdict.Refused
        result = Verdict.Unknown
        continue
      }
      declared++
      result = both(result, field.check(value[field.name]))
      if (result === Verdict.Refused) return result
    }
    const keys = Reflect.ownKeys(value)
    if (signatures.length === 0) return keys.length === declared ? result : both(result, Verdict.Unknown)
    if (signature === undefined) return both(result, Verdict.Unknown)
    for (const key of keys) {
      // A key the signature's parameter refuses is dropped from the output.
      if (typeof key !== "string" || signature.parameter(key) !== Verdict.Unchanged) return both(result, Verdict.Unknown)
      // The parser writes its output by assignment, and assigning `__proto__` sets the prototype.
      if (key === "__proto__") return both(result, Verdict.Unknown)
      result = both(result, signature.check(value[key]))
      if (result === Verdict.Refused) return result
    }
    return result
  }
}

const unionChecker = (ast: AST.Union): Checker => {
  const members = ast.types.map(checkerOf)
  // Settled only when exactly one member accepts the value: which member the decoding tries first
  // then does not matter.
  return (value) => {
    let accepted = Verdict.Refused
    for (const member of members) {
      const v = member(value)
      if (v === Verdict.Refused) continue
      if (accepted !== Verdict.Refused || v === Verdict.Unknown) return Verdict.Unknown
      accepted = v
    }
    return accepted
  }
}

/**
 * A declaration without type parameters (`DateFromSelf`, a class's instances) answers by its own
 * decoding: unchanged when it succeeds with the very value given.
 */
type DeclarationDecoder = (value: unknown, options: AST.ParseOptions, ast: AST.AST) => unknown

const declarationChecker = (ast: AST.Declaration): Checker => {
  // It refuses what its union refuses, and more only where the union's own decoding throws.
  const union = taggedUnionOf(ast)
  if (union !== undefined) return checkerOf(union)
  if (ast.typeParameters.length > 0) return () => Verdict.Unknown
  let decode: DeclarationDecoder | undefined
  return (value) => {
    decode ??= ast.decodeUnknown() as DeclarationDecoder
    const decoded = decode(value, NO_OPTIONS, ast)
    if (!Either.isEither(decoded)) return Verdict.Unknown
    return Either.isLeft(decoded) ? Verdict.Refused : decoded.right === value ? Verdict.Unchanged : Verdict.Unknown
  }
}

/**
 * A struct's fields with defaults or renames (`optionalWith`, `fromKey`): unchanged only when every
 * such field is there and its own transformation gives it back as it is (a default not needed).
 */
const transformationChecker = (ast: AST.Transformation): Checker => {
  const from = checkerOf(ast.from)
  const transformation = ast.transformation
  // Any other transformation changes what it decodes, unless its encoded side refuses it first.
  if (transformation._tag !== "TypeLiteralTransformation") {
    return (value) => from(value) === Verdict.Refused ? Verdict.Refused : Verdict.Unknown
  }
  const to = checkerOf(ast.to)
  return (value) => {
    const encoded = from(value)
    if (encoded !== Verdict.Unchanged || !isRecord(value)) return encoded
    for (const field of transformation.propertySignatureTransformations) {
      if (field.from !== field.to || !Object.prototype.hasOwnProperty.call(value, field.from)) return Verdict.Unknown
      const decoded = field.decode(Option.some(value[field.from]))
      if (Option.isNone(decoded) || decoded.value !== value[field.from]) return Verdict.Unknown
    }
    return to(value)
  }
}

const is = (test: (value: unknown) => boolean): Checker => (value) => test(value) ? Verdict.Unchanged : Verdict.Refused

const compile = (ast: AST.AST): Checker => {
  switch (ast._tag) {
    case "Literal": {
      const literal = ast.literal
      return is((value) => value === literal)
    }
    case "UniqueSymbol": {
      const symbol = ast.symbol
      return is((value) => value === symbol)
    }
    case "StringKeyword":
      return is((value) => typeof value === "string")
    case "NumberKeyword":
      return is((value) => typeof value === "number")
    case "BooleanKeyword":
      return is((value) => typeof value === "boolean")
    case "BigIntKeyword":
      return is((value) => typeof value === "bigint")
    case "SymbolKeyword":
      return is((value) => typeof value === "symbol")
    case "UndefinedKeyword":
    case "VoidKeyword":
      return is((value) => value === undefined)
    case "UnknownKeyword":
    case "AnyKeyword":
      return () => Verdict.Unchanged
    case "NeverKeyword":
      return () => Verdict.Refused
    case "ObjectKeyword":
      return is((value) => (typeof value === "object" && value !== null) || typeof value === "function")
    case "Enums": {
      const enums = ast.enums
      return is((value) => enums.some(([, member]) => member === value))
    }
    case "Refinement": {
      const from = checkerOf(ast.from)
      return (value) => {
        const base = from(value)
        if (base !== Verdict.Unchanged) return base
        return Option.isNone(ast.filter(value, NO_OPTIONS, ast)) ? Verdict.Unchanged : Verdict.Refused
      }
    }
    case "Suspend": {
      // Compiled at its first check: the schema it names may refer back to this one.
      let inner: Checker | undefined
      return (value) => (inner ??= checkerOf(ast.f()))(value)
    }
    case "TupleType":
      return tupleChecker(ast)
    case "TypeLiteral":
      return typeLiteralChecker(ast)
    case "Union":
      return unionChecker(ast)
    case "Transformation":
      return transformationChecker(ast)
    case "Declaration":
      return declarationChecker(ast)
    case "TemplateLiteral":
      return () => Verdict.Unknown
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
  const check = checkerOf(schema.ast)
  return (input: unknown, options?: AST.ParseOptions): Either.Either<A, ParseResult.ParseError> =>
    check(input) === Verdict.Unchanged ? Either.right(input as A) : decode(input, options)
}

/**
 * Encodes as `Schema.encodeEither(schema)` does, with an equal answer for every input: a value that
 * decoding would give back unchanged (`decodesUnchanged`) has no transformation to undo, and is
 * returned as it is; any other goes through the schema's encoder.
 */
export const plainEncoder = <A, I>(schema: Schema.Schema<A, I, never>) => {
  const encode = Schema.encodeEither(schema)
  const check = checkerOf(schema.ast)
  return (value: A, options?: AST.ParseOptions): Either.Either<I, ParseResult.ParseError> =>
    check(value) === Verdict.Unchanged ? Either.right(value as unknown as I) : encode(value, options)
}

/** `plainEncoder`, throwing its error as `Schema.encodeSync(schema)` throws. */
export const plainEncodeSync = <A, I>(schema: Schema.Schema<A, I, never>) => {
  const encode = plainEncoder(schema)
  return (value: A): I => Either.getOrThrowWith(encode(value), (error) => error)
}
