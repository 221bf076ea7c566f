-- The `details` a worker's TaskError carried (JSON, at most 8 KiB; a larger value is replaced by a
-- marked preview), kept per attempt. A dead letter shows its last attempt's.
ALTER TABLE task_run_attempts ADD COLUMN error_details jsonb;
