/**
 * The job interface's behaviour, run against both implementations: the in-process runner and the
 * PostgreSQL queue (at ENTRA_TEST_POSTGRES, in a schema of its own per run, dropped after). What only a
 * queue shared between processes can do (a cancel or a singleton across instances, retries and dead
 * letters) is tested on the queue alone.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, describe, test } from "node:test";
import pg from "pg";
import { createError } from "../errors.ts";
import { createLocalJobs, type JobContext, type JobHandler, type JobRecord, type Jobs } from "./jobs.ts";
import { createQueueJobs, type QueueJobsOptions } from "./queue-jobs.ts";

const POSTGRES = process.env["ENTRA_TEST_POSTGRES"] ?? "postgres://postgres@127.0.0.1:5432/test";
const SCHEMA = `entra_jobs_test_${randomBytes(4).toString("hex")}`;

after(async () => {
  const client = new pg.Client({ connectionString: POSTGRES });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  await client.end();
});

/** A handler that runs until released or aborted, as a sync runs until its last page or a cancel. */
function gate() {
  const started: JobContext[] = [];
  let release!: () => void;
  const released = new Promise<void>((r) => {
    release = r;
  });
  const handler = async (ctx: JobContext) => {
    started.push(ctx);
    ctx.report({ page: 1 });
    await Promise.race([
      released,
      new Promise<void>((r) => ctx.signal.addEventListener("abort", () => r(), { once: true })),
    ]);
    return { status: ctx.signal.aborted ? "cancelled" : "succeeded" };
  };
  return { started, release, handler };
}

