/**
 * Bundles the built CLI (`tsc -b` output) into `packages/cli/dist/bundle/`, the `pipeweave` bin:
 * `pipeweave.mjs` answers `--version` on its own and, for everything else, compiles `Main.cjs`
 * (the commands with Effect, @effect/cli and the domain's HTTP contract, tree-shaken into one
 * CommonJS file of ~750 KB) through V8's code cache (`MainLoader`), instead of loading the ~900
 * modules the `effect` and `@effect/*` indexes name. The `db` commands' code is in `Main.cjs` but
 * runs only when one of them does; the database packages stay external (an optional peer,
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

/** The bin's fallback to the `tsc` output's `Main.js`: never taken in the bundle, where `Main.cjs` sits beside it. */
const mainStaysOut = {
  name: "main-stays-out",
  setup(build) {
    build.onResolve({ filter: /^\.\/Main\.js$/ }, (args) => ({ path: args.path, external: true }))
  }
}

const shared = {
  outdir,
  bundle: true,
  platform: "node",
  target: "node20",
  minify: true,
  external: ["@pipeweave/orchestrator", "@effect/sql", "@effect/sql-pg", "@electric-sql/pglite"],
  logLevel: "warning"
}

rmSync(outdir, { recursive: true, force: true })
await build({
  ...shared,
  entryPoints: { pipeweave: join(built, "bin.js") },
  outExtension: { ".js": ".mjs" },
  chunkNames: "chunk-[hash]",
  splitting: true,
  format: "esm",
  plugins: [mainStaysOut]
})
await build({
  ...shared,
  entryPoints: { Main: join(built, "Main.js") },
  outExtension: { ".js": ".cjs" },
  format: "cjs",
  plugins: [noFileParsers, noArbitraries]
})
