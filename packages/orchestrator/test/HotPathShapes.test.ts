import { readFileSync } from "node:fs"
import { join } from "node:path"
import ts from "typescript"
import { describe, expect, it } from "vitest"

const root = join(import.meta.dirname, "../../..")

/** The modules a task's dispatch, callback and completion pass through, in every process. */
const hotPath = [
  "packages/domain/src/OneShot.ts",
  "packages/domain/src/pipeline/Routing.ts",
  "packages/storage/src/Crypto.ts",
  "packages/storage/src/PostJson.ts",
  "packages/storage/src/RequestTarget.ts",
  "packages/orchestrator/src/flow/CallbackGroups.ts",
  "packages/orchestrator/src/flow/Callbacks.ts",
  "packages/orchestrator/src/flow/CompletionBatches.ts",
  "packages/orchestrator/src/flow/Dispatcher.ts",
  "packages/orchestrator/src/flow/ParkedRuns.ts",
  "packages/orchestrator/src/flow/PostGroupToWorker.ts",
  "packages/orchestrator/src/flow/RunResults.ts",
  "packages/orchestrator/src/flow/RunSlots.ts",
  "packages/orchestrator/src/flow/RunTokens.ts",
  "packages/orchestrator/src/flow/SchedulingPass.ts",
  "packages/orchestrator/src/flow/Submissions.ts",
  "packages/orchestrator/src/http/CallbackGroupLane.ts",
  "packages/orchestrator/src/http/CallbackLane.ts",
  "packages/orchestrator/src/http/HttpMetrics.ts",
  "packages/orchestrator/src/http/LaneRequest.ts",
  "packages/orchestrator/src/http/SubmitLane.ts",
  "packages/orchestrator/src/store/CompletionStatements.ts",
  "packages/orchestrator/src/store/TaskRuns.ts",
  "packages/sdk/src/internal/CallbackGroups.ts",
  "packages/sdk/src/internal/DispatchReply.ts",
  "packages/sdk/src/internal/OrchestratorClient.ts",
  "packages/sdk/src/internal/executeDispatch.ts"
]

/** A schema's fields (`X.fields`): spread into another schema's, once, as the module loads. */
const isSchemaFields = (spread: ts.Expression) => ts.isPropertyAccessExpression(spread) && spread.name.text === "fields"

/** Object literals that begin with a spread and go on (`{ ...a, b }`, `{ ...a, ...b }`), as `file:line`. */
const spreadFirstLiterals = (file: string): Array<string> => {
  const source = ts.createSourceFile(file, readFileSync(join(root, file), "utf8"), ts.ScriptTarget.Latest, true)
  const found: Array<string> = []
  const visit = (node: ts.Node) => {
    if (
      ts.isObjectLiteralExpression(node) && node.properties.length > 1 && ts.isSpreadAssignment(node.properties[0]!) &&
      !isSchemaFields(node.properties[0].expression)
    ) {
      found.push(`${file}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`)
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

describe("the hot path's object shapes", () => {
  it("builds no object literal that begins with a spread and goes on", () => {
    // Node 20's V8 gives each such object made by optimised code a hidden class of its own (a
    // prototype transition per object, kept until a full collection): ~1 µs and a promoted object
    // each, and every site that reads them megamorphic. Build the object with its own properties
    // first (`{ b, ...a }` where the keys cannot collide), or copy it and then assign.
    expect(hotPath.flatMap(spreadFirstLiterals)).toEqual([])
  })
})
