import type { Schema } from "effect"

/**
 * A request body that refuses unknown fields: the decode fails with a 400 naming the field, as the
 * OpenAPI document's `additionalProperties: false` says. Applies to nested objects too. Only the
 * contract's payloads are strict; answers stay tolerant, so a client decodes a newer
 * orchestrator's answers that carry fields it does not know.
 */
export const strictPayload = <A, I, R>(schema: Schema.Schema<A, I, R>): Schema.Schema<A, I, R> =>
  schema.annotations({ parseOptions: { onExcessProperty: "error" } })
