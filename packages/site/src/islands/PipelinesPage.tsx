import type { PipelineInfo } from "@pipeweave/domain/Pipeline"
import type { TaskInfo } from "@pipeweave/domain/Service"
import { Effect } from "effect"
import { useState } from "preact/hooks"
import { CodeHistory } from "../components/CodeHistory"
import { DagView } from "../components/DagView"
import { TriggerForm } from "../components/TriggerForm"
import { dagInput } from "../lib/DagLayout"
import { callOrchestrator, type OrchestratorClient } from "../lib/OrchestratorClient"
import { type StoredOrchestrator, selectedOrchestrator } from "../lib/OrchestratorStore"
import { codeHistoryUrl } from "../lib/PageLinks"
import { runUrl } from "../lib/SiteLinks"
import { timeText } from "../lib/TimeText"
import { useOrchestrators } from "../lib/useOrchestrators"
import { usePolling } from "../lib/usePolling"

/** Every registered task type with its options (concurrency, code version), by task id. */
const taskInfos = (client: OrchestratorClient) =>
  client.services.list().pipe(
    Effect.flatMap((services) =>
      Effect.forEach(services, (service) => client.services.tasks({ path: { id: service.serviceId } }), { concurrency: 4 })
    ),
    Effect.map((lists) => new Map(lists.flat().map((task) => [task.taskId, task] as const)))
  )

const nodeDetail = (task: TaskInfo | undefined): string =>
  task === undefined
    ? "not registered"
    : `v${task.codeVersion} · ${task.concurrency > 0 ? `at most ${task.concurrency} at once` : "no limit"}`

const PipelineCard = (props: {
  readonly orchestrator: StoredOrchestrator
  readonly pipeline: PipelineInfo
  readonly tasks: ReadonlyMap<string, TaskInfo>
}) => {
  const { pipeline } = props
  const [triggering, setTriggering] = useState(false)
  const headingId = `pipeline-${pipeline.id}`
  return (
    <section class="panel pipeline" aria-labelledby={headingId} data-pipeline={pipeline.id}>
      <div class="panel-head">
        <h2 id={headingId} class="mono">{pipeline.id}</h2>
        <button type="button" aria-expanded={triggering} aria-controls={`${headingId}-trigger`} onClick={() => setTriggering(!triggering)}>
          {triggering ? "Close" : "Trigger"} <span class="visually-hidden">{pipeline.id}</span>
        </button>
      </div>
      {pipeline.description && <p>{pipeline.description}</p>}
      <p class="muted">
        {pipeline.declared ? `declared by ${pipeline.serviceId ?? "a service"}` : "a task without predecessor"}
        {pipeline.version && <> · version <span class="mono">{pipeline.version}</span></>}
        {pipeline.lastRun && (
          <> · last run <a href={runUrl(pipeline.lastRun.runId)}>{pipeline.lastRun.runId}</a>{" "}
            <span class={`status-${pipeline.lastRun.status}`}>{pipeline.lastRun.status}</span> {timeText(pipeline.lastRun.createdAt)}</>
        )}
      </p>
      {pipeline.problems.map((problem) => <p key={problem} class="notice error">{problem}</p>)}
      <DagView
        graph={dagInput(pipeline.entry, pipeline.tasks, pipeline.edges)}
        label={`Graph of pipeline ${pipeline.id}`}
        decorate={(taskId) => ({ detail: nodeDetail(props.tasks.get(taskId)), href: codeHistoryUrl(taskId) })}
      />
      {triggering && (
        <div id={`${headingId}-trigger`}>
          <TriggerForm orchestrator={props.orchestrator} pipelineId={pipeline.id} />
        </div>
      )}
    </section>
  )
}

const PipelineList = (props: { readonly orchestrator: StoredOrchestrator }) => {
  const loaded = usePolling(props.orchestrator.id, () =>
    callOrchestrator(props.orchestrator, (client) =>
      Effect.all({ pipelines: client.pipelines.list(), tasks: taskInfos(client) }, { concurrency: 2 })), 10_000)
  if (!loaded.settled) return <p class="muted">Loading pipelines…</p>
  return (
    <>
      {loaded.error && <p class="notice error" role="alert">{loaded.error.message}</p>}
      {loaded.data?.pipelines.length === 0 && <p class="notice">No pipelines yet: start a worker that registers tasks.</p>}
      {loaded.data?.pipelines.map((pipeline) => (
        <PipelineCard key={pipeline.id} orchestrator={props.orchestrator} pipeline={pipeline} tasks={loaded.data!.tasks} />
      ))}
    </>
  )
}

/** Pipelines: every pipeline's graph, trigger with a JSON input; `?task=<id>` shows a task's code history. */
export default function PipelinesPage() {
  const selected = selectedOrchestrator(useOrchestrators())
  const taskId = new URLSearchParams(window.location.search).get("task")
  if (!selected) return <p class="notice">Add an orchestrator with the <strong>+</strong> button in the sidebar.</p>
  return taskId ? <CodeHistory orchestrator={selected} taskId={taskId} /> : <PipelineList orchestrator={selected} />
}
