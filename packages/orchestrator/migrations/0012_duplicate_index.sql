-- task_runs_pipeline_run (pipeline_run_id) is the leading column of task_runs_pipeline_task
-- (pipeline_run_id, task_id), under the same predicate: every lookup by pipeline run can use the
-- latter, while the former cost each write of a pipeline's task run (an insert, and every status
-- change, none of which is a HOT update) one more index entry and its WAL.
DROP INDEX IF EXISTS task_runs_pipeline_run;
