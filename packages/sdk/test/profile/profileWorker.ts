/**
 * Measures what a worker process spends per no-op dispatch: a fake orchestrator and local storage
 * here, `noopWorker.ts` in a child process, N dispatches at concurrency C over keep-alive HTTP, and
 * the child's CPU time (/proc) around them. Optional: `STRACE=1` counts the child's syscalls,
 * `INLINE=1` sends inline inputs and allows inline outputs, `GROUP=10` sends grouped dispatches of
 * that many runs (`POST /dispatches`; the fake then takes grouped callbacks), `BUILT=1` runs the
 * worker from the compiled output (`npx tsc -b` first: the profile then names lines of the
 * compiled files), `NODE_ARGS="--cpu-prof …"` profiles, `NODE_ARGS="--import <this folder>/gcSurvivors.mjs"`
 * reports what each young collection kept and promoted.
 *
 *   npx tsx --conditions=@pipeweave/source packages/sdk/test/profile/profileWorker.ts [N] [C]
 */
import { makeLocalStorage } from "@pipeweave/storage/LocalStorage"
import { GROUPED_CALLBACKS } from "@pipeweave/domain/CallbackGroup"
import { Effect } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import { readdir, readFile } from "node:fs/promises"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { makeFakeOrchestrator } from "../FakeOrchestrator.js"
import { crypto, makeDispatch, secretKey, tempDirectory } from "../fixtures.js"

const total = Number(process.argv[2] ?? 1000)
const concurrency = Number(process.argv[3] ?? 10)
const warmup = Math.min(200, total)
const inline = process.env["INLINE"] === "1"
const group = Number(process.env["GROUP"] ?? 0)

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0))
    })
  })

const cpuMs = async (pid: number) => {
  const fields = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1]!.split(" ")
  return (Number(fields[11]) + Number(fields[12])) * 10
}

const countFiles = async (dir: string): Promise<number> =>
  (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).length

const waitForLine = (child: ChildProcess, line: string) =>
  new Promise<void>((resolve, reject) => {
    let output = ""
    child.stdout!.on("data", (chunk) => {
      output += chunk
      if (output.includes(line)) resolve()
    })
    child.stderr!.on("data", (chunk) => void (output += chunk))
    child.once("exit", () => reject(new Error(`worker exited:\n${output}`)))
  })

const program = Effect.gen(function*() {
  const fake = yield* makeFakeOrchestrator(crypto)
  if (group > 1) fake.state.features = [GROUPED_CALLBACKS]
  const storageBase = yield* tempDirectory("profile-storage")
  const tempDir = yield* tempDirectory("profile-tmp")
  const storage = yield* makeLocalStorage({ id: "local", basePath: storageBase })
  const port = yield* Effect.promise(freePort)
  const nodeArgs = (process.env["NODE_ARGS"] ?? "").split(" ").filter((a) => a !== "")
  const child = spawn(process.execPath, [
    ...nodeArgs,
    ...(process.env["BUILT"] === "1"
      ? [join(import.meta.dirname, "../../dist/test/profile/noopWorker.js")]
      : ["--conditions=@pipeweave/source", "--import", "tsx", join(import.meta.dirname, "noopWorker.ts")])
  ], {
    env: { ...process.env, ORCHESTRATOR_URL: fake.url, PIPEWEAVE_SECRET_KEY: secretKey, WORKER_PORT: String(port), TEMP_DIR: tempDir },
    stdio: ["ignore", "pipe", "pipe"]
  })
  yield* Effect.addFinalizer(() =>
    Effect.promise(() =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once("exit", () => resolve())
        child.kill("SIGTERM")
      })
    )
  )
  yield* Effect.promise(() => waitForLine(child, "ready"))
  const h = { storage, storageBase }
  const bodies = yield* Effect.forEach(Array.from({ length: warmup + total }), () =>
    Effect.map(makeDispatch(h, { taskId: "noop", input: { n: 1 } }), (body) =>
      inline ? { ...body, input: { n: 1 }, inlineLimitBytes: 65_536 } : body))
  const url = `http://127.0.0.1:${port}${group > 1 ? "/dispatches" : "/tasks/noop"}`
  const send = async (dispatches: ReadonlyArray<unknown>) => {
    const items: Array<unknown> = []
    if (group > 1) for (let i = 0; i < dispatches.length; i += group) items.push({ dispatches: dispatches.slice(i, i + group) })
    else items.push(...dispatches)
    let next = 0
    const lane = async () => {
      while (next < items.length) {
        const body = items[next++]
        const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
        if (response.status !== 200) throw new Error(`dispatch answered ${response.status}: ${await response.text()}`)
        const text = await response.text()
        if (group > 1 && !text.includes(`"done"`)) throw new Error(`grouped dispatch answered ${text}`)
      }
    }
    await Promise.all(Array.from({ length: concurrency }, lane))
  }
  yield* Effect.promise(() => send(bodies.slice(0, warmup)))
  const filesBefore = yield* Effect.promise(() => countFiles(storageBase))
  const straceFile = join(tmpdir(), `pipeweave-profile-strace-${process.pid}.txt`)
  const strace = process.env["STRACE"] === "1"
    ? spawn("strace", ["-c", "-f", "-p", String(child.pid), "-o", straceFile], { stdio: "ignore" })
    : undefined
  if (strace !== undefined) yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 500)))
  const beats = fake.state.heartbeats.length
  const cpuBefore = yield* Effect.promise(() => cpuMs(child.pid!))
  const started = performance.now()
  yield* Effect.promise(() => send(bodies.slice(warmup)))
  const elapsed = performance.now() - started
  const cpuAfter = yield* Effect.promise(() => cpuMs(child.pid!))
  const files = (yield* Effect.promise(() => countFiles(storageBase))) - filesBefore
  console.log(JSON.stringify({
    tasks: total,
    concurrency,
    group,
    inline,
    tasksPerSecond: Math.round(total / (elapsed / 1000)),
    workerCpuMsPerTask: Number(((cpuAfter - cpuBefore) / total).toFixed(2)),
    storageFilesPerTask: Number((files / total).toFixed(2)),
    heartbeatsPerTask: (fake.state.heartbeats.length - beats) / total,
    callbacks: fake.state.callbacks.length
  }))
  if (strace !== undefined) {
    yield* Effect.promise(() =>
      new Promise<void>((resolve) => {
        strace.once("exit", () => resolve())
        strace.kill("SIGINT")
      })
    )
    console.log(yield* Effect.promise(() => readFile(straceFile, "utf8")))
  }
})

Effect.runPromise(Effect.scoped(program)).catch((error) => {
  console.error(error)
  process.exit(1)
})
