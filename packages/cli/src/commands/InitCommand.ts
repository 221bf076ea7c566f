import { Command, Options } from "@effect/cli"
import { FileSystem, Path } from "@effect/platform"
import { Console, Effect, Option, Schema } from "effect"
import { urlOption } from "../ApiOptions.js"
import { CliFailure } from "../CliFailure.js"
import { localPackageSources } from "../LocalPackageSources.js"
import { PUBLISHED, scaffoldFiles } from "../Scaffold.js"

const ProjectName = Schema.String.pipe(Schema.pattern(/^[a-z0-9][a-z0-9._-]{0,127}$/, {
  message: () => "--name must be lowercase letters, digits, '.', '_' or '-' (it is the npm package name and the serviceId)"
}))

/** `pipeweave init --name <name> [--dir .]`: scaffolds a worker project; never overwrites a file. */
export const InitCommand = Command.make(
  "init",
  {
    name: Options.text("name").pipe(Options.withSchema(ProjectName), Options.withDescription("Service id and package name")),
    dir: Options.text("dir").pipe(Options.withDefault("."), Options.withDescription("Project directory (default: the current one)")),
    url: urlOption,
    sdk: Options.text("sdk").pipe(
      Options.optional,
      Options.withDescription(
        "A local SDK instead of the published one: an npm pack tarball (pipeweave-sdk-<version>.tgz; the domain, " +
          "storage and cli tarballs beside it are used too) or the SDK's package directory"
      )
    ),
    json: Options.boolean("json").pipe(Options.withDescription("Print the created files as JSON"))
  },
  (options) =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const root = path.resolve(options.dir)
      const sources = yield* Option.match(options.sdk, {
        onNone: () => Effect.succeed(PUBLISHED),
        onSome: localPackageSources
      })
      const files = scaffoldFiles(options.name, options.url, sources).map((file) => ({ ...file, target: path.join(root, file.path) }))
      const existing = yield* Effect.filter(files, (file) => fs.exists(file.target))
      if (existing.length > 0) {
        return yield* CliFailure.failed(
          `refusing to overwrite existing files in ${root}: ${existing.map((f) => f.path).join(", ")} ` +
            "(choose another --dir or move them away)"
        )
      }
      yield* Effect.forEach(files, (file) =>
        fs.makeDirectory(path.dirname(file.target), { recursive: true }).pipe(
          Effect.zipRight(fs.writeFileString(file.target, file.content, { flag: "wx" }))
        ))
      const created = files.map((f) => f.path)
      yield* Console.log(
        options.json
          ? JSON.stringify({ directory: root, created }, null, 2)
          : `created worker project '${options.name}' in ${root}:\n${created.map((f) => `  ${f}`).join("\n")}\n` +
            `next: cd ${path.relative(process.cwd(), root) || "."} && npm install && npm run dev (see README.md)`
      )
    }).pipe(Effect.catchTag("SystemError", "BadArgument", (error) => Effect.fail(CliFailure.failed(error.message))))
).pipe(Command.withDescription(
  "Scaffold a worker project (package.json, src/worker.ts, tsconfig.json, README.md) on the published SDK, or --sdk; never overwrites"
))
