import { Option, ParseResult, Schema, SchemaAST as AST } from "effect"

/** Marks a `taggedUnion`'s declaration; its only type parameter is the union it decodes as. */
export const TaggedUnionId: unique symbol = Symbol.for("@pipeweave/domain/TaggedUnion")

/** The union a `taggedUnion` declaration decodes as (its encoded or type side alike), if `ast` is one. */
export const taggedUnionOf = (ast: AST.AST): AST.AST | undefined =>
  ast._tag === "Declaration" && Option.isSome(AST.getAnnotation(ast, TaggedUnionId)) ? ast.typeParameters[0] : undefined

/** A member's tag, as its encoded side declares it. */
const tagLiteral = (member: AST.AST, tag: string): AST.Literal => {
  if (member._tag === "Refinement" || member._tag === "Transformation") return tagLiteral(member.from, tag)
  const field = member._tag === "TypeLiteral" ? member.propertySignatures.find((ps) => ps.name === tag) : undefined
  if (field === undefined || field.type._tag !== "Literal" || field.isOptional) {
    throw new Error(`taggedUnion: every member needs a required literal field "${tag}"`)
  }
  return field.type
}

/**
 * `Schema.Union(...members)` of structs told apart by the required literal field `tag`, whose
 * decoding refuses a tag that is an object or an array, naming the field, as it refuses any other
 * tag it does not know. Effect's union parser converts the tag to text to pick a member
 * (`String(value)`), which throws for `{"toString": false}` and the like: such a request body
 * would escape the decoding as a defect (an HTTP 500) instead of being refused (a 400). The
 * declaration stands for its union everywhere else (JSON Schema, arbitraries, `PlainDecode`).
 */
export const taggedUnion = <Members extends ReadonlyArray<Schema.Schema.AnyNoContext>>(tag: string, ...members: Members) => {
  const union = Schema.Union(...members)
  const literals = AST.Union.make(members.map((member) => tagLiteral(member.ast, tag)))
  const expected = new AST.TypeLiteral([new AST.PropertySignature(tag, literals, false, true)], [])
  const refusal = (input: unknown): ParseResult.ParseIssue | undefined => {
    if (typeof input !== "object" || input === null || !Object.prototype.hasOwnProperty.call(input, tag)) return undefined
    const value = (input as Record<string, unknown>)[tag]
    if ((typeof value !== "object" || value === null) && typeof value !== "function") return undefined
    return new ParseResult.Composite(expected, input, new ParseResult.Pointer(tag, input, new ParseResult.Type(literals, value)))
  }
  type A = Schema.Schema.Type<Members[number]>
  type I = Schema.Schema.Encoded<Members[number]>
  return Schema.declare<A, I, readonly [typeof union]>([union], {
    decode: (schema) => (input, options) => {
      const issue = refusal(input)
      return issue === undefined ? ParseResult.decodeUnknown(schema)(input, options) : ParseResult.fail(issue)
    },
    encode: (schema) => (input, options) => ParseResult.encodeUnknown(schema)(input, options)
  }, {
    [TaggedUnionId]: true,
    [AST.SurrogateAnnotationId]: union.ast,
    arbitrary: (member) => member,
    pretty: (member) => member,
    equivalence: (member) => member
  })
}
