import type { Browser, Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { launchBrowser, openPage, PHONE, screenshot } from "../support/Browser"
import { api, eventually, freePort, type Orchestrator, type Proc, startOrchestrator, startSiteServer, startWorker } from "../support/Processes"

const TOKEN = "site-e2e-token"

/** Fills and submits the Add orchestrator dialog. */
const addThroughDialog = async (page: Page, fields: { name: string; url: string; apiKey?: string }) => {
  await page.getByRole("button", { name: "Add orchestrator" }).click()
  const dialog = page.getByRole("dialog", { name: "Add orchestrator" })
  await dialog.getByLabel("Name").fill(fields.name)
  await dialog.getByLabel("URL").fill(fields.url)
  await dialog.getByLabel("API key").fill(fields.apiKey ?? "")
  await dialog.getByRole("button", { name: "Add" }).click()
  return dialog
}

const storedNames = (page: Page) =>
  page.evaluate(() => (JSON.parse(localStorage.getItem("pipeweave.orchestrators") ?? "{}").orchestrators ?? []).map((o: { name: string }) => o.name))

describe("the orchestrator store, through the browser", () => {
  let browser: Browser
  let site: Orchestrator
  let open: Orchestrator
  let guarded: Orchestrator
  let noCors: Orchestrator
  const workers: Array<Proc> = []

  beforeAll(async () => {
    site = await startSiteServer()
    ;[open, guarded, noCors, browser] = await Promise.all([
      startOrchestrator({ CORS_ORIGINS: site.url }),
      startOrchestrator({ CORS_ORIGINS: site.url, PIPEWEAVE_API_TOKEN: TOKEN }),
      startOrchestrator(),
      launchBrowser()
    ])
    workers.push(await startWorker(open), await startWorker(guarded, TOKEN))
    await api(open, "/api/pipelines/report/trigger", { body: { input: { url: "https://example.com/a.pdf" } } })
    await api(open, "/api/queue/task", { body: { taskId: "always-fails" } })
    await eventually(async () => (await api(open, "/api/queue/status")).completed >= 2, () => "runs did not finish")
  })
  afterAll(async () => {
    await browser?.close()
    await Promise.all([...workers, site?.proc, open?.proc, guarded?.proc, noCors?.proc].map((p) => p?.stop()))
  })

  it("adds an orchestrator through the dialog; it survives a reload and the dashboard shows it live", async () => {
    const { page, context, problems } = await openPage(browser)
    await page.goto(`${site.url}/`)
    const dialog = await addThroughDialog(page, { name: "Production", url: `${open.url}/` })
    await dialog.waitFor({ state: "detached" })
    await expect.poll(() => storedNames(page)).toEqual(["Production"])
    await page.reload()
    await page.getByRole("button", { name: "Production", pressed: true }).waitFor()
    await page.locator(`.dashboard[data-orchestrator="${open.url}"] [data-stat="Completed"] .value`).waitFor()
    await page.getByText("site-e2e-worker").waitFor()
    await page.getByRole("region", { name: "Pipelines" }).getByRole("cell", { name: "report" }).waitFor()
    await expect.poll(() => page.locator('[data-stat="Dead letters"] .value').textContent(), { timeout: 30_000 }).toBe("1")

    // Live: a run queued now shows up without a reload, and the page is not rebuilt meanwhile.
    const before = await page.locator('[data-stat="Completed"] .value').elementHandle()
    const completed = Number(await before!.textContent())
    await api(open, "/api/pipelines/report/trigger", { body: { input: {} } })
    await expect.poll(() => before!.textContent(), { timeout: 30_000 }).toBe(String(completed + 2))
    expect(await before!.evaluate((node) => node.isConnected)).toBe(true)
    await screenshot(page, "dashboard-one-orchestrator")

    await page.setViewportSize(PHONE)
    await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0)
    await screenshot(page, "dashboard-phone")
    expect(problems).toEqual([])
    await context.close()
  })

  it("keeps two orchestrators, switches between them, edits and removes them", async () => {
    const { page, context } = await openPage(browser)
    page.on("dialog", (confirm) => void confirm.accept())
    await page.goto(`${site.url}/`)
    await (await addThroughDialog(page, { name: "Open", url: open.url })).waitFor({ state: "detached" })
    await (await addThroughDialog(page, { name: "Guarded", url: guarded.url, apiKey: TOKEN })).waitFor({ state: "detached" })
    const again = await addThroughDialog(page, { name: "Twice", url: `${open.url}/` })
    await expect.poll(() => again.getByRole("alert").textContent()).toBe(`${open.url} is already in the list, as Open.`)
    await again.getByRole("button", { name: "Cancel" }).click()
    await page.locator(`.dashboard[data-orchestrator="${guarded.url}"]`).waitFor()
    await page.locator('.orchestrator-card[data-state="healthy"]').nth(1).waitFor()
    await page.getByRole("button", { name: "Open", exact: true }).click()
    await page.locator(`.dashboard[data-orchestrator="${open.url}"]`).waitFor()
    await page.getByRole("cell", { name: "report" }).first().waitFor()
    await screenshot(page, "dashboard-two-orchestrators")

    await page.getByRole("button", { name: "Edit Guarded" }).click()
    const edit = page.getByRole("dialog", { name: "Edit Guarded" })
    await edit.getByLabel("Name").fill("Staging")
    await edit.getByRole("button", { name: "Save" }).click()
    await edit.waitFor({ state: "detached" })
    await expect.poll(() => storedNames(page)).toEqual(["Open", "Staging"])
    await page.getByRole("button", { name: "Remove Open" }).click()
    await expect.poll(() => storedNames(page)).toEqual(["Staging"])
    await page.locator(`.dashboard[data-orchestrator="${guarded.url}"]`).waitFor()
    await context.close()
  })

  it("says why an orchestrator cannot be added: nothing there, not an orchestrator, CORS, missing or wrong key", async () => {
    const { page, context } = await openPage(browser)
    await page.goto(`${site.url}/`)
    const nobody = `http://127.0.0.1:${await freePort()}`
    const cases: ReadonlyArray<readonly [{ name: string; url: string; apiKey?: string }, RegExp]> = [
      [{ name: "Typo", url: "localhost:3000" }, /must start with http:\/\/ or https:\/\//],
      [{ name: "Nobody", url: nobody }, /Cannot reach .*nothing answered/],
      [{ name: "Site", url: site.url }, /is not a PipeWeave orchestrator: \/health answered HTTP 404/],
      [{ name: "No CORS", url: noCors.url }, new RegExp(`CORS.*CORS_ORIGINS=${site.url.replace(/[.]/g, "\\.")}`)],
      [{ name: "No key", url: guarded.url }, /needs an API key/],
      [{ name: "Wrong key", url: guarded.url, apiKey: "not-the-token" }, /refused this API key/]
    ]
    for (const [fields, message] of cases) {
      const dialog = await addThroughDialog(page, fields)
      await expect.poll(() => dialog.getByRole("alert").textContent(), { timeout: 30_000 }).toMatch(message)
      if (fields.name === "Wrong key") await screenshot(page, "dialog-wrong-key")
      await dialog.getByRole("button", { name: "Cancel" }).click()
      await dialog.waitFor({ state: "detached" })
    }
    expect(await storedNames(page)).toEqual([])
    await context.close()
  })

  it("served by an orchestrator at /ui/, has that orchestrator in the store from the first visit", async () => {
    const { page, context, problems } = await openPage(browser)
    await page.goto(`${noCors.url}/ui/`)
    await page.getByRole("button", { name: "This orchestrator", pressed: true }).waitFor()
    await page.locator(`.dashboard[data-orchestrator="${noCors.url}"] [data-stat="Completed"]`).waitFor()
    await page.locator('.orchestrator-card[data-state="healthy"]').waitFor()
    await screenshot(page, "served-at-ui")
    await page.goto(`${noCors.url}/ui/runs/prun_000000000000`)
    await page.getByRole("link", { name: "Dashboard" }).waitFor()
    expect(await page.getByRole("link", { name: "Dashboard" }).getAttribute("href")).toBe("../")
    await page.getByRole("link", { name: "Dashboard" }).click()
    await page.waitForURL(`${noCors.url}/ui/`)
    expect(await storedNames(page)).toEqual(["This orchestrator"])
    expect(problems).toEqual([])
    await context.close()
  })

  it("served at /ui/ by an orchestrator with an API token, asks for the key and works once it is entered", async () => {
    const { page, context, problems } = await openPage(browser)
    await page.goto(`${guarded.url}/ui/`)
    await page.getByRole("button", { name: "This orchestrator", pressed: true }).waitFor()
    await expect.poll(() => page.getByRole("alert").textContent(), { timeout: 30_000 }).toMatch(/refused the API key \(none entered\)/)
    await page.getByRole("button", { name: "Edit This orchestrator" }).click()
    const edit = page.getByRole("dialog", { name: "Edit This orchestrator" })
    await edit.getByLabel("API key").fill(TOKEN)
    await edit.getByRole("button", { name: "Save" }).click()
    await edit.waitFor({ state: "detached" })
    await page.locator(`.dashboard[data-orchestrator="${guarded.url}"] [data-stat="Completed"]`).waitFor()
    await page.getByText("site-e2e-worker").waitFor()
    expect(await page.getByRole("alert").count()).toBe(0)
    await screenshot(page, "served-at-ui-with-token")
    expect(problems).toEqual([])
    await context.close()
  })
})
