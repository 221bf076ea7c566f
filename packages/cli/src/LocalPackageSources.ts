import { FileSystem, Path } from "@effect/platform"
import { Effect } from "effect"
import { CliFailure } from "./CliFailure.js"
import { PUBLISHED, type PackageSources } from "./Scaffold.js"

const TARBALL = /^pipeweave-sdk-(.+)\.tgz$/

/**
 * The package sources for `pipeweave init --sdk <path>`: a `file:` spec for the SDK, either an
 * `npm pack` tarball or the SDK's package directory (a checkout's `packages/sdk`, linked by npm).
 * Next to a tarball, the tarballs `npm pack` writes for the same version of `@pipeweave/domain`
 * and `@pipeweave/storage` become overrides (they are not on the registry when the SDK is not) and
 * `@pipeweave/cli`'s becomes the CLI dependency; next to a directory, a `cli` directory does.
 */
export const localPackageSources = (
  sdkPath: string
): Effect.Effect<PackageSources, CliFailure, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const sdk = path.resolve(sdkPath)
    const nameOf = (dir: string) =>
      fs.readFileString(path.join(dir, "package.json")).pipe(
        Effect.map((text) => (JSON.parse(text) as { name?: unknown }).name),
        Effect.orElseSucceed(() => undefined)
      )
    const info = yield* fs.stat(sdk).pipe(Effect.orElseSucceed(() => undefined))
    if (info === undefined) return yield* CliFailure.usage(`--sdk: ${sdk} does not exist`)
    if (info.type === "Directory") {
      if ((yield* nameOf(sdk)) !== "@pipeweave/sdk") {
        return yield* CliFailure.usage(`--sdk: ${sdk} is not the @pipeweave/sdk package directory (no package.json naming it)`)
      }
      const cli = path.join(path.dirname(sdk), "cli")
      return { sdk: `file:${sdk}`, cli: (yield* nameOf(cli)) === "@pipeweave/cli" ? `file:${cli}` : PUBLISHED.cli, overrides: {} }
    }
    const version = TARBALL.exec(path.basename(sdk))?.[1]
    if (version === undefined) {
      return yield* CliFailure.usage(`--sdk: ${sdk} is neither a directory nor a tarball named pipeweave-sdk-<version>.tgz`)
    }
    const sibling = (name: string) => {
      const file = path.join(path.dirname(sdk), `pipeweave-${name}-${version}.tgz`)
      return fs.exists(file).pipe(Effect.map((found) => (found ? `file:${file}` : undefined)), Effect.orElseSucceed(() => undefined))
    }
    const overrides: Record<string, string> = {}
    for (const name of ["domain", "storage"]) {
      const spec = yield* sibling(name)
      if (spec !== undefined) overrides[`@pipeweave/${name}`] = spec
    }
    return { sdk: `file:${sdk}`, cli: (yield* sibling("cli")) ?? PUBLISHED.cli, overrides }
  })
