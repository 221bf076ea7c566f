/** When the orchestrator sets a flag: as it starts, or once it has been serving for a second. */
export type V8FlagTime = "start" | "serving"

/**
 * The V8 flags the orchestrator sets for itself (`main.ts`), each with why. An operator's own
 * setting of a flag wins over ours: a node flag (`node --interrupt-budget=… orchestrator.mjs`), or
 * `NODE_OPTIONS` for the few V8 flags Node accepts there (none of these).
 */
export const V8_DEFAULTS: ReadonlyArray<{ readonly flag: string; readonly value: number; readonly when: V8FlagTime }> = [
  // Between full collections V8 lets the old generation grow up to 4× what survived the last one;
  // a burst of queuing (100k runs through POST /api/queue/batch) then leaves its garbage resident
  // until the next collection, 170-180 MB on PostgreSQL. Growing by half at most keeps it under
  // 135 MB, with CPU per task unchanged in the bench.
  { flag: "--heap-growing-percent", value: 50, when: "start" },
  // A task's path runs a few hundred functions a few times each (HTTP, Effect's runtime, pg, the
  // flow). V8 optimises a function once it has run a budget of bytecode, and no sooner than 500
  // calls after one of its inline caches last changed; with those defaults much of the path still
  // ran as baseline code, through its caches, thousands of tasks after start. An eighth of the
  // budget and 20 calls optimise it within the first few hundred. Set once serving: from the
  // start, they optimised start-up's one-off code too, and start-up took 0.1–0.3 s longer
  // (docs/decisions.md, "The orchestrator's code is optimised sooner").
  { flag: "--interrupt-budget", value: 8192, when: "serving" },
  { flag: "--minimum-invocations-after-ic-update", value: 20, when: "serving" }
]

/** Whether `flag` is set in any of `settings` (node flags, `NODE_OPTIONS`), spelt with `-` or `_`. */
const setIn = (flag: string, settings: ReadonlyArray<string>) => {
  const spelt = new RegExp(`(^|\\s)${flag.replaceAll("-", "[-_]")}(=|\\s|$)`)
  return settings.some((setting) => spelt.test(setting))
}

/**
 * The `--flag=value` settings of `V8_DEFAULTS` to apply at `when`, leaving out those the operator
 * set in `execArgv` or `nodeOptions`.
 */
export const v8FlagsToSet = (execArgv: ReadonlyArray<string>, nodeOptions: string | undefined, when: V8FlagTime): ReadonlyArray<string> =>
  V8_DEFAULTS.filter((d) => d.when === when && !setIn(d.flag, [...execArgv, nodeOptions ?? ""])).map(({ flag, value }) => `${flag}=${value}`)
