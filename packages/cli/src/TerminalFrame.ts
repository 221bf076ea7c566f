const ESC = "\u001b["

/**
 * The text that replaces the `previousHeight` lines last drawn with `lines` (the cursor at the
 * start of the line below them): up to the first of them, clear to the end of the screen, draw.
 * Written with a trailing newline.
 */
export const redraw = (previousHeight: number, lines: ReadonlyArray<string>): string =>
  `${previousHeight > 0 ? `\r${ESC}${previousHeight}A` : ""}${ESC}0J${lines.join("\n")}`

/** What decides whether the live view may move the cursor. */
export interface TerminalFacts {
  readonly stdoutIsTty: boolean
  readonly stderrIsTty: boolean
  readonly env: Readonly<Record<string, string | undefined>>
}

/**
 * Whether the live view is redrawn in place: only on an interactive terminal (stdout and stderr,
 * where the view goes, both TTYs), with `NO_COLOR` unset or empty and a `TERM` other than `dumb`;
 * otherwise it prints one plain line per change.
 */
export const redrawsInPlace = ({ env, stderrIsTty, stdoutIsTty }: TerminalFacts): boolean =>
  stdoutIsTty && stderrIsTty && (env["NO_COLOR"] === undefined || env["NO_COLOR"] === "") && env["TERM"] !== "dumb"
