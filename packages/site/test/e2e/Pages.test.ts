import { join } from "node:path"
import type { Browser } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { launchBrowser, openPage, PHONE, screenshot } from "../support/Browser"
import {
  api,
  eventually,
  freePort,
  type Orchestrator,
  type Proc,
  repoRoot,
  spawnNode,
  startOrchestrator,
  TEST_SECRET
} from "../support/Processes"

/** test/e2e/pagesWorker.ts (pipeline `weave`, task `flaky`) registered with `orchestrator`. */
const startPagesWorker = async (orchestrator: Orchestrator): Promise<Proc> => {
  const port = await freePort()
  const proc = spawnNode(["--conditions=@pipeweave/source", "--import", "tsx", join(repoRoot, "packages/site/test/e2e/pagesWorker.ts")], {
    ORCHESTRATOR_URL: orchestrator.url,
    PIPEWEAVE_SECRET_KEY: TEST_SECRET,
    WORKER_PORT: String(port)
  })
  await eventually(
    async () => (await api<Array<{ id: string }>>(orchestrator, "/api/pipelines")).some((p) => p.id === "weave"),
    () => `the worker did not register.\n${proc.output().slice(-3000)}`,
    90
  ).catch(async (error) => {
    await proc.stop()
    throw error
  })
  return proc
}

