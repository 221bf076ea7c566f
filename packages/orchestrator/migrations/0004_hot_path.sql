-- The hot path: small payloads inline (JSON text, kept byte for byte), a claim index in priority-then-due order, queue counts
-- kept as runs change state, and an index for removing finished runs after their retention.

ALTER TABLE task_runs ADD COLUMN input_inline text;
ALTER TABLE task_runs ADD COLUMN output_inline text;
ALTER TABLE pipeline_runs ADD COLUMN input_inline text;

CREATE INDEX task_runs_claim_order ON task_runs (priority, available_at, id) WHERE status = 'pending';
CREATE INDEX task_runs_pending_created ON task_runs (created_at) WHERE status = 'pending';
CREATE INDEX task_runs_finished ON task_runs (completed_at)
  WHERE status IN ('completed', 'failed', 'cancelled', 'skipped');
CREATE INDEX pipeline_runs_finished ON pipeline_runs (completed_at) WHERE status <> 'running';
CREATE INDEX dead_letters_task_run ON dead_letters (task_run_id);

-- Run counts by status: every statement that changes task_runs appends its net change per status
-- to task_run_count_deltas (no row is shared between writers, so no lock contention); the monitor
-- folds the deltas into task_run_counts. Counting is a read of both small tables.
CREATE TABLE task_run_counts (
  status text PRIMARY KEY,
  n      bigint NOT NULL
);

CREATE TABLE task_run_count_deltas (
  status text NOT NULL,
  delta  bigint NOT NULL
);

INSERT INTO task_run_counts (status, n) SELECT status, count(*) FROM task_runs GROUP BY status;

DROP TRIGGER task_runs_inserted ON task_runs;
DROP TRIGGER task_runs_updated ON task_runs;
DROP FUNCTION pipeweave_notify_task_runs();

-- Schedulers LISTEN on pipeweave_task_runs. A statement notifies once when it leaves a run in a
-- state the scheduler cares about: due work (pending) or a freed slot (any state but in flight).
-- Claims (to dispatching) and heartbeats (running) do not notify, so a pass never wakes itself.
-- The payload is never empty: @effect/sql-pg drops notifications without one.
CREATE FUNCTION pipeweave_task_runs_inserted() RETURNS trigger AS $$
BEGIN
  INSERT INTO task_run_count_deltas (status, delta) SELECT status, count(*) FROM new_runs GROUP BY status;
  IF EXISTS (SELECT 1 FROM new_runs WHERE status NOT IN ('dispatching', 'running')) THEN
    PERFORM pg_notify('pipeweave_task_runs', TG_OP);
  END IF;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE FUNCTION pipeweave_task_runs_updated() RETURNS trigger AS $$
BEGIN
  INSERT INTO task_run_count_deltas (status, delta)
    SELECT status, sum(d) FROM (
      SELECT status, -1 AS d FROM old_runs UNION ALL SELECT status, 1 AS d FROM new_runs
    ) changes GROUP BY status HAVING sum(d) <> 0;
  IF EXISTS (SELECT 1 FROM new_runs WHERE status NOT IN ('dispatching', 'running')) THEN
    PERFORM pg_notify('pipeweave_task_runs', TG_OP);
  END IF;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE FUNCTION pipeweave_task_runs_deleted() RETURNS trigger AS $$
BEGIN
  INSERT INTO task_run_count_deltas (status, delta) SELECT status, -count(*) FROM old_runs GROUP BY status;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER task_runs_inserted
  AFTER INSERT ON task_runs REFERENCING NEW TABLE AS new_runs
  FOR EACH STATEMENT EXECUTE FUNCTION pipeweave_task_runs_inserted();

CREATE TRIGGER task_runs_updated
  AFTER UPDATE ON task_runs REFERENCING OLD TABLE AS old_runs NEW TABLE AS new_runs
  FOR EACH STATEMENT EXECUTE FUNCTION pipeweave_task_runs_updated();

CREATE TRIGGER task_runs_deleted
  AFTER DELETE ON task_runs REFERENCING OLD TABLE AS old_runs
  FOR EACH STATEMENT EXECUTE FUNCTION pipeweave_task_runs_deleted();
