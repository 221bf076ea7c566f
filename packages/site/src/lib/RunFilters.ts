/**
 * The Runs page's filters: kept in the page's query string (so a filtered list can be bookmarked
 * and the back button works) and turned into the API's query (`GET /api/runs`, `GET /api/queue/items`).
 */
export type RunKind = "pipelines" | "tasks"

export const PIPELINE_RUN_STATUSES = ["running", "completed", "failed", "partial", "cancelled"] as const
export const TASK_RUN_STATUSES = ["waiting", "pending", "dispatching", "running", "completed", "failed", "cancelled", "skipped"] as const

/** How far back the list goes. */
export const TIME_WINDOWS = { all: null, "1h": 3_600_000, "24h": 86_400_000, "7d": 7 * 86_400_000 } as const
export type TimeWindow = keyof typeof TIME_WINDOWS

export const PAGE_SIZE = 25

export interface RunFilters {
  readonly kind: RunKind
  readonly status: string | undefined
  /** Pipeline runs: the pipeline. */
  readonly pipelineId: string | undefined
  /** Task runs: the task type. */
  readonly taskId: string | undefined
  /** Task runs: only those queued on their own, not as part of a pipeline run. */
  readonly standaloneOnly: boolean
  readonly window: TimeWindow
  /** 0-based. */
  readonly page: number
}

export const DEFAULT_FILTERS: RunFilters = {
  kind: "pipelines",
  status: undefined,
  pipelineId: undefined,
  taskId: undefined,
  standaloneOnly: false,
  window: "all",
  page: 0
}

const statusesOf = (kind: RunKind): ReadonlyArray<string> => (kind === "pipelines" ? PIPELINE_RUN_STATUSES : TASK_RUN_STATUSES)

const text = (value: string | null): string | undefined => {
  const trimmed = value?.trim()
  return trimmed ? trimmed : undefined
}

/** The filters in a query string; anything unknown or malformed falls back to its default. */
export const filtersFromSearch = (search: URLSearchParams): RunFilters => {
  const kind: RunKind = search.get("kind") === "tasks" ? "tasks" : "pipelines"
  const status = text(search.get("status"))
  const window = search.get("window") ?? "all"
  const page = Number(search.get("page") ?? "1")
  return {
    kind,
    status: status !== undefined && statusesOf(kind).includes(status) ? status : undefined,
    pipelineId: kind === "pipelines" ? text(search.get("pipeline")) : undefined,
    taskId: kind === "tasks" ? text(search.get("task")) : undefined,
    standaloneOnly: kind === "tasks" && search.get("standalone") === "true",
    window: window in TIME_WINDOWS ? (window as TimeWindow) : "all",
    page: Number.isInteger(page) && page >= 1 ? page - 1 : 0
  }
}

/** The query string for `filters`, leaving out defaults (pages count from 1 there). */
export const searchFromFilters = (filters: RunFilters): URLSearchParams => {
  const search = new URLSearchParams()
  if (filters.kind === "tasks") search.set("kind", "tasks")
  if (filters.status) search.set("status", filters.status)
  if (filters.kind === "pipelines" && filters.pipelineId) search.set("pipeline", filters.pipelineId)
  if (filters.kind === "tasks" && filters.taskId) search.set("task", filters.taskId)
  if (filters.kind === "tasks" && filters.standaloneOnly) search.set("standalone", "true")
  if (filters.window !== "all") search.set("window", filters.window)
  if (filters.page > 0) search.set("page", String(filters.page + 1))
  return search
}

/** Changes some filters; any change but the page goes back to the first page, a kind change drops the other kind's filters. */
export const changeFilters = (filters: RunFilters, change: Partial<RunFilters>): RunFilters => {
  const next = { ...filters, ...change }
  const kindChanged = change.kind !== undefined && change.kind !== filters.kind
  return {
    ...next,
    status: kindChanged ? undefined : next.status,
    pipelineId: next.kind === "pipelines" ? next.pipelineId : undefined,
    taskId: next.kind === "tasks" ? next.taskId : undefined,
    standaloneOnly: next.kind === "tasks" && next.standaloneOnly,
    page: "page" in change && Object.keys(change).length === 1 ? Math.max(0, next.page) : 0
  }
}

const since = (window: TimeWindow, now: number) => {
  const span = TIME_WINDOWS[window]
  return span === null ? {} : { since: new Date(now - span) }
}

const paging = (filters: RunFilters) => ({ limit: PAGE_SIZE, offset: filters.page * PAGE_SIZE })

/** `GET /api/runs` query parameters. */
export const pipelineRunsQuery = (filters: RunFilters, now: number) => ({
  ...(filters.status ? { status: filters.status as (typeof PIPELINE_RUN_STATUSES)[number] } : {}),
  ...(filters.pipelineId ? { pipelineId: filters.pipelineId } : {}),
  ...since(filters.window, now),
  ...paging(filters)
})

/** `GET /api/queue/items` query parameters. */
export const taskRunsQuery = (filters: RunFilters, now: number) => ({
  ...(filters.status ? { status: filters.status as (typeof TASK_RUN_STATUSES)[number] } : {}),
  ...(filters.taskId ? { taskId: filters.taskId } : {}),
  ...(filters.standaloneOnly ? { standalone: true } : {}),
  ...since(filters.window, now),
  ...paging(filters)
})

/** How many pages `total` rows make (at least one). */
export const pageCount = (total: number): number => Math.max(1, Math.ceil(total / PAGE_SIZE))
