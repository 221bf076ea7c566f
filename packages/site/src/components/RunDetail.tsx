import type { PipelineRunDetail, RunTask } from "@pipeweave/domain/Pipeline"
import { Effect, Option } from "effect"
import { useState } from "preact/hooks"
import { dagFromStructure } from "../lib/DagLayout"
import { callOrchestrator } from "../lib/OrchestratorClient"
import type { StoredOrchestrator } from "../lib/OrchestratorStore"
import { codeHistoryUrl } from "../lib/PageLinks"
import { pageUrl, runUrl } from "../lib/SiteLinks"
import { timelineOf } from "../lib/Timeline"
import { durationText, timeText } from "../lib/TimeText"
import { REFRESH_MS, usePolling } from "../lib/usePolling"
import { DagView } from "./DagView"
import { StoredContent } from "./StoredContent"
import { TaskRunBody } from "./TaskRunBody"
import { TimelineView } from "./TimelineView"

const ended = (run: { readonly status: string }) => !["waiting", "pending", "dispatching", "running"].includes(run.status)

type PreviousCode = { readonly runId: string; readonly codeVersion: number | null; readonly codeHash: string | null }

/** The code each task ran in the pipeline's run before this one (for "code changed since the previous run"). */
const usePreviousPipelineRun = (orchestrator: StoredOrchestrator, run: PipelineRunDetail | undefined) =>
  usePolling(run ? `${orchestrator.id}/${run.runId}/previous` : undefined, () =>
    callOrchestrator(orchestrator, (client) =>
      client.pipelines.runs({ urlParams: { pipelineId: run!.pipelineId, until: run!.createdAt, limit: 1, offset: 0 } }).pipe(
        Effect.flatMap((page) =>
          page.items[0] === undefined
            ? Effect.succeed(new Map<string, PreviousCode>())
            : client.pipelines.run({ path: { id: page.items[0].runId } }).pipe(
              Effect.map((previous) =>
                new Map(previous.tasks.map((t) => [t.taskId, { runId: previous.runId, codeVersion: t.codeVersion, codeHash: t.codeHash }] as const))
              )
            )
        )
      )), 60_000)

/** One task of a pipeline run, opened on demand (open at first when it failed or the run is small). */
const RunTaskSection = (props: {
  readonly orchestrator: StoredOrchestrator
  readonly task: RunTask
  readonly openAtFirst: boolean
  readonly previous: PreviousCode | undefined
}) => {
  const { task } = props
  const [open, setOpen] = useState(props.openAtFirst)
  return (
    <details id={`task-${task.taskId}`} class="panel run-task" open={open} onToggle={(event) => setOpen(event.currentTarget.open)}>
      <summary>
        <span class="mono">{task.taskId}</span> <span class={`status-${task.status}`}>{task.status}</span>
        <span class="muted"> · {task.attempts} attempt{task.attempts === 1 ? "" : "s"} · {durationText(task.durationMs)}</span>
        {task.codeChanged && <span class="badge warn">code changed since this run (now v{task.currentCodeVersion})</span>}
        {task.errorCode && <span class="mono bad"> {task.errorCode}</span>}
      </summary>
      {open && (task.taskRunId
        ? <TaskRunLive orchestrator={props.orchestrator} runId={task.taskRunId} previous={props.previous} />
        : <p class="muted">Not started: no task run.</p>)}
    </details>
  )
}

/** A task run, refreshed every few seconds. */
const TaskRunLive = (props: { readonly orchestrator: StoredOrchestrator; readonly runId: string; readonly previous: PreviousCode | undefined }) => {
  const run = usePolling(`${props.orchestrator.id}/${props.runId}`, () =>
    callOrchestrator(props.orchestrator, (client) => client.queue.taskRun({ path: { id: props.runId } })), REFRESH_MS, ended)
  if (!run.data) return run.error ? <p class="notice error">{run.error.message}</p> : <p class="muted">Loading…</p>
  return <TaskRunBody orchestrator={props.orchestrator} run={run.data} {...(props.previous ? { previousRun: props.previous } : {})} />
}

const taskDetail = (task: RunTask | undefined): string => {
  if (!task) return "not reached"
  const code = task.codeVersion === null ? "" : ` · v${task.codeVersion}`
  return `${task.status}${task.durationMs === null ? "" : ` · ${durationText(task.durationMs)}`}${code}`
}