describe("the Pipelines, Runs and Dead Letter Queue pages, served by an orchestrator at /ui/", () => {
  let browser: Browser
  let orchestrator: Orchestrator
  let worker: Proc
  const ui = (path: string) => `${orchestrator.url}/ui/${path}`

  beforeAll(async () => {
    ;[orchestrator, browser] = await Promise.all([startOrchestrator(), launchBrowser()])
    worker = await startPagesWorker(orchestrator)
  })
  afterAll(async () => {
    await browser?.close()
    await Promise.all([worker?.stop(), orchestrator?.proc.stop()])
  })

  it("shows every pipeline with its graph drawn: entry, parallel branches, join, end, limits and code versions", async () => {
    const { page, context, problems } = await openPage(browser)
    const requested: Array<string> = []
    page.on("request", (request) => requested.push(request.url()))
    await page.goto(ui("pipelines/"))
    const weave = page.getByRole("region", { name: "weave" })
    await weave.getByRole("img", { name: "Graph of pipeline weave" }).waitFor()
    const nodes = weave.locator(".dag-node")
    await expect.poll(() => nodes.count()).toBe(4)
    expect(await weave.locator(".dag-edge").count()).toBe(4)
    await expect.poll(() => weave.locator('[data-task="right"]').textContent()).toContain("at most 2 at once")
    expect(await weave.locator('[data-task="ingest"]').textContent()).toMatch(/v1 · no limit.*entry · parallel after/)
    expect(await weave.locator('[data-task="merge"]').textContent()).toContain("join · end")
    const box = (task: string) => weave.locator(`[data-task="${task}"] rect`).boundingBox()
    const [ingest, left, right, merge] = await Promise.all(["ingest", "left", "right", "merge"].map(box))
    expect(ingest!.x).toBeLessThan(left!.x)
    expect(left!.x).toBe(right!.x)
    expect(left!.y).not.toBe(right!.y)
    expect(right!.x).toBeLessThan(merge!.x)
    await screenshot(page, "pages-pipelines")

    // A node leads to the task's code history.
    await weave.getByRole("link", { name: /^right:/ }).focus() // keyboard: the node is a link
    await page.keyboard.press("Enter")
    await page.getByRole("heading", { name: "Code history of right" }).waitFor()
    await page.getByRole("cell", { name: "v1" }).waitFor()
    await screenshot(page, "pages-code-history")

    await page.setViewportSize(PHONE)
    await page.goto(ui("pipelines/"))
    await weave.getByRole("img", { name: "Graph of pipeline weave" }).waitFor()
    const [top, bottom] = await Promise.all(["ingest", "merge"].map(box))
    expect(top!.y).toBeLessThan(bottom!.y)
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0)
    await screenshot(page, "pages-pipelines-phone")
    expect(requested.filter((url) => !url.startsWith(orchestrator.url) && !url.startsWith("data:") && !url.startsWith("blob:"))).toEqual([])
    expect(problems).toEqual([])
    await context.close()
  })

  it("refuses invalid JSON input before sending anything", async () => {
    const { page, context } = await openPage(browser)
    const posted: Array<string> = []
    page.on("request", (request) => request.method() === "POST" && posted.push(request.url()))
    await page.goto(ui("pipelines/"))
    const weave = page.getByRole("region", { name: "weave" })
    await weave.getByRole("button", { name: "Trigger weave" }).click()
    const field = weave.getByLabel("Input (JSON)")
    await field.fill('{"doc": "hello",}')
    await weave.getByRole("button", { name: "Dry run" }).click()
    await expect.poll(() => weave.getByRole("alert").textContent()).toMatch(/Not valid JSON/)
    expect(await field.getAttribute("aria-invalid")).toBe("true")
    expect(await weave.getByRole("button", { name: "Trigger run" }).isDisabled()).toBe(true)
    await screenshot(page, "pages-invalid-json")
    expect(posted).toEqual([])
    expect((await api(orchestrator, "/api/runs")).total).toBe(0)
    await context.close()
  })

  it("triggers a run with JSON input after the dry-run plan, and watches it complete live on its page", async () => {
    const { page, context, problems } = await openPage(browser)
    await page.goto(ui("pipelines/"))
    const weave = page.getByRole("region", { name: "weave" })
    await weave.getByRole("button", { name: "Trigger weave" }).click()
    await weave.getByLabel("Input (JSON)").fill('{"doc": "quarterly report"}')
    await weave.getByRole("button", { name: "Dry run" }).click()
    const plan = weave.getByLabel("Dry-run plan")
    await expect.poll(() => plan.textContent()).toMatch(/left, right \(parallel\)/)
    expect(await plan.textContent()).toContain("valid")
    await weave.getByRole("button", { name: "Trigger run" }).click()
    await page.waitForURL(/\/ui\/runs\/\?id=prun_/)

    const graph = page.getByRole("img", { name: /^Graph of run prun_/ })
    await graph.waitFor()
    const drawing = await graph.elementHandle()
    // While it runs, `left` is shown running (progress is reported over about two seconds).
    await expect.poll(() => page.locator('.run-detail [data-task="left"]').first().getAttribute("data-status"), { timeout: 60_000 })
      .toMatch(/running|dispatching|pending|completed/)
    await expect.poll(() => page.locator("[data-run-status]").first().textContent(), { timeout: 90_000 }).toBe("completed")
    expect(await drawing!.evaluate((node) => node.isConnected)).toBe(true) // refreshed in place, never redrawn whole
    for (const task of ["ingest", "left", "right", "merge"]) {
      await expect.poll(() => graph.locator(`[data-task="${task}"]`).getAttribute("data-status")).toBe("completed")
    }
    const timeline = page.getByRole("table", { name: "Task timeline" })
    await expect.poll(() => timeline.locator(".timeline-row").count()).toBe(4)
    expect(await timeline.locator('[data-task="merge"]').textContent()).toMatch(/\d+–\d+ ms completed, v1/)

    // Input, output (cut, with the whole available), assets, progress and log lines.
    await page.getByLabel(/^Input of prun_/).waitFor()
    expect(await page.getByLabel(/^Input of prun_/).textContent()).toContain("quarterly report")
    const merge = page.locator("#task-merge")
    await expect.poll(() => merge.getByLabel(/^Output of trun_/).textContent(), { timeout: 30_000 }).toContain('"merged"')
    await merge.getByText(/Cut at 4000 characters/).waitFor()
    await merge.getByRole("button", { name: "Show all" }).click()
    expect((await merge.getByLabel(/^Output of trun_/).textContent())!.length).toBeGreaterThan(6000)
    const left = page.locator("#task-left")
    await left.getByText("left is done").waitFor()
    await left.getByText("notes").first().waitFor()
    expect(await left.textContent()).toContain("75%")
    await screenshot(page, "pages-run-detail")
    await page.setViewportSize(PHONE)
    await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0)
    await screenshot(page, "pages-run-detail-phone")
    expect(problems).toEqual([])
    await context.close()
  })

  it("opens a failed run's attempts, error codes and details, and retries its dead letter until it runs", async () => {
    const queued = await api<{ runId: string }>(orchestrator, "/api/queue/task", { body: { taskId: "flaky", input: { n: 1 } } })
    let seen: unknown
    await eventually(async () => {
      seen = await api(orchestrator, `/api/task-runs/${queued.runId}`)
      return (await api(orchestrator, "/api/dlq")).total === 1
    }, () => `flaky did not reach the dead letter queue: ${JSON.stringify(seen)}\n${worker.output().slice(-2000)}`, 90)
    const { page, context, problems } = await openPage(browser)

    await page.goto(ui("runs/?kind=tasks&status=failed"))
    await page.getByRole("table", { name: "Task runs" }).getByRole("link", { name: queued.runId }).click()
    await page.waitForURL(/\/ui\/runs\/\?id=trun_/)
    const attempts = page.locator("table.attempts tbody tr")
    await expect.poll(() => attempts.count(), { timeout: 30_000 }).toBe(2)
    expect(await attempts.nth(0).textContent()).toMatch(/UPSTREAM_DOWN.*upstream unavailable \(call 1\)/)
    expect(await attempts.nth(1).textContent()).toMatch(/UPSTREAM_DOWN.*upstream unavailable \(call 2\)/)
    await attempts.nth(1).getByText("Details").click()
    expect(await attempts.nth(1).locator("pre").textContent()).toContain('"status": 503')
    await screenshot(page, "pages-failed-run")

    await page.goto(ui("dlq/"))
    const table = page.getByRole("table", { name: "Dead letters" })
    await table.getByText("UPSTREAM_DOWN").waitFor()
    await table.getByRole("link", { name: /^dlq_/ }).click()
    await page.getByRole("heading", { name: /^Dead letter dlq_/ }).waitFor()
    await expect.poll(() => page.getByRole("table", { name: "Attempts" }).locator("tbody tr").count()).toBe(2)
    expect(await page.getByLabel("Input").first().textContent()).toContain('"n": 1')
    await screenshot(page, "pages-dlq-entry")
    await page.getByRole("button", { name: "Retry" }).click()
    await page.waitForURL(/\/ui\/runs\/\?id=trun_/)
    expect(page.url()).not.toContain(queued.runId)
    await expect.poll(() => page.locator("[data-run-status]").first().textContent(), { timeout: 60_000 }).toBe("completed")
    await expect.poll(() => page.getByLabel(/^Output of trun_/).textContent(), { timeout: 30_000 }).toContain("recovered")
    await screenshot(page, "pages-dlq-retried")
    expect(problems).toEqual([])
    await context.close()
  })

  it("lists runs filtered by kind, status and pipeline, paged; retry-all and purge ask first", async () => {
    const { page, context } = await openPage(browser)
    await page.goto(ui("runs/"))
    const pipelineRuns = page.getByRole("table", { name: "Pipeline runs" })
    await pipelineRuns.getByRole("cell", { name: "weave" }).waitFor()
    await page.getByLabel("Status").selectOption("failed")
    await page.getByText("No runs match.").waitFor()
    expect(page.url()).toContain("status=failed")
    await page.getByLabel("Show").selectOption("tasks")
    await page.getByLabel("Standalone only").check()
    const taskRuns = page.getByRole("table", { name: "Task runs" })
    await expect.poll(() => taskRuns.locator("tbody tr").count()).toBe(2) // the failed flaky run and its retry
    await page.getByText(/Page 1 of 1 · 2 runs/).waitFor()
    await screenshot(page, "pages-runs-list")

    await page.goto(ui("dlq/"))
    await page.getByRole("checkbox", { name: "Include retried entries" }).check()
    await page.getByRole("table", { name: "Dead letters" }).getByText("UPSTREAM_DOWN").waitFor()
    await page.getByLabel("Purge entries older than").selectOption("1h")
    await page.getByRole("button", { name: "Purge…" }).click()
    const dialog = page.getByRole("dialog", { name: "Purge dead letters" })
    await dialog.waitFor()
    await screenshot(page, "pages-dlq-purge-confirm")
    await dialog.getByRole("button", { name: "Cancel" }).click()
    await dialog.waitFor({ state: "hidden" })
    expect((await api(orchestrator, "/api/dlq?includeRetried=true")).total).toBe(1)

    await page.getByLabel("Retry all of").selectOption("task:flaky")
    await page.getByRole("button", { name: "Retry all…" }).click()
    const confirm = page.getByRole("dialog", { name: "Retry dead letters" })
    await confirm.getByText("task flaky").waitFor()
    await confirm.getByRole("button", { name: "Retry all" }).click()
    await page.getByRole("status").getByText("Retried 0 dead letters of task flaky.").waitFor() // its only entry was retried already
    await context.close()
  })
})
