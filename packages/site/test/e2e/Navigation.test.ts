import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Browser } from "playwright-core"
import { launchBrowser, openPage, PHONE, screenshot } from "../support/Browser"
import { type Orchestrator, startSiteServer } from "../support/Processes"

describe("the site served by npm run site", () => {
  let browser: Browser
  let site: Orchestrator
  beforeAll(async () => {
    site = await startSiteServer()
    browser = await launchBrowser()
  })
  afterAll(async () => {
    await browser?.close()
    await site?.proc.stop()
  })

  it("has the sidebar links, the + button, and only same-origin requests", async () => {
    const { page, context, problems } = await openPage(browser)
    const requested: Array<string> = []
    page.on("request", (request) => requested.push(request.url()))
    await page.goto(`${site.url}/`)
    for (const name of ["Dashboard", "Pipelines", "Runs", "Dead Letter Queue"]) {
      await page.getByRole("link", { name, exact: true }).waitFor()
    }
    await page.getByRole("button", { name: "Add orchestrator" }).waitFor()
    await page.getByRole("link", { name: "Runs", exact: true }).click()
    await page.waitForURL(`${site.url}/runs/`)
    await page.goto(`${site.url}/runs/some-run-id`)
    await page.getByText("Add an orchestrator").waitFor()
    await screenshot(page, "navigation-desktop")
    expect(requested.filter((url) => !url.startsWith(site.url) && !url.startsWith("data:"))).toEqual([])
    expect(problems).toEqual([])
    await context.close()
  })

  it("fits a phone's width", async () => {
    const { page, context } = await openPage(browser, PHONE)
    await page.goto(`${site.url}/`)
    await page.getByRole("button", { name: "Add orchestrator" }).waitFor()
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    expect(overflow).toBeLessThanOrEqual(0)
    await screenshot(page, "navigation-phone")
    await context.close()
  })
})
