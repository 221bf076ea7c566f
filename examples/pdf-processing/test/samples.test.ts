import { execFile } from "node:child_process"
import { readFile } from "node:fs/promises"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { describe, expect, it } from "vitest"
import { makeSamples } from "../scripts/makeSamples.js"
import { memoPath, memoUrl, quarterlyReportPath, quarterlyReportUrl } from "../src/samples.js"

const run = promisify(execFile)
const fixture = (name: string) => fileURLToPath(new URL(`fixtures/${name}`, import.meta.url))

const extractInChild = (preload: ReadonlyArray<string>) =>
  run(
    process.execPath,
    [...preload, "--import", "tsx", "--conditions=@pipeweave/source", fixture("extractSample.ts")],
    { cwd: fileURLToPath(new URL("..", import.meta.url)), env: { ...process.env, NODE_OPTIONS: "" } }
  )

describe("samples", () => {
  it("are exported as absolute paths and file:// URLs", () => {
    expect(quarterlyReportPath).toMatch(/^\/.*\/samples\/quarterly-report\.pdf$/)
    expect(memoPath).toMatch(/^\/.*\/samples\/memo\.pdf$/)
    expect(new URL(quarterlyReportUrl).protocol).toBe("file:")
    expect(fileURLToPath(memoUrl)).toBe(memoPath)
  })

  it("are small PDFs, byte for byte what scripts/makeSamples.ts generates", async () => {
    const generated = await makeSamples()
    const pairs = [[quarterlyReportPath, generated["quarterly-report.pdf"]], [memoPath, generated["memo.pdf"]]] as const
    for (const [path, bytes] of pairs) {
      const committed = await readFile(path)
      expect(committed.subarray(0, 5).toString()).toBe("%PDF-")
      expect(committed.length).toBeLessThan(20_000)
      expect(Buffer.from(bytes).equals(committed)).toBe(true)
    }
  })
})

describe("pdfjs in Node", () => {
  it("extracts text and tables without @napi-rs/canvas, with no warning and no error output", async () => {
    const { stderr, stdout } = await extractInChild(["--require", fixture("hideCanvas.cjs")])
    expect(stderr).toBe("")
    const result = JSON.parse(stdout)
    expect(result).toMatchObject({ pages: 2, domMatrix: "MinimalDOMMatrix" })
    expect(result.tables[0].rows[5]).toEqual(["Middle East and Africa", "540", "582", "611"])
  }, 120_000)

  it("uses @napi-rs/canvas's DOMMatrix when it is installed, again silently", async () => {
    const { stderr, stdout } = await extractInChild([])
    expect(stderr).toBe("")
    expect(JSON.parse(stdout)).toMatchObject({ pages: 2, domMatrix: "DOMMatrix" })
  }, 120_000)
})
