-- A notification on pipeweave_task_runs now carries the notifying session's application_name, so a
-- scheduler can ignore its own process's changes (it already wakes itself for those in process) and
-- still wake for every other orchestrator's, the CLI's and hand-written SQL. The payload is never
-- empty: @effect/sql-pg drops notifications without one.
CREATE OR REPLACE FUNCTION pipeweave_task_runs_inserted() RETURNS trigger AS $$
BEGIN
  INSERT INTO task_run_count_deltas (status, delta) SELECT status, count(*) FROM new_runs GROUP BY status;
  IF EXISTS (SELECT 1 FROM new_runs WHERE status NOT IN ('dispatching', 'running')) THEN
    PERFORM pg_notify('pipeweave_task_runs', COALESCE(NULLIF(current_setting('application_name', true), ''), TG_OP));
  END IF;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION pipeweave_task_runs_updated() RETURNS trigger AS $$
BEGIN
  INSERT INTO task_run_count_deltas (status, delta)
    SELECT status, sum(d) FROM (
      SELECT status, -1 AS d FROM old_runs UNION ALL SELECT status, 1 AS d FROM new_runs
    ) changes GROUP BY status HAVING sum(d) <> 0;
  IF EXISTS (SELECT 1 FROM new_runs WHERE status NOT IN ('dispatching', 'running')) THEN
    PERFORM pg_notify('pipeweave_task_runs', COALESCE(NULLIF(current_setting('application_name', true), ''), TG_OP));
  END IF;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;

-- CREATE OR REPLACE resets a function's settings: pin the search_path again (see 0006_schema.sql).
ALTER FUNCTION pipeweave_task_runs_inserted() SET search_path FROM CURRENT;
ALTER FUNCTION pipeweave_task_runs_updated() SET search_path FROM CURRENT;
