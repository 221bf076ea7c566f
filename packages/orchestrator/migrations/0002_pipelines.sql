-- Pipelines declared by workers, and pipeline runs with their structure snapshot and routing state.

CREATE TABLE pipelines (
  pipeline_id   text PRIMARY KEY,
  service_id    text NOT NULL REFERENCES services (service_id),
  entry         jsonb NOT NULL,
  description   text,
  registered_at timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL
);

-- `structure` is json, not jsonb: it keeps the task order the execution plan prints.
CREATE TABLE pipeline_runs (
  id               text PRIMARY KEY,
  pipeline_id      text NOT NULL,
  status           text NOT NULL,
  failure_mode     text NOT NULL,
  priority         integer,
  pipeline_version text NOT NULL,
  structure        json NOT NULL,
  routing          jsonb NOT NULL,
  input_path       text NOT NULL,
  storage_backend  text NOT NULL,
  metadata         jsonb,
  created_at       timestamptz NOT NULL,
  completed_at     timestamptz
);

CREATE INDEX pipeline_runs_created ON pipeline_runs (created_at DESC, id DESC);
CREATE INDEX pipeline_runs_pipeline ON pipeline_runs (pipeline_id, created_at DESC);
CREATE INDEX task_runs_pipeline_task ON task_runs (pipeline_run_id, task_id) WHERE pipeline_run_id IS NOT NULL;
