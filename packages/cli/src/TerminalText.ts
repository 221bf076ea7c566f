const STYLE = /\u001b\[[0-9;]*m/g

/** `text` without ANSI colour and weight codes (SGR sequences). */
export const withoutStyles = (text: string): string => text.replace(STYLE, "")

const visibleLength = (text: string): number => withoutStyles(text).length

/** Words of `text` on lines of at most `width` visible columns, the first after `first`, the rest after `rest`. */
const wrap = (text: string, first: string, rest: string, width: number): Array<string> => {
  const lines: Array<string> = []
  let line = first
  let empty = true
  for (const word of text.split(" ").filter((w) => w !== "")) {
    if (!empty && visibleLength(line) + 1 + visibleLength(word) > width) {
      lines.push(line)
      line = rest + word
    } else {
      line = empty ? line + word : `${line} ${word}`
    }
    empty = false
  }
  lines.push(line)
  return lines
}

/** A row of the subcommand list: `- usage<padding>description`. */
const COMMAND_ROW = /^(- \S.*?) {2,}(\S.*)$/

const fitLine = (line: string, width: number): Array<string> => {
  const trimmed = line.trimEnd()
  if (visibleLength(trimmed) <= width) return [trimmed]
  const indent = /^ */.exec(trimmed)![0]
  const content = trimmed.slice(indent.length)
  const hanging = indent + (/^(- |\$ )/.test(withoutStyles(content)) ? "    " : "")
  const columns = COMMAND_ROW.exec(withoutStyles(content))
  if (columns) {
    return [...wrap(columns[1]!, indent, hanging, width), ...wrap(columns[2]!, `${indent}    `, `${indent}    `, width)]
  }
  return wrap(content, indent, hanging, width)
}

/**
 * Help text fitted to `width` columns: long lines wrap at spaces under their own indentation, and
 * a `usage   description` row too wide for one line puts its description on the lines below.
 */
export const fitToWidth = (text: string, width: number): string =>
  text.split("\n").flatMap((line) => fitLine(line, width)).join("\n")
