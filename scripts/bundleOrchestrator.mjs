/**
 * Bundles the built orchestrator (`tsc -b` output) into one tree-shaken ES module,
 * `packages/orchestrator/dist/orchestrator.mjs`: Node then loads a few hundred KB instead of
 * ~1,100 modules (the `effect` and `@effect/platform` indexes load every module they name),
 * which is most of the start-up time and memory. What the orchestrator imports only when a
 * setting asks for it (the S3, MinIO and GCS clients, the embedded database's client, OTLP
 * tracing) goes to `dist/orchestrator-*.mjs` chunks beside it, so an orchestrator that does not
 * use them neither parses nor keeps their source. PGlite stays external: it loads its WASM and
 * data files from beside itself. CommonJS dependencies get a `require` through the banner.
 *
 * pg picks its socket functions when its module loads, by asking whether it runs in a Cloudflare
 * Worker; on Node 20 (no `navigator`) the question builds a fetch `Response`, which loads undici,
 * ~20 ms of every start-up. The bundle runs on Node only, so it gets pg's Node branch.
 */
import { build } from "esbuild"
import { readdirSync, rmSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")

let pgStreamReplaced = false
const pgNodeSockets = {
  name: "pg-node-sockets",
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]pg[\\/]lib[\\/]stream\.js$/ }, () => {
      pgStreamReplaced = true
      return {
        contents: `module.exports = {
  getStream: () => new (require("net").Socket)(),
  getSecureStream: (options) => require("tls").connect(options)
}`,
        loader: "js"
      }
    })
  }
}

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
  logLevel: "warning",
  plugins: [pgNodeSockets]
})
if (!pgStreamReplaced) throw new Error("pg's lib/stream.js was not found: update the pg-node-sockets plugin for this pg version")
