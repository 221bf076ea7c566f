import { Args, Options } from "@effect/cli"
import { TaskId } from "@pipeweave/domain/Ids"

/** The `<taskId>` argument, checked against the contract's task id rules. */
export const taskIdArg = Args.text({ name: "taskId" }).pipe(
  Args.withSchema(TaskId),
  Args.withDescription("Task type id, e.g. process-document")
)

/** An optional `--task <id>` filter. */
export const taskOption = Options.text("task").pipe(
  Options.withSchema(TaskId),
  Options.optional,
  Options.withDescription("Only this task type")
)
