import type { Table } from "./extractTables.js"
import { stopWords } from "./stopWords.js"
import { type TableStats, tableStats } from "./tableStats.js"

/** How much `summarize` keeps. */
export interface SummaryOptions {
  /** Sentences in the summary; default 3. */
  readonly sentences?: number | undefined
  /** Keywords listed; default 8. */
  readonly keywords?: number | undefined
}

/** A keyword and how often it occurs. */
export interface Keyword {
  readonly word: string
  readonly count: number
}

/** An extractive summary: the best-scoring sentences in document order, keywords, table statistics. */
export interface Summary {
  readonly wordCount: number
  readonly sentenceCount: number
  readonly sentences: ReadonlyArray<string>
  readonly keywords: ReadonlyArray<Keyword>
  readonly tablesIncluded: boolean
  readonly tables?: TableStats
}

/** Counts whitespace-separated words that contain a letter or a digit. */
export const countWords = (text: string): number =>
  text.split(/\s+/).filter((word) => /[\p{L}\p{N}]/u.test(word)).length

/**
 * Splits text into sentences: paragraphs (blank lines, form feeds) are split after `.`, `!` or
 * `?` followed by a capital or a digit; only pieces that end in such a mark and have at least
 * four words count, so headings and table rows are left out.
 */
export const splitSentences = (text: string): Array<string> =>
  text.split(/\n\s*\n|\f/)
    .map((block) => block.replace(/\s+/g, " ").trim())
    .flatMap((block) => block.split(/(?<=[.!?]["')\]]?)\s+(?=["'(\[]?[\p{Lu}\p{N}])/u))
    .filter((sentence) => /[.!?]["')\]]?$/.test(sentence) && countWords(sentence) >= 4)

/** Lower-cased words of three or more letters that are not stop words (`company's` → `company`). */
export const contentWords = (text: string): Array<string> =>
  (text.toLowerCase().match(/\p{L}[\p{L}'’-]*/gu) ?? [])
    .map((word) => word.replace(/['’]s$/, "").replace(/['’-]+$/, ""))
    .filter((word) => word.length >= 3 && !stopWords.has(word))

/**
 * Summarizes text deterministically: each sentence scores the sum of its content words'
 * frequencies in the whole text over the square root of their number; the top `sentences`
 * (ties to the earlier one) are returned in document order. Keywords are the most frequent
 * content words (ties alphabetical). With `tables`, adds their statistics. Pure.
 */
export const summarize = (text: string, tables?: ReadonlyArray<Table>, options: SummaryOptions = {}): Summary => {
  const frequency = new Map<string, number>()
  for (const word of contentWords(text)) frequency.set(word, (frequency.get(word) ?? 0) + 1)
  const sentences = splitSentences(text)
  const scored = sentences.map((sentence, index) => {
    const words = contentWords(sentence)
    const total = words.reduce((sum, word) => sum + (frequency.get(word) ?? 0), 0)
    return { sentence, index, score: words.length === 0 ? 0 : total / Math.sqrt(words.length) }
  })
  const chosen = [...scored].sort((p, q) => q.score - p.score || p.index - q.index)
    .slice(0, options.sentences ?? 3)
    .sort((p, q) => p.index - q.index)
  const keywords = [...frequency].sort(([w1, c1], [w2, c2]) => c2 - c1 || (w1 < w2 ? -1 : w1 > w2 ? 1 : 0))
    .slice(0, options.keywords ?? 8)
    .map(([word, count]) => ({ word, count }))
  return {
    wordCount: countWords(text),
    sentenceCount: sentences.length,
    sentences: chosen.map(({ sentence }) => sentence),
    keywords,
    tablesIncluded: tables !== undefined,
    ...(tables === undefined ? {} : { tables: tableStats(tables) })
  }
}
