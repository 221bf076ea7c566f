import { readFileSync } from "node:fs"

/** One instruction of a Dockerfile: `RUN npm ci` is `{ keyword: "RUN", args: "npm ci" }`. */
export interface Instruction {
  readonly keyword: string
  readonly args: string
}

/** A build stage: `FROM <image> AS <name>` and the instructions under it. */
export interface Stage {
  readonly image: string
  readonly name: string
  readonly instructions: ReadonlyArray<Instruction>
}

/** The stages of a Dockerfile (comments dropped, `\` continuations joined). */
export const readDockerfile = (path: string): ReadonlyArray<Stage> => {
  const lines = readFileSync(path, "utf8").replace(/\\\r?\n/g, " ").split(/\r?\n/)
  const stages: Array<{ image: string; name: string; instructions: Array<Instruction> }> = []
  for (const line of lines.map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"))) {
    const [, keyword = "", args = ""] = /^(\S+)\s*(.*)$/.exec(line) ?? []
    if (keyword.toUpperCase() === "FROM") {
      const [, image = "", name = ""] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args) ?? []
      stages.push({ image, name, instructions: [] })
    } else {
      stages.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), args })
    }
  }
  return stages
}

/** The arguments of every `keyword` instruction in `stage`. */
export const argsOf = (stage: Stage, keyword: string): ReadonlyArray<string> =>
  stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args)

/** The `npm …` commands of the stage's `RUN` instructions, in order (each `&&`-joined command on its own). */
export const npmCommands = (stage: Stage): ReadonlyArray<string> =>
  argsOf(stage, "RUN").flatMap((run) => run.split("&&").map((c) => c.trim()).filter((c) => c.startsWith("npm ")))

/** The variables the stage's `ENV KEY=value …` instructions set (unquoted values). */
export const envOf = (stage: Stage): Record<string, string> =>
  Object.fromEntries(argsOf(stage, "ENV").flatMap((env) => env.split(/\s+/).map((pair) => pair.split("=", 2) as [string, string])))

/** An exec-form command (`CMD ["node", "x.mjs"]`, or the `CMD` part of a `HEALTHCHECK`). */
export const execForm = (args: string): ReadonlyArray<string> => {
  const json = args.slice(args.indexOf("["))
  const parsed: unknown = JSON.parse(json)
  if (!Array.isArray(parsed) || !parsed.every((part) => typeof part === "string")) throw new Error(`not exec form: ${args}`)
  return parsed
}
