-- The W3C trace context (a `traceparent` value) a run was queued in, so that its dispatch, which
-- happens later in a scheduling pass, joins the trace of its submission (a pipeline run's task
-- runs: the trigger's). NULL when tracing was off.
ALTER TABLE task_runs ADD COLUMN traceparent text;
ALTER TABLE pipeline_runs ADD COLUMN traceparent text;
