-- Services, task types, task runs and their attempts. Times are always written by the
-- orchestrator (from Effect's Clock); no column defaults to now().

CREATE TABLE services (
  service_id    text PRIMARY KEY,
  version       text NOT NULL,
  base_url      text NOT NULL,
  registered_at timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL
);

CREATE TABLE service_instances (
  service_id    text NOT NULL REFERENCES services (service_id) ON DELETE CASCADE,
  base_url      text NOT NULL,
  version       text NOT NULL,
  registered_at timestamptz NOT NULL,
  last_seen_at  timestamptz NOT NULL,
  PRIMARY KEY (service_id, base_url)
);

CREATE TABLE tasks (
  task_id                 text PRIMARY KEY,
  service_id              text NOT NULL REFERENCES services (service_id),
  code_hash               text NOT NULL,
  code_version            integer NOT NULL,
  allowed_next            jsonb NOT NULL,
  timeout_seconds         integer NOT NULL,
  retries                 integer NOT NULL,
  retry_backoff           text NOT NULL,
  retry_delay_ms          bigint NOT NULL,
  max_retry_delay_ms      bigint,
  heartbeat_interval_ms   integer NOT NULL,
  concurrency             integer NOT NULL,
  priority                integer NOT NULL,
  idempotency_ttl_seconds integer,
  has_idempotency_key     boolean NOT NULL,
  description             text,
  active                  boolean NOT NULL DEFAULT true,
  registered_at           timestamptz NOT NULL,
  updated_at              timestamptz NOT NULL
);

CREATE TABLE task_code_history (
  task_id         text NOT NULL REFERENCES tasks (task_id),
  code_version    integer NOT NULL,
  code_hash       text NOT NULL,
  service_version text NOT NULL,
  recorded_at     timestamptz NOT NULL,
  PRIMARY KEY (task_id, code_version)
);

CREATE TABLE task_runs (
  id                 text PRIMARY KEY,
  task_id            text NOT NULL REFERENCES tasks (task_id),
  pipeline_run_id    text,
  status             text NOT NULL,
  priority           integer NOT NULL,
  attempt            integer NOT NULL DEFAULT 0,
  max_attempts       integer NOT NULL,
  code_version       integer,
  code_hash          text,
  storage_backend    text NOT NULL,
  input_path         text NOT NULL,
  output_path        text,
  output_size        bigint,
  assets             jsonb NOT NULL DEFAULT '{}'::jsonb,
  logs_path          text,
  selected_next      jsonb,
  progress_percent   double precision,
  progress_message   text,
  error              text,
  error_code         text,
  metadata           jsonb,
  created_at         timestamptz NOT NULL,
  available_at       timestamptz NOT NULL,
  started_at         timestamptz,
  completed_at       timestamptz,
  heartbeat_interval_ms integer,
  last_heartbeat_at  timestamptz,
  heartbeat_deadline timestamptz,
  timeout_at         timestamptz,
  claimed_by         text,
  worker_url         text
);

CREATE INDEX task_runs_due ON task_runs (task_id, priority, available_at, id) WHERE status = 'pending';
CREATE INDEX task_runs_in_flight ON task_runs (task_id) WHERE status IN ('dispatching', 'running');
CREATE INDEX task_runs_created ON task_runs (created_at DESC, id DESC);
CREATE INDEX task_runs_status_created ON task_runs (status, created_at DESC);
CREATE INDEX task_runs_pipeline_run ON task_runs (pipeline_run_id) WHERE pipeline_run_id IS NOT NULL;

CREATE TABLE task_run_attempts (
  run_id       text NOT NULL REFERENCES task_runs (id) ON DELETE CASCADE,
  attempt      integer NOT NULL,
  status       text NOT NULL,
  code_version integer NOT NULL,
  code_hash    text NOT NULL,
  worker_url   text,
  started_at   timestamptz NOT NULL,
  ended_at     timestamptz,
  error        text,
  error_code   text,
  PRIMARY KEY (run_id, attempt)
);

CREATE TABLE dead_letters (
  id              text PRIMARY KEY,
  task_run_id     text NOT NULL REFERENCES task_runs (id) ON DELETE CASCADE,
  task_id         text NOT NULL,
  pipeline_run_id text,
  code_version    integer NOT NULL,
  code_hash       text NOT NULL,
  error           text NOT NULL,
  error_code      text,
  attempts        integer NOT NULL,
  failed_at       timestamptz NOT NULL,
  retried_run_id  text,
  retried_at      timestamptz
);

CREATE INDEX dead_letters_failed ON dead_letters (failed_at DESC, id DESC);

-- Schedulers LISTEN on this channel. A statement notifies once when it leaves a run in a state
-- the scheduler cares about: due work (pending) or a freed slot (any state but in flight).
-- Claims (to dispatching) and heartbeats (running) do not notify, so a pass never wakes itself.
-- The payload is never empty: @effect/sql-pg drops notifications without one.
CREATE FUNCTION pipeweave_notify_task_runs() RETURNS trigger AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM changed_runs WHERE status NOT IN ('dispatching', 'running')) THEN
    PERFORM pg_notify('pipeweave_task_runs', TG_OP);
  END IF;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER task_runs_inserted
  AFTER INSERT ON task_runs REFERENCING NEW TABLE AS changed_runs
  FOR EACH STATEMENT EXECUTE FUNCTION pipeweave_notify_task_runs();

CREATE TRIGGER task_runs_updated
  AFTER UPDATE ON task_runs REFERENCING NEW TABLE AS changed_runs
  FOR EACH STATEMENT EXECUTE FUNCTION pipeweave_notify_task_runs();
