-- PipeWeave lives in a schema of its own (DATABASE_SCHEMA, default pipeweave); its connections
-- put that schema on their search_path, and the migrations name no schema. The trigger functions
-- also run for statements from other sessions (psql, the application), so they keep the schema
-- they were created in: a DELETE FROM pipeweave.task_runs works whatever the caller's search_path.

ALTER FUNCTION pipeweave_task_runs_inserted() SET search_path FROM CURRENT;
ALTER FUNCTION pipeweave_task_runs_updated() SET search_path FROM CURRENT;
ALTER FUNCTION pipeweave_task_runs_deleted() SET search_path FROM CURRENT;
