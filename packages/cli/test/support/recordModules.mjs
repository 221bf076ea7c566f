// `node --import <this file>`: appends every module the process resolves, one a line, to the file
// named by PIPEWEAVE_MODULE_LOG: ES modules by their URL (a resolve hook), CommonJS ones by their
// path (the bundled bin's commands are CommonJS and `require` what they leave external).
import { appendFileSync } from "node:fs"
import Module, { register } from "node:module"

const hooks = `
import { appendFileSync } from "node:fs"
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context)
  appendFileSync(process.env.PIPEWEAVE_MODULE_LOG, resolved.url + "\\n")
  return resolved
}
`
register(`data:text/javascript,${encodeURIComponent(hooks)}`)

const resolveFilename = Module._resolveFilename
Module._resolveFilename = function(...args) {
  const resolved = resolveFilename.apply(this, args)
  appendFileSync(process.env.PIPEWEAVE_MODULE_LOG, resolved + "\n")
  return resolved
}
