import { request } from "node:http"
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

  it("serves files of the site only, and answers /runs/<id> with the Runs page", async () => {
    const get = (path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(`${site.url}${path}`, { path }, (response) => {
          let body = ""
          response.on("data", (chunk) => (body += chunk))
          response.on("end", () => resolve({ status: response.statusCode ?? 0, body }))
        })
        req.on("error", reject)
        req.end()
      })
    for (const path of ["/../package.json", "/%2e%2e/package.json", "/..%2f..%2fpackage.json", "/%00", "/missing"]) {
      const answer = await get(path)
      expect(answer.status, path).toBeGreaterThanOrEqual(400)
      expect(answer.body, path).not.toContain("@pipeweave/site")
    }
    const run = await get("/runs/prun_abc")
    expect(run.status).toBe(200)
    expect(run.body).toContain("<title>Runs · PipeWeave</title>")
    expect((await get("/runs")).status).toBe(301)
  })

  it("follows the system's dark preference", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: "dark" })
    const page = await context.newPage()
    await page.goto(`${site.url}/`)
    await page.getByRole("button", { name: "Add orchestrator" }).waitFor()
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor)
    expect(background).toBe("rgb(15, 18, 22)")
    await screenshot(page, "navigation-dark")
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
