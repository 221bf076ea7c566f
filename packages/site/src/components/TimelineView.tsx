import { durationText } from "../lib/TimeText"
import type { Timeline } from "../lib/Timeline"

/** When each task of a run ran, as bars over the run's span (like `npm start` prints it). */
export const TimelineView = (props: { readonly timeline: Timeline }) => (
  <div class="timeline" role="table" aria-label="Task timeline">
    <div class="timeline-head" role="row">
      <span role="columnheader">Task</span>
      <span role="columnheader">0 – {durationText(props.timeline.spanMs)}</span>
      <span role="columnheader">From – to</span>
    </div>
    {props.timeline.rows.map((row) => (
      <div class="timeline-row" role="row" key={row.taskId} data-task={row.taskId}>
        <span role="cell" class="mono">{row.taskId}</span>
        <span role="cell" class="timeline-track">
          {row.startMs !== null && (
            <span
              class={`timeline-bar dag-${row.status}${row.open ? " open" : ""}`}
              style={{ left: `${row.left}%`, width: `${row.width}%` }}
            />
          )}
        </span>
        <span role="cell" class="mono timeline-times">
          {row.startMs === null ? "" : `${row.startMs}–${row.endMs} ms`}{" "}
          <span class={`status-${row.status}`}>{row.status}</span>
          {row.codeVersion !== null ? `, v${row.codeVersion}` : ""}
        </span>
      </div>
    ))}
  </div>
)
