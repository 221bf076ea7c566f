import { SqlClient } from "@effect/sql"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect } from "effect"
import { api, awaitRun, serveOrchestrator, serveWorker, until } from "./support/InProcess.js"
import { databases } from "./support/TestDatabase.js"

/**
 * A completion or a submission claims the runs it makes due in the same statement, and their
 * dispatches leave only once that statement has committed; the request that caused it is answered
 * only then too. A commit that fails must leave nothing behind: no dispatch, no success answered.
 * Here a deferred constraint trigger refuses, at commit, the insert or the completion of a run
 * whose task `refuse_commits` names for it (counting refusals in a sequence, which a rollback does
 * not undo).
 */
const refuseCommitsOf = (sql: SqlClient.SqlClient) =>
  Effect.gen(function*() {
    yield* sql`CREATE TABLE refuse_commits (task_id text NOT NULL, refused text NOT NULL)`
    yield* sql`CREATE SEQUENCE commit_refusals`
    yield* sql.unsafe(`
      CREATE FUNCTION refuse_commit() RETURNS trigger AS $$
      BEGIN
        IF EXISTS (
          SELECT 1 FROM refuse_commits r WHERE r.task_id = NEW.task_id
            AND ((r.refused = 'insert' AND TG_OP = 'INSERT') OR (r.refused = 'completion' AND NEW.status = 'completed'))
        ) THEN
          PERFORM nextval('commit_refusals');
          RAISE EXCEPTION 'commit refused for %', NEW.id;
        END IF;
        RETURN NULL;
      END $$ LANGUAGE plpgsql`)
    yield* sql.unsafe(`
      CREATE CONSTRAINT TRIGGER refuse_commit AFTER INSERT OR UPDATE ON task_runs
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_commit()`)
    return Effect.map(
      sql<{ n: number }>`SELECT CASE WHEN is_called THEN last_value ELSE 0 END::int AS n FROM commit_refusals`,
      (rows) => rows[0]!.n
    ).pipe(Effect.orDie)
  })

for (const [name, database] of databases) {
  describe(`a write whose commit fails, on ${name}`, () => {
    it.live("a pipeline task's completion dispatches nothing and is not answered: the next task starts once one commits", () =>
      Effect.gen(function*() {
        const { context, url } = yield* serveOrchestrator(database())
        const sql = Context.get(context, SqlClient.SqlClient)
        const started: Array<string> = []
        yield* serveWorker(url, "commits", (w) => {
          w.register("cf-first", { allowedNext: ["cf-second"] }, async () => {
            started.push("cf-first")
            return { first: true }
          })
          w.register("cf-second", {}, async (ctx) => {
            started.push("cf-second")
            return { saw: ctx.upstream["cf-first"] }
          })
        })
        const refusals = yield* refuseCommitsOf(sql)
        yield* sql`INSERT INTO refuse_commits (task_id, refused) VALUES ('cf-first', 'completion')`

        const { pipelineRunId } = yield* api(url, "/api/pipelines/cf-first/trigger", { input: {} })
        yield* until(refusals, (n) => n >= 3)
        assert.deepStrictEqual(started, ["cf-first"], "no dispatch of cf-second left while its claim's commit failed")
        const runs = yield* sql<{ taskId: string; status: string }>`
          SELECT task_id, status FROM task_runs WHERE pipeline_run_id = ${pipelineRunId} ORDER BY task_id`
        assert.deepStrictEqual(runs.map((r) => [r.taskId, r.status]), [["cf-first", "dispatching"], ["cf-second", "waiting"]])

        yield* sql`DELETE FROM refuse_commits`
        const done = yield* awaitRun(url, pipelineRunId)
        assert.strictEqual(done.status, "completed")
        assert.deepStrictEqual(started, ["cf-first", "cf-second"])
      }).pipe(Effect.scoped), { timeout: 120_000 })

    it.live("a submission whose commit fails is answered 500, dispatches nothing and leaves no run", () =>
      Effect.gen(function*() {
        const { context, url } = yield* serveOrchestrator(database())
        const sql = Context.get(context, SqlClient.SqlClient)
        const started: Array<string> = []
        yield* serveWorker(url, "commits", (w) => {
          w.register("cf-one", {}, async () => {
            started.push("cf-one")
            return {}
          })
        })
        const refusals = yield* refuseCommitsOf(sql)
        yield* sql`INSERT INTO refuse_commits (task_id, refused) VALUES ('cf-one', 'insert')`
        const answer = yield* Effect.promise(() =>
          fetch(`${url}/api/queue/task`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ taskId: "cf-one", input: { n: 1 } })
          }).then(async (response) => ({ status: response.status, body: await response.json() as { _tag?: string } }))
        )
        assert.strictEqual(answer.status, 500)
        assert.strictEqual(answer.body._tag, "InternalServerError")
        assert.strictEqual(yield* refusals, 1)
        assert.deepStrictEqual(yield* sql`SELECT id FROM task_runs WHERE task_id = 'cf-one'`, [])

        yield* sql`DELETE FROM refuse_commits`
        const { runId } = yield* api(url, "/api/queue/task", { taskId: "cf-one", input: { n: 2 } })
        yield* until(api<any>(url, `/api/task-runs/${runId}`), (run) => run.status === "completed")
        assert.deepStrictEqual(started, ["cf-one"], "only the committed submission ran")
      }).pipe(Effect.scoped), { timeout: 120_000 })
  })
}
