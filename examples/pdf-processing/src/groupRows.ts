import type { TextItem } from "./openPdf.js"

/** Text items sharing a baseline, left to right; `y` is the first item's baseline. */
export interface Row {
  readonly y: number
  readonly height: number
  readonly items: ReadonlyArray<TextItem>
}

/**
 * Groups a page's text items into rows, top to bottom: an item joins the row above when its
 * baseline is within `tolerance` × the larger of the two heights (default 0.35).
 */
export const groupRows = (items: ReadonlyArray<TextItem>, tolerance = 0.35): Array<Row> => {
  const sorted = [...items].sort((p, q) => q.y - p.y || p.x - q.x)
  const rows: Array<{ y: number; height: number; items: Array<TextItem> }> = []
  for (const item of sorted) {
    const last = rows.at(-1)
    if (last !== undefined && Math.abs(last.y - item.y) <= tolerance * Math.max(last.height, item.height, 1)) {
      last.items.push(item)
      last.height = Math.max(last.height, item.height)
    } else {
      rows.push({ y: item.y, height: item.height, items: [item] })
    }
  }
  return rows.map((row) => ({ ...row, items: row.items.sort((p, q) => p.x - q.x) }))
}
