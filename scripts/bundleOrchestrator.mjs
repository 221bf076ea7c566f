/**
 * Bundles the built orchestrator (`tsc -b` output) into one tree-shaken ES module,
 * `packages/orchestrator/dist/orchestrator.mjs`: Node then loads a few hundred KB instead of
 * ~1,100 modules (the `effect` and `@effect/platform` indexes load every module they name),
 * which is most of the start-up time and memory. What the orchestrator imports only when a
 * setting asks for it (the S3, MinIO and GCS clients, the embedded database's client, OTLP
 * tracing) goes to `dist/orchestrator-*.mjs` chunks beside it, so an orchestrator that does not
 * use them neither parses nor keeps their source. PGlite stays external: it loads its WASM and
 * data files from beside itself. CommonJS dependencies get a `require` through the banner.
 */
import { build } from "esbuild"
import { readdirSync, rmSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const dist = join(root, "packages/orchestrator/dist")
for (const name of readdirSync(dist)) {
  if (/^orchestrator-.*\.mjs(\.map)?$/.test(name)) rmSync(join(dist, name))
}
await build({
  entryPoints: [join(root, "packages/orchestrator/dist/src/main.js")],
  outdir: dist,
  entryNames: "orchestrator",
  chunkNames: "orchestrator-[name]-[hash]",
  outExtension: { ".js": ".mjs" },
  splitting: true,
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
