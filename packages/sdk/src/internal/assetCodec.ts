import type { AssetRef } from "@pipeweave/domain/TaskRun"
import { InvalidAsset } from "./AttemptErrors.js"

type AssetType = AssetRef["type"]

/** The content type each asset type is stored with. */
export const contentTypes: Record<AssetType, string> = {
  json: "application/json",
  text: "text/plain; charset=utf-8",
  binary: "application/octet-stream"
}

/** An asset's bytes for its type, or why `data` does not fit it. */
export const encodeAsset = (key: string, type: AssetType, data: unknown): Uint8Array | InvalidAsset => {
  const invalid = (why: string) => new InvalidAsset({ message: `asset '${key}' (${type}): ${why}` })
  if (type === "json") {
    try {
      const text = JSON.stringify(data)
      return text === undefined ? invalid("data is not JSON-serialisable") : Buffer.from(text, "utf8")
    } catch (cause) {
      return invalid(`data is not JSON-serialisable (${cause instanceof Error ? cause.message : String(cause)})`)
    }
  }
  if (type === "text") return typeof data === "string" ? Buffer.from(data, "utf8") : invalid("data must be a string")
  if (data instanceof Uint8Array) return data
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  if (typeof data === "string") return Buffer.from(data, "utf8")
  return invalid("data must be a Buffer, Uint8Array, ArrayBuffer or string")
}

/** An asset's value from its bytes: parsed JSON, a UTF-8 string, or a Buffer. */
export const decodeAsset = (type: AssetType, bytes: Uint8Array): unknown => {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (type === "binary") return buffer
  const text = buffer.toString("utf8")
  return type === "json" ? JSON.parse(text) : text
}
