/** Distinct statement texts remembered; past this, new texts run unnamed (as every text did before). */
const MAX_TEXTS = 512

/** Texts longer than this are never prepared (bulk inserts and other one-offs). */
const MAX_TEXT_LENGTH = 16_384

/**
 * Names the statements this process runs more than once, so each session parses and analyses
 * them once and PostgreSQL may keep their plan (its plan cache still chooses per execution between
 * a custom and a generic plan, by cost). Texts seen once, long ones and any containing `;` (which
 * cannot be prepared) run as unnamed statements, as before. Names are `{prefix}_{n}`.
 */
export const makeStatementNames = (prefix = "pipeweave") => {
  const texts = new Map<string, string | null>()
  let named = 0
  return (text: string): string | undefined => {
    if (text.length > MAX_TEXT_LENGTH || text.includes(";")) return undefined
    const name = texts.get(text)
    if (name === undefined) {
      if (texts.size < MAX_TEXTS) texts.set(text, null)
      return undefined
    }
    if (name !== null) return name
    const assigned = `${prefix}_${named++}`
    texts.set(text, assigned)
    return assigned
  }
}
