-- A notification on pipeweave_task_runs wakes the other orchestrators' schedulers. It is sent only
-- for a change that can let one of their claims succeed: a run made pending (due work), or a run of
-- a task type with a concurrency limit leaving flight (a slot of that type came free). A run of an
-- unlimited type that ends frees nothing another scheduler can use (each one's MAX_CONCURRENCY
-- slots are its own), so a completion no longer notifies: it was one notification per completing
-- statement, queued at its commit and delivered to every listening session, on the hot path.
CREATE OR REPLACE FUNCTION pipeweave_task_runs_inserted() RETURNS trigger AS $$
BEGIN
  INSERT INTO task_run_count_deltas (status, delta) SELECT status, count(*) FROM new_runs GROUP BY status;
  IF EXISTS (SELECT 1 FROM new_runs WHERE status = 'pending') THEN
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
  IF EXISTS (SELECT 1 FROM new_runs WHERE status = 'pending') OR EXISTS (
    SELECT 1 FROM old_runs o JOIN new_runs n ON n.id = o.id JOIN tasks t ON t.task_id = n.task_id
    WHERE o.status IN ('dispatching', 'running') AND n.status NOT IN ('dispatching', 'running') AND t.concurrency > 0
  ) THEN
    PERFORM pg_notify('pipeweave_task_runs', COALESCE(NULLIF(current_setting('application_name', true), ''), TG_OP));
  END IF;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;

-- CREATE OR REPLACE resets a function's settings: pin the search_path again (see 0006_schema.sql).
ALTER FUNCTION pipeweave_task_runs_inserted() SET search_path FROM CURRENT;
ALTER FUNCTION pipeweave_task_runs_updated() SET search_path FROM CURRENT;
