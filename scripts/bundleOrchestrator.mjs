/**
 * Bundles the built orchestrator (`tsc -b` output) into one tree-shaken ES module,
 * `packages/orchestrator/dist/orchestrator.mjs`: Node then loads a few hundred KB instead of
 * ~1,100 modules (the `effect` and `@effect/platform` indexes load every module they name),
 * which is most of the start-up time and memory. PGlite stays external: it loads its WASM and
 * data files from beside itself. CommonJS dependencies get a `require` through the banner.
 */
import { build } from "esbuild"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
await build({
  entryPoints: [join(root, "packages/orchestrator/dist/src/main.js")],
  outfile: join(root, "packages/orchestrator/dist/orchestrator.mjs"),
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  minify: process.env["BUNDLE_MINIFY"] !== "0",
  sourcemap: "linked",
  external: ["@electric-sql/pglite"],
  banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
  logLevel: "warning"
})
