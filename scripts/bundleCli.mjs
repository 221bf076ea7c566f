/**
 * Bundles the built CLI (`tsc -b` output) into `packages/cli/dist/bundle/`, the `pipeweave` bin:
 * `pipeweave.mjs` answers `--version` on its own and loads `Main.mjs` (the commands with Effect,
 * @effect/cli and the domain's HTTP contract, tree-shaken into a few hundred KB) for everything
 * else, instead of the ~900 modules the `effect` and `@effect/*` indexes name. `DbActions.mjs` is
 * loaded by the `db` commands only; the database packages stay external (an optional peer,
 * PGlite's WASM files). @effect/cli's config-file parsers (YAML, TOML, INI) are left out: no
 * pipeweave option reads a file.
 */
import { rmSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { build } from "esbuild"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const built = join(root, "packages/cli/dist/src")
const outdir = join(root, "packages/cli/dist/bundle")

/** fast-check, which Schema imports for arbitraries only (generated data, never in the CLI). */
const noArbitraries = {
  name: "no-arbitraries",
  setup(build) {
    build.onResolve({ filter: /^fast-check$/ }, (args) => ({ path: args.path, namespace: "no-arbitraries" }))
    build.onLoad({ filter: /.*/, namespace: "no-arbitraries" }, () => ({ contents: "export {}" }))
  }
}

const noFileParsers = {
  name: "no-file-parsers",
  setup(build) {
    build.onResolve({ filter: /^(yaml|toml|ini)$/ }, (args) => ({ path: args.path, namespace: "no-file-parsers" }))
    build.onLoad({ filter: /.*/, namespace: "no-file-parsers" }, (args) => ({
      contents: `export const parse = () => { throw new Error("pipeweave reads no ${args.path} files") }`
    }))
  }
}

rmSync(outdir, { recursive: true, force: true })
await build({
  entryPoints: {
    pipeweave: join(built, "bin.js"),
    Main: join(built, "Main.js"),
    DbActions: join(built, "DbActions.js")
  },
  outdir,
  outExtension: { ".js": ".mjs" },
  chunkNames: "chunk-[hash]",
  bundle: true,
  splitting: true,
  platform: "node",
  format: "esm",
  target: "node20",
  minify: true,
  external: ["@pipeweave/orchestrator", "@effect/sql", "@effect/sql-pg", "@electric-sql/pglite"],
  plugins: [noFileParsers, noArbitraries],
  banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
  logLevel: "warning"
})
