import { ParseResult } from "effect"

/** The first issue of a parse error as `{ field, message }`; `field` is the dotted path (or `body`). */
export const firstIssue = (error: ParseResult.ParseError): { readonly field: string; readonly message: string } => {
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
  const issue = issues[0]
  if (issue === undefined) return { field: "body", message: error.message }
  const field = issue.path.length === 0 ? "body" : issue.path.map(String).join(".")
  return { field, message: issue.message }
}

/** Every issue of a parse error on one line: `field: message; field: message`. */
export const describeIssues = (error: ParseResult.ParseError): string =>
  ParseResult.ArrayFormatter.formatErrorSync(error)
    .map((issue) => `${issue.path.length === 0 ? "" : issue.path.map(String).join(".") + ": "}${issue.message}`)
    .join("; ")
