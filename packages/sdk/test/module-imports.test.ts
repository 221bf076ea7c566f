import { readdirSync, readFileSync } from "node:fs"
import { join, relative } from "node:path"
import { describe, expect, it } from "vitest"

const root = join(import.meta.dirname, "../../..")
/** The packages a worker loads: the SDK and what it imports of ours. */
const workerPackages = ["packages/sdk/src", "packages/domain/src", "packages/storage/src"]

const sources = (dir: string): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith(".ts") ? [join(dir, entry.name)] : []
  )

/** Value imports of a package's index (`import { X } from "pkg"`); type-only imports load nothing. */
const indexImports = (text: string, pkg: string) =>
  [...text.matchAll(/^import (type )?\{[^}]*\} from "([^"]+)"/gm)].filter((m) => m[1] === undefined && m[2] === pkg)

describe("what a worker loads", () => {
  it("imports @effect/platform and @effect/platform-node modules by path, never their indexes", () => {
    // The indexes load every module they name, Swagger UI's and Scalar's bundled sources among
    // them: ~20 MB of strings and ~0.5 s in every worker process that imports the SDK.
    const offenders = workerPackages.flatMap((dir) =>
      sources(join(root, dir)).flatMap((file) => {
        const text = readFileSync(file, "utf8")
        return ["@effect/platform", "@effect/platform-node"].flatMap((pkg) =>
          indexImports(text, pkg).map(() => `${relative(root, file)} imports "${pkg}" (use "${pkg}/<Module>")`)
        )
      })
    )
    expect(offenders).toEqual([])
  })
})
