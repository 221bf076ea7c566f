/**
 * Copies the built monitoring site (packages/site/dist) to packages/orchestrator/dist/site, where
 * the orchestrator serves it at /ui/ from: the sources, the bundle, and the packed package (the
 * container image) alike.
 */
import { cpSync, existsSync, rmSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const from = join(root, "packages/site/dist")
const to = join(root, "packages/orchestrator/dist/site")
if (!existsSync(join(from, "index.html"))) {
  console.error(`no built site in ${from}: run \`npm run build --workspace @pipeweave/site\``)
  process.exit(1)
}
rmSync(to, { recursive: true, force: true })
cpSync(from, to, { recursive: true })