async function until<T>(
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every test its own kind (a queue of its own), so a job another test left is never worked or counted. */
const newKind = () => `k${randomBytes(4).toString("hex")}`;

const statusOf = (jobs: Jobs, id: string) => async () => (await jobs.get(id))?.status;

interface Implementation {
  name: string;
  make(handlers: Record<string, JobHandler>, options?: { concurrency?: number }): Promise<Jobs>;
  /** What a job that was running when its process closed is afterwards. */
  afterClose: JobRecord["status"];
  /** Reads the jobs after `close` (a queue is read from another instance). */
  reader(closed: Jobs): Promise<Jobs>;
}

const queueOptions = (handlers: Record<string, JobHandler>, more: Partial<QueueJobsOptions> = {}) => ({
  connectionString: POSTGRES,
  schema: SCHEMA,
  handlers,
  pollSeconds: 0.5,
  renewSeconds: 0.5,
  ...more,
});

const opened: Jobs[] = [];
after(async () => {
  await Promise.all(opened.map((j) => j.close(1000)));
});

const IMPLEMENTATIONS: Implementation[] = [
  {
    name: "in-process jobs",
    make: async (handlers, options) => createLocalJobs({ handlers, ...options }),
    afterClose: "cancelled",
    reader: async (closed) => closed,
  },
  {
    name: "PostgreSQL queue jobs",
    async make(handlers, options) {
      const jobs = await createQueueJobs(queueOptions(handlers, options));
      opened.push(jobs);
      return jobs;
    },
    afterClose: "queued",
    async reader() {
      const jobs = await createQueueJobs(queueOptions({}, { concurrency: 0 }));
      opened.push(jobs);
      return jobs;
    },
  },
];

for (const impl of IMPLEMENTATIONS) {
  describe(impl.name, () => {
    test("a singleton job answers the live one instead of starting a second for the same connection", async () => {
      const kind = newKind();
      const g = gate();
      const jobs = await impl.make({ [kind]: g.handler });
      const conn = randomBytes(4).toString("hex");
      const first = await jobs.submit({ kind, connectionId: conn, singleton: true });
      const second = await jobs.submit({ kind, connectionId: conn, singleton: true });
      assert.equal(second.conflict?.id, first.job.id);
      const other = await jobs.submit({ kind, connectionId: `${conn}-b`, singleton: true });
      assert.equal(other.conflict, undefined, "another connection syncs alongside");
      await until(statusOf(jobs, first.job.id), (s) => s === "running", "the first job to run");
      assert.equal((await jobs.active(conn, kind))?.id, first.job.id);
      g.release();
      await until(statusOf(jobs, first.job.id), (s) => s === "succeeded", "the first job to succeed");
      assert.equal(await jobs.active(conn, kind), undefined, "nothing live once it ended");
      const listed = await jobs.list({ connectionId: conn });
      assert.deepEqual(
        listed.map((j) => j.id),
        [first.job.id],
      );
      await jobs.close(1000);
    });

    test("a singleton key allows one live job per key: another key of the connection runs alongside", async () => {
      const kind = newKind();
      const g = gate();
      const jobs = await impl.make({ [kind]: g.handler });
      const conn = randomBytes(4).toString("hex");
      const first = await jobs.submit({ kind, connectionId: conn, singleton: true, singletonKey: "assets" });
      const again = await jobs.submit({ kind, connectionId: conn, singleton: true, singletonKey: "assets" });
      assert.equal(again.conflict?.id, first.job.id);
      const other = await jobs.submit({ kind, connectionId: conn, singleton: true, singletonKey: "hr" });
      assert.equal(other.conflict, undefined, "another mapping of the connection runs alongside");
      g.release();
      await until(statusOf(jobs, first.job.id), (s) => s === "succeeded", "the first job to succeed");
      await until(statusOf(jobs, other.job.id), (s) => s === "succeeded", "the other job to succeed");
      const next = await jobs.submit({ kind, connectionId: conn, singleton: true, singletonKey: "assets" });
      assert.equal(next.conflict, undefined, "a key is free again once its job ended");
      await jobs.close(1000);
    });

    test("one connection's long sync holds one slot: the small ones queued behind it finish while it runs", async () => {
      const kind = newKind();
      const g = gate();
      const big = randomBytes(4).toString("hex");
      const jobs = await impl.make(
        {
          [kind]: (ctx) =>
            ctx.job.connectionId === big ? g.handler(ctx) : Promise.resolve({ status: "succeeded" }),
        },
        { concurrency: 2 },
      );
      const long = (await jobs.submit({ kind, connectionId: big, singleton: true })).job;
      await until(statusOf(jobs, long.id), (s) => s === "running", "the long sync to run");
      // Asked again while it runs (a schedule firing, a user's click): still one sync of that connection.
      const again = await jobs.submit({ kind, connectionId: big, singleton: true });
      assert.equal(again.conflict?.id, long.id);
      const small: string[] = [];
      for (let i = 0; i < 6; i++) {
        small.push((await jobs.submit({ kind, connectionId: `${big}-${i}`, singleton: true })).job.id);
      }
      for (const id of small) await until(statusOf(jobs, id), (s) => s === "succeeded", `small sync ${id}`);
      assert.equal(await statusOf(jobs, long.id)(), "running", "the long sync still runs");
      g.release();
      await until(statusOf(jobs, long.id), (s) => s === "succeeded", "the long sync to end");
      await jobs.close(1000);
    });

    test("progress a handler reports is visible while it runs", async () => {
      const kind = newKind();
      const g = gate();
      const jobs = await impl.make({ [kind]: g.handler });
      const { job } = await jobs.submit({ kind, connectionId: randomBytes(4).toString("hex") });
      const seen = await until(
        () => jobs.get(job.id),
        (j) => j?.progress !== undefined,
        "the reported progress",
      );
      assert.deepEqual(seen?.progress, { page: 1 });
      assert.equal(seen?.status, "running");
      g.release();
      const done = await until(
        () => jobs.get(job.id),
        (j) => j?.status === "succeeded",
        "the job to end",
      );
      assert.deepEqual(done?.result, { status: "succeeded" });
      assert.ok(done?.startedAt && done.endedAt, "start and end are recorded");
      await jobs.close(1000);
    });

    test("cancel stops a running job and removes a queued one", async () => {
      const kind = newKind();
      const g = gate();
      const jobs = await impl.make({ [kind]: g.handler }, { concurrency: 1 });
      const conn = randomBytes(4).toString("hex");
      const running = (await jobs.submit({ kind, connectionId: conn })).job;
      await until(statusOf(jobs, running.id), (s) => s === "running", "the first job to run");
      const queued = (await jobs.submit({ kind, connectionId: `${conn}-b` })).job;
      assert.equal(queued.status, "queued");
      assert.ok(await jobs.cancel(queued.id));
      assert.equal((await jobs.get(queued.id))?.status, "cancelled");
      assert.ok(await jobs.cancel(running.id));
      await until(
        () => Promise.resolve(g.started[0]?.signal.aborted),
        (a) => a === true,
        "the handler's abort",
      );
      await until(statusOf(jobs, running.id), (s) => s === "cancelled", "the cancelled status");
      assert.equal(await jobs.cancel(running.id), false, "an ended job cannot be cancelled again");
      await jobs.close(1000);
      assert.equal(g.started.length, 1, "the cancelled queued job never started");
    });

    test("a failing handler leaves a failed job with the typed error", async () => {
      const kind = newKind();
      const jobs = await impl.make({
        [kind]: async () => {
          throw new Error("boom");
        },
      });
      const { job } = await jobs.submit({ kind, connectionId: randomBytes(4).toString("hex") });
      const failed = await until(
        () => jobs.get(job.id),
        (j) => j?.status === "failed",
        "the job to fail",
      );
      assert.equal(failed?.error?.code, "INTERNAL");
      await jobs.close(1000);
    });

    test("close asks running jobs to stop and waits for them", async () => {
      const kind = newKind();
      const g = gate();
      const jobs = await impl.make({ [kind]: g.handler });
      const { job } = await jobs.submit({ kind, connectionId: randomBytes(4).toString("hex") });
      await until(statusOf(jobs, job.id), (s) => s === "running", "the job to run");
      await jobs.close(5000);
      assert.ok(g.started[0]?.signal.aborted, "the handler was asked to stop");
      const reader = await impl.reader(jobs);
      assert.equal((await reader.get(job.id))?.status, impl.afterClose);
    });

    test("an id that is no job's is answered with nothing", async () => {
      const jobs = await impl.make({});
      assert.equal(await jobs.get("7"), undefined);
      assert.equal(await jobs.get("00000000-0000-4000-8000-000000000000"), undefined);
      assert.equal(await jobs.cancel("7"), false);
      await jobs.close(1000);
    });

    test("a failed job is listed, kept while a live singleton holds its place, then retried or discarded", async () => {
      const kind = newKind();
      const g = gate();
      let calls = 0;
      const jobs = await impl.make({
        [kind]: async (ctx) => {
          // The first attempt meets a problem no wait mends; later ones run until released.
          if (++calls === 1) throw createError("CONFIG_INVALID", { field: "x", problem: "is wrong" });
          return g.handler(ctx);
        },
      });
      const conn = randomBytes(4).toString("hex");
      const first = (await jobs.submit({ kind, connectionId: conn, singleton: true })).job;
      const failed = await until(
        () => jobs.failed(conn),
        (list) => list.length === 1,
        "the job to fail",
      );
      assert.equal(failed[0]?.id, first.id);
      assert.equal(failed[0]?.attempts, 1, "a configuration problem is not retried");
      assert.equal(failed[0]?.error?.code, "CONFIG_INVALID");
      assert.deepEqual(await jobs.failed(`${conn}-b`), []);

      const live = (await jobs.submit({ kind, connectionId: conn, singleton: true })).job;
      await until(statusOf(jobs, live.id), (s) => s === "running", "the second job to run");
      const held = await jobs.retry(first.id);
      assert.equal(held?.conflict?.id, live.id);
      assert.deepEqual(
        (await jobs.failed(conn)).map((j) => j.id),
        [first.id],
      );
      g.release();
      await until(statusOf(jobs, live.id), (s) => s === "succeeded", "the second job to end");

      const retried = await jobs.retry(first.id);
      assert.ok(retried && retried.conflict === undefined && retried.job.id !== first.id);
      assert.deepEqual(await jobs.failed(conn), []);
      assert.equal(await jobs.retry(first.id), undefined);
      assert.equal(await jobs.discard(first.id), false);
      await until(statusOf(jobs, retried.job.id), (s) => s === "succeeded", "the retried job to end");
      await jobs.close(1000);
    });
  });
}

describe("PostgreSQL queue jobs across processes", () => {
  test("a schema name that is not a plain identifier is refused before connecting", async () => {
    await assert.rejects(
      createQueueJobs({ connectionString: POSTGRES, schema: "x; DROP TABLE y", handlers: {} }),
      /CONFIG_INVALID|schema/,
    );
  });

  test("a cancel made through one instance reaches the handler running in another", async () => {
    const kind = newKind();
    const g = gate();
    const worker = await createQueueJobs(queueOptions({ [kind]: g.handler }));
    const api = await createQueueJobs(queueOptions({}, { concurrency: 0 }));
    opened.push(worker, api);
    const { job } = await api.submit({ kind, connectionId: randomBytes(4).toString("hex") });
    await until(statusOf(api, job.id), (s) => s === "running", "a worker to take the job");
    assert.ok(await api.cancel(job.id));
    await until(
      () => Promise.resolve(g.started[0]?.signal.aborted),
      (a) => a === true,
      "the handler's abort",
    );
    const ended = await until(
      () => api.get(job.id),
      (j) => j?.result !== undefined,
      "the cancelled job's outcome",
    );
    assert.equal(ended?.status, "cancelled");
    await worker.close(1000);
    await api.close(1000);
  });

  test("two instances submitting the same singleton at once queue one job", async () => {
    const kind = newKind();
    const a = await createQueueJobs(queueOptions({}, { concurrency: 0 }));
    const b = await createQueueJobs(queueOptions({}, { concurrency: 0 }));
    opened.push(a, b);
    const conn = randomBytes(4).toString("hex");
    const answers = await Promise.all(
      [a, b, a, b].map((j) => j.submit({ kind, connectionId: conn, singleton: true })),
    );
    assert.equal(new Set(answers.map((x) => x.job.id)).size, 1, "every answer names the one job");
    assert.equal(answers.filter((x) => x.conflict === undefined).length, 1);
    assert.equal((await a.list({ connectionId: conn })).length, 1);
    await a.close(1000);
    await b.close(1000);
  });

  test("a retryable failure is retried with backoff, then the job goes to the dead letters", async () => {
    const kind = newKind();
    let attempts = 0;
    const jobs = await createQueueJobs(
      queueOptions(
        {
          [kind]: async () => {
            attempts++;
            throw createError("NET_FAILED", { method: "GET", url: "https://graph.example", reason: "reset" });
          },
        },
        { retry: { [kind]: { limit: 2, delaySeconds: 1, maxDelaySeconds: 2 } } },
      ),
    );
    opened.push(jobs);
    const { job } = await jobs.submit({ kind, connectionId: "a" });
    const failed = await until(
      () => jobs.get(job.id),
      (j) => j?.status === "failed",
      "the retries to run out",
      60_000,
    );
    assert.equal(attempts, 3, "the first attempt and two retries");
    assert.equal(failed?.error?.code, "NET_FAILED");
    const client = new pg.Client({ connectionString: POSTGRES });
    await client.connect();
    const dead = await client.query(`SELECT source_id FROM ${SCHEMA}.job WHERE name = $1`, [`${kind}.dead`]);
    await client.end();
    assert.deepEqual(
      dead.rows.map((r: { source_id: string }) => r.source_id),
      [job.id],
    );
    await jobs.close(1000);
  });
});
