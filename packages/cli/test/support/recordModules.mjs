// `node --import <this file>`: appends the URL of every module the process resolves, one a line,
// to the file named by PIPEWEAVE_MODULE_LOG.
import { register } from "node:module"

const hooks = `
import { appendFileSync } from "node:fs"
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context)
  appendFileSync(process.env.PIPEWEAVE_MODULE_LOG, resolved.url + "\\n")
  return resolved
}
`
register(`data:text/javascript,${encodeURIComponent(hooks)}`)
