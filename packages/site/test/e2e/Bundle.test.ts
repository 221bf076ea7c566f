import { readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { gzipSync } from "node:zlib"
import { describe, expect, it } from "vitest"
import { siteDist } from "../support/Processes"

const assets = join(siteDist, "_astro")

describe("the built site", () => {
  it("holds no Node built-ins and no root-absolute asset path, and stays small", () => {
    const scripts = readdirSync(assets).filter((name) => name.endsWith(".js"))
    expect(scripts.length).toBeGreaterThan(0)
    let gzipped = 0
    for (const name of scripts) {
      const text = readFileSync(join(assets, name), "utf8")
      expect(text, name).not.toMatch(/["']node:[a-z_/]+["']/)
      expect(text, name).not.toMatch(/require\(["'](fs|path|crypto|http|os|child_process)["']\)/)
      gzipped += gzipSync(text, { level: 9 }).length
    }
    for (const page of ["index.html", "pipelines/index.html", "runs/index.html", "dlq/index.html"]) {
      const html = readFileSync(join(siteDist, page), "utf8")
      expect(html, page).not.toMatch(/["']\/_astro\//)
      expect(html, page).not.toMatch(/https?:\/\//)
    }
    const total = readdirSync(siteDist, { recursive: true })
      .map((name) => join(siteDist, String(name)))
      .filter((path) => statSync(path).isFile())
      .reduce((sum, path) => sum + statSync(path).size, 0)
    console.log(`built site: ${(total / 1024).toFixed(0)} KB on disk, ${(gzipped / 1024).toFixed(0)} KB of JavaScript gzipped`)
    expect(gzipped).toBeLessThan(160 * 1024)
  })
})
