import { String } from "effect"

/** Distinct column names remembered; past this, a name is converted on every row, as before. */
const MAX_NAMES = 1024

/**
 * Result column names in camelCase (`String.snakeToCamel`), each converted once: the names a
 * process reads are the few its own statements choose, and the conversion (regular expressions and
 * new strings) ran for every column of every row.
 */
export const camelColumnNames = (): ((name: string) => string) => {
  const names = new Map<string, string>()
  return (name) => {
    const known = names.get(name)
    if (known !== undefined) return known
    const camel = String.snakeToCamel(name)
    if (names.size < MAX_NAMES) names.set(name, camel)
    return camel
  }
}
