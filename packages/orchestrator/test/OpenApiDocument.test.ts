import { assert, describe, it } from "@effect/vitest"
import { Validator } from "@seriousme/openapi-schema-validator"
import { Effect } from "effect"
import { Registrations } from "../src/flow/Registrations.js"
import { registration, task } from "./support/fixtures.js"
import { layerPglite } from "./support/TestDatabase.js"
import { target } from "./security/Harness.js"

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]

/** Every operation of the document as `METHOD /path` with its object. */
const operations = (document: any): Array<readonly [string, any]> =>
  Object.entries<any>(document.paths).flatMap(([path, item]) =>
    Object.entries<any>(item).filter(([method]) => METHODS.includes(method)).map(([method, operation]) =>
      [`${method.toUpperCase()} ${path}`, operation] as const
    )
  )

/** Follows a local `$ref` (`#/components/schemas/X`) to the schema it names. */
const resolve = (document: any, schema: any): any =>
  schema?.$ref === undefined
    ? schema
    : resolve(document, schema.$ref.slice(2).split("/").reduce((node: any, key: string) => node[key], document))

describe("the OpenAPI document served at /openapi.json", () => {
  it.scoped("is valid OpenAPI, every operation has a summary and a description, storage keys are a {path} parameter", () =>
    Effect.gen(function*() {
      const orchestrator = yield* target(layerPglite())
      const served = yield* orchestrator.send("/openapi.json")
      assert.strictEqual(served.status, 200, served.text)
      const document = served.body

      const validator = new Validator()
      const result = yield* Effect.promise(() => validator.validate(structuredClone(document)))
      assert.isTrue(result.valid, `invalid OpenAPI ${validator.version}: ${JSON.stringify(result.errors, null, 2)}`)
      assert.match(String(validator.version), /^3\.1/)

      const all = operations(document)
      assert.strictEqual(all.length, 32, all.map(([name]) => name).join("\n"))
      for (const [name, operation] of all) {
        assert.isString(operation.summary, `${name} has no summary`)
        assert.isAbove(operation.summary.trim().length, 0, `${name} has an empty summary`)
        assert.isString(operation.description, `${name} has no description`)
        assert.isAbove(operation.description.trim().length, 0, `${name} has an empty description`)
        for (const parameter of operation.parameters ?? []) {
          assert.match(parameter.name, /^[A-Za-z][A-Za-z0-9_]*$/, `${name} has a parameter named ${parameter.name}`)
          if (parameter.in === "path") assert.include(name, `{${parameter.name}}`, `${name} lacks {${parameter.name}}`)
        }
      }

      assert.deepStrictEqual(Object.keys(document.paths).filter((path) => path.includes("*")), [])
      const read = document.paths["/api/storage/{path}"]?.get
      assert.isDefined(read, Object.keys(document.paths).join(", "))
      assert.deepStrictEqual(
        read.parameters.filter((p: any) => p.in === "path").map((p: any) => [p.name, p.required, p.schema.type]),
        [["path", true, "string"]]
      )

      // What the document promises for request bodies is what the server enforces (tested over HTTP in
      // security/UnknownFields.test.ts): no field beyond the declared ones, at any depth of an object.
      const bodies = all.filter(([, operation]) => operation.requestBody !== undefined)
      assert.strictEqual(bodies.length, 13, bodies.map(([name]) => name).join("\n"))
      for (const [name, operation] of bodies) {
        const schema = resolve(document, operation.requestBody.content["application/json"].schema)
        const objects = schema.anyOf ?? [schema]
        for (const object of objects.map((s: any) => resolve(document, s))) {
          assert.strictEqual(object.additionalProperties, false, `${name}: ${JSON.stringify(object)}`)
        }
      }
    }), 120_000)

  it.scoped("a stored object is still read at its plain URL, slashes and all", () =>
    Effect.gen(function*() {
      const orchestrator = yield* target(layerPglite(), { inlinePayloadBytes: 0 })
      yield* orchestrator.use(Effect.flatMap(Registrations, (r) => r.register(registration("svc", [task("known")]))))
      const queued = yield* orchestrator.send("/api/queue/task", { body: { taskId: "known", input: { n: 7 } } })
      assert.strictEqual(queued.status, 201, queued.text)
      const inputPath: string = queued.body.inputPath
      assert.match(inputPath, /^standalone\/trun_\w+\/input\.json$/)
      const read = yield* orchestrator.send(`/api/storage/${inputPath}`)
      assert.strictEqual(read.status, 200, read.text)
      assert.deepInclude(read.body, { path: inputPath, encoding: "json", content: { n: 7 } })
      const missing = yield* orchestrator.send("/api/storage/runs/prun_x/outputs/trun_y.json")
      assert.strictEqual(missing.status, 404, missing.text)
      assert.include(missing.text, "runs/prun_x/outputs/trun_y.json")
    }), 120_000)
})
