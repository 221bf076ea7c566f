import { pageUrl } from "./SiteLinks"

/** A task type's code history: versions, hashes and when they changed (on the Pipelines page). */
export const codeHistoryUrl = (taskId: string): string => pageUrl("pipelines", { task: taskId })

/** One dead-letter entry's detail. */
export const dlqEntryUrl = (dlqId: string): string => pageUrl("dlq", { id: dlqId })

/** The Runs list filtered by a query string (see RunFilters). */
export const runsListUrl = (search: URLSearchParams): string => {
  const params: Record<string, string> = {}
  search.forEach((value, name) => (params[name] = value))
  return pageUrl("runs", params)
}
