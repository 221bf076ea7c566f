import { describe, expect, it } from "vitest"
import {
  changeFilters,
  DEFAULT_FILTERS,
  filtersFromSearch,
  pageCount,
  PAGE_SIZE,
  pipelineRunsQuery,
  searchFromFilters,
  taskRunsQuery
} from "../../src/lib/RunFilters"

const NOW = Date.parse("2026-06-01T12:00:00Z")

describe("run filters", () => {
  it("round-trip through the query string, leaving defaults out", () => {
    expect(searchFromFilters(DEFAULT_FILTERS).toString()).toBe("")
    const filters = { ...DEFAULT_FILTERS, kind: "tasks" as const, status: "failed", taskId: "ocr", standaloneOnly: true, window: "24h" as const, page: 2 }
    const search = searchFromFilters(filters)
    expect(search.toString()).toBe("kind=tasks&status=failed&task=ocr&standalone=true&window=24h&page=3")
    expect(filtersFromSearch(search)).toEqual(filters)
  })

  it("ignore unknown or malformed values in a hand-edited URL", () => {
    const filters = filtersFromSearch(new URLSearchParams("kind=pipelines&status=skipped&window=1y&page=-4&task=x&standalone=true"))
    expect(filters).toEqual(DEFAULT_FILTERS)
    expect(filtersFromSearch(new URLSearchParams("page=2.5")).page).toBe(0)
  })

  it("go back to the first page on any change but paging, and drop the other kind's filters", () => {
    const onPage3 = { ...DEFAULT_FILTERS, pipelineId: "report", status: "failed", page: 2 }
    expect(changeFilters(onPage3, { window: "1h" }).page).toBe(0)
    expect(changeFilters(onPage3, { page: 3 }).page).toBe(3)
    const tasks = changeFilters(onPage3, { kind: "tasks" })
    expect([tasks.kind, tasks.status, tasks.pipelineId, tasks.page]).toEqual(["tasks", undefined, undefined, 0])
  })

  it("become the API's query: pipeline runs", () => {
    expect(pipelineRunsQuery(DEFAULT_FILTERS, NOW)).toEqual({ limit: PAGE_SIZE, offset: 0 })
    expect(pipelineRunsQuery({ ...DEFAULT_FILTERS, status: "partial", pipelineId: "report", window: "1h", page: 1 }, NOW)).toEqual({
      status: "partial",
      pipelineId: "report",
      since: new Date(NOW - 3_600_000),
      limit: PAGE_SIZE,
      offset: PAGE_SIZE
    })
  })

  it("become the API's query: task runs", () => {
    const filters = filtersFromSearch(new URLSearchParams("kind=tasks&status=pending&task=ocr&standalone=true&window=7d"))
    expect(taskRunsQuery(filters, NOW)).toEqual({
      status: "pending",
      taskId: "ocr",
      standalone: true,
      since: new Date(NOW - 7 * 86_400_000),
      limit: PAGE_SIZE,
      offset: 0
    })
  })

  it("count pages", () => {
    expect([pageCount(0), pageCount(PAGE_SIZE), pageCount(PAGE_SIZE + 1)]).toEqual([1, 1, 2])
  })
})
