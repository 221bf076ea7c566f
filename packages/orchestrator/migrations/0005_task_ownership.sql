-- Task ownership: a task id belongs to the service that registered it first. The code history
-- records which service registered each version, and the service a takeover took it from.

ALTER TABLE task_code_history ADD COLUMN service_id text;
ALTER TABLE task_code_history ADD COLUMN taken_over_from text;
