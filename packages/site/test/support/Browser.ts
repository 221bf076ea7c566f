import { mkdirSync } from "node:fs"
import { join } from "node:path"
import { type Browser, chromium, type Page } from "playwright-core"
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
  return { page, context, problems }
}

/** Saves `name`.png into the artifacts directory. */
export const screenshot = async (page: Page, name: string): Promise<string> => {
  mkdirSync(artifactsDir, { recursive: true })
  const path = join(artifactsDir, `${name}.png`)
  await page.screenshot({ path, fullPage: true })
  return path
}
