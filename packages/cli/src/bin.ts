#!/usr/bin/env node
import { VERSION } from "./Version.js"

// `--version` answers before Effect and the command tree load; everything else runs the CLI.
if (process.argv.length === 3 && process.argv[2] === "--version") {
  process.stdout.write(`${VERSION}\n`)
} else {
  import("./MainLoader.js").then(({ importModule, loadMain }) =>
    loadMain().then(({ main }) => main(process.argv, importModule))
  )
}
