-- Idempotency keys, late callbacks, unreachable worker instances, deadline indexes for the monitor.

CREATE TABLE idempotency_keys (
  task_id      text NOT NULL,
  key          text NOT NULL,
  run_id       text NOT NULL,
  status       text NOT NULL,
  claimed_at   timestamptz NOT NULL,
  completed_at timestamptz,
  expires_at   timestamptz,
  PRIMARY KEY (task_id, key)
);

CREATE INDEX idempotency_keys_run ON idempotency_keys (run_id);

ALTER TABLE task_run_attempts ADD COLUMN late_callback_at timestamptz;
ALTER TABLE task_run_attempts ADD COLUMN late_callback_status text;

ALTER TABLE service_instances ADD COLUMN unreachable_since timestamptz;

CREATE INDEX task_runs_heartbeat_deadline ON task_runs (heartbeat_deadline) WHERE status IN ('dispatching', 'running');
CREATE INDEX task_runs_timeout_at ON task_runs (timeout_at) WHERE status IN ('dispatching', 'running');
