import { mkdirSync } from "node:fs"
import { join } from "node:path"
import { type Browser, chromium, type Page } from "playwright-core"
import { onTestFailed } from "vitest"
import { repoRoot } from "./Processes"

/** Where every browser test leaves its screenshot (gitignored). */
export const artifactsDir = join(repoRoot, "packages/site/artifacts")

/** Debian's Chromium, headless, with nothing that reaches out to the network by itself. */
export const launchBrowser = (): Promise<Browser> =>
  chromium.launch({
    executablePath: process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync"
    ]
  })

export const DESKTOP = { width: 1280, height: 800 } as const
export const PHONE = { width: 390, height: 844 } as const

/** A fresh page (own storage) that records failed requests and page errors for the assertions. */
export const openPage = async (browser: Browser, viewport: { width: number; height: number } = DESKTOP) => {
  const context = await browser.newContext({ viewport })
  // Chromium and the orchestrators share a loaded 2-core machine with the rest of the suite.
  context.setDefaultTimeout(60_000)
  const page = await context.newPage()
  const problems: Array<string> = []
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`))
  // What a failure report needs and the assertions do not look at: refused and failed requests.
  const traffic: Array<string> = []
  page.on("requestfailed", (request) => traffic.push(`${request.method()} ${request.url()} failed: ${request.failure()?.errorText}`))
  page.on("response", (response) => {
    if (response.status() >= 400) traffic.push(`${response.request().method()} ${response.url()} answered ${response.status()}`)
  })
  onTestFailed(async ({ task }) => {
    const name = `failed-${task.name.replace(/[^a-z0-9]+/gi, "-").slice(0, 60)}`
    const path = await screenshot(page, name).catch(() => "no screenshot: the page is gone")
    console.error([`browser state at the failure (${path}), page at ${page.url()}:`, ...problems, ...traffic].join("\n  "))
  })
  return { page, context, problems }
}

/** Saves `name`.png into the artifacts directory. */
export const screenshot = async (page: Page, name: string): Promise<string> => {
  mkdirSync(artifactsDir, { recursive: true })
  const path = join(artifactsDir, `${name}.png`)
  await page.screenshot({ path, fullPage: true })
  return path
}