/** A pipeline run: its DAG coloured by task state, its timeline, and each task run; live while it runs. */
export const PipelineRunView = (props: { readonly orchestrator: StoredOrchestrator; readonly runId: string }) => {
  const polled = usePolling(`${props.orchestrator.id}/${props.runId}`, () =>
    callOrchestrator(props.orchestrator, (client) => client.pipelines.run({ path: { id: props.runId } })), REFRESH_MS, ended)
  const previous = usePreviousPipelineRun(props.orchestrator, polled.data)
  const run = polled.data
  if (!run) return polled.error ? <p class="notice error" role="alert">{polled.error.message}</p> : <p class="muted">Loading run…</p>
  const byTask = new Map(run.tasks.map((task) => [task.taskId, task] as const))
  return (
    <div class="run-detail" data-run={run.runId} data-status={run.status}>
      {polled.error && <p class="notice error">{polled.error.message} (showing the last answer)</p>}
      <section class="panel">
        <h2>
          Pipeline run <span class="mono">{run.runId}</span> <span class={`status-${run.status}`} data-run-status>{run.status}</span>
        </h2>
        <p class="muted">
          pipeline <a href={pageUrl("runs", { pipeline: run.pipelineId })}>{run.pipelineId}</a> · version{" "}
          <span class="mono">{run.pipelineVersion}</span> · {run.failureMode} · started {timeText(run.createdAt)}
          {run.completedAt && <> · took {durationText(run.completedAt.getTime() - run.createdAt.getTime())}</>}
          {run.status === "running" && <> · <span class="live">live</span></>}
        </p>
        <DagView
          graph={dagFromStructure(run.structureSnapshot)}
          label={`Graph of run ${run.runId}`}
          decorate={(taskId) => {
            const task = byTask.get(taskId)
            return { detail: taskDetail(task), status: task?.status ?? "waiting", href: `#task-${taskId}` }
          }}
        />
      </section>
      <section class="panel">
        <h2>Timeline</h2>
        <TimelineView timeline={timelineOf(run, Date.now())} />
      </section>
      <section class="panel">
        <h2>Input</h2>
        <StoredContent orchestrator={props.orchestrator} path={run.inputPath} label={`Input of ${run.runId}`} />
      </section>
      <h2>Tasks</h2>
      {run.tasks.map((task) => (
        <RunTaskSection
          key={task.taskId}
          orchestrator={props.orchestrator}
          task={task}
          openAtFirst={task.status === "failed" || run.tasks.length <= 6}
          previous={previous.data?.get(task.taskId)}
        />
      ))}
      <p class="muted">Code history: {run.tasks.map((task, index) => (
        <span key={task.taskId}>{index > 0 ? ", " : ""}<a href={codeHistoryUrl(task.taskId)}>{task.taskId}</a></span>
      ))}</p>
    </div>
  )
}

/** A standalone task run (or a task run of a pipeline opened by its own id). */
export const TaskRunView = (props: { readonly orchestrator: StoredOrchestrator; readonly runId: string }) => {
  const polled = usePolling(`${props.orchestrator.id}/${props.runId}`, () =>
    callOrchestrator(props.orchestrator, (client) => client.queue.taskRun({ path: { id: props.runId } })), REFRESH_MS, ended)
  const run = polled.data
  const previous = usePolling(run ? `${props.orchestrator.id}/${run.runId}/previous` : undefined, () =>
    callOrchestrator(props.orchestrator, (client) =>
      client.queue.items({ urlParams: { taskId: run!.taskId, until: run!.createdAt, limit: 1, offset: 0 } }).pipe(
        Effect.flatMap((page) =>
          page.items[0] === undefined
            ? Effect.succeed(Option.none())
            : Effect.map(client.queue.taskRun({ path: { id: page.items[0].runId } }), Option.some)
        )
      )), 60_000)
  if (!run) return polled.error ? <p class="notice error" role="alert">{polled.error.message}</p> : <p class="muted">Loading run…</p>
  const before = previous.data && Option.isSome(previous.data) ? previous.data.value : undefined
  return (
    <section class="panel run-detail" data-run={run.runId} data-status={run.status}>
      {polled.error && <p class="notice error">{polled.error.message} (showing the last answer)</p>}
      <h2>
        Task run <span class="mono">{run.runId}</span> of <a href={pageUrl("runs", { kind: "tasks", task: run.taskId })}>{run.taskId}</a>{" "}
        <span class={`status-${run.status}`} data-run-status>{run.status}</span>
      </h2>
      {run.pipelineRunId && <p>Part of pipeline run <a href={runUrl(run.pipelineRunId)}>{run.pipelineRunId}</a>.</p>}
      <TaskRunBody
        orchestrator={props.orchestrator}
        run={run}
        {...(before ? { previousRun: { runId: before.runId, codeVersion: before.codeVersion, codeHash: before.codeHash } } : {})}
      />
    </section>
  )
}
