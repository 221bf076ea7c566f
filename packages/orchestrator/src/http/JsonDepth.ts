/** How deeply objects and arrays may nest in a request body. */
export const MAX_JSON_DEPTH = 64
