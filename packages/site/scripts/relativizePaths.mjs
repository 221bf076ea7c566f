/**
 * Makes the built site position-independent: Astro writes asset URLs as "/_astro/…", which only
 * work at the root of a host. Each HTML file's "/_astro/" becomes the path relative to that file
 * ("./_astro/" or "../_astro/"), so the same files work at "/" and at "/ui/". Fails the build when
 * a root-absolute "/_astro/" remains anywhere (in HTML, JS or CSS).
 */
import { readdir, readFile, writeFile } from "node:fs/promises"
import { join, relative, sep } from "node:path"

const dist = process.argv[2] ?? "dist"

const filesUnder = async (dir) =>
  (await readdir(dir, { withFileTypes: true, recursive: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name))

const files = await filesUnder(dist)
for (const file of files.filter((name) => name.endsWith(".html"))) {
  const depth = relative(dist, file).split(sep).length - 1
  const prefix = depth === 0 ? "./" : "../".repeat(depth)
  const html = await readFile(file, "utf8")
  await writeFile(file, html.replace(/(["'(])\/_astro\//g, `$1${prefix}_astro/`))
}

const leftovers = []
for (const file of files.filter((name) => /\.(html|js|mjs|css)$/.test(name))) {
  if (/["'(]\/_astro\//.test(await readFile(file, "utf8"))) leftovers.push(relative(dist, file))
}
if (leftovers.length > 0) {
  console.error(`root-absolute /_astro/ paths left in: ${leftovers.join(", ")}`)
  process.exit(1)
}
