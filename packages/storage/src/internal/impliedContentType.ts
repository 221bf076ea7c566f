import { extname } from "node:path"

const byExtension: Record<string, string> = {
  ".json": "application/json",
  ".jsonl": "application/x-ndjson",
  ".txt": "text/plain",
  ".log": "text/plain",
  ".csv": "text/csv",
  ".html": "text/html",
  ".pdf": "application/pdf",
  ".png": "image/png",
  ".jpg": "image/jpeg"
}

/** The content type a key's extension implies (`application/octet-stream` for any other). */
export const impliedContentType = (key: string): string => byExtension[extname(key)] ?? "application/octet-stream"
