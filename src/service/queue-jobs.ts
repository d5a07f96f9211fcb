/**
 * The job interface on a PostgreSQL queue (pg-boss), so the API and any number of worker processes
 * share one list of jobs. Each kind is a pg-boss queue with the `exclusive` policy: a singleton job is
 * keyed by its connection, so the database itself refuses a second live sync of one connection, from
 * whichever process. Jobs are read back from pg-boss's own job table; a handler's progress is written
 * to its job's output while it runs, so any process sees it.
 *
 * A worker renews each running job's claim (pg-boss's heartbeat); when a worker dies its jobs go back
 * to the queue once the claim lapses and another worker resumes them from the store's checkpoint. The
 * same renewal notices a cancel made by another process and aborts the handler's signal.
 */
import { randomUUID } from "node:crypto";
import { type JobResult, type JobWithMetadata, PgBoss } from "pg-boss";
import { createError, type ErrorJSON, toConnectorError } from "../errors.ts";
import type { JobHandler, JobRecord, JobStatus, Jobs } from "./jobs.ts";

export interface RetryPolicy {
  /** Attempts after the first before the job goes to its kind's dead-letter queue. */
  limit: number;
  /** The first wait before a retry; it doubles (with jitter) per attempt up to `maxDelaySeconds`. */
  delaySeconds: number;
  maxDelaySeconds: number;
}

export interface QueueJobsOptions {
  connectionString: string;
  /** The PostgreSQL schema pg-boss keeps its tables in (one per deployment). */
  schema?: string;
  handlers: Record<string, JobHandler>;
  /** Jobs this process works at once, per kind; 0 only submits and reads (`serve --role api`). */
  concurrency?: number;
  /** Per kind; unnamed kinds get DEFAULT_RETRY. */
  retry?: Record<string, Partial<RetryPolicy>>;
  /** How long a job's claim lasts without renewal: a killed worker's job is taken up again after it (≥ 10 s). */
  leaseSeconds?: number;
  /** How often a worker renews its claims, and so how soon a cancel from elsewhere reaches a handler. */
  renewSeconds?: number;
  /** How often an idle worker looks for a job. */
  pollSeconds?: number;
  /** Ended attempts of jobs this process worked (for metrics and logs). */
  onEnd?: (job: JobRecord) => void;
  /** The queue's own failures (a lost database connection); pg-boss retries by itself. */
  onError?: (err: unknown) => void;
}

export const DEFAULT_RETRY: RetryPolicy = { limit: 3, delaySeconds: 30, maxDelaySeconds: 600 };

/** A sync of a large tenant runs for hours; a dead worker is found by its claim lapsing, not by this. */
const EXPIRE_SECONDS = 12 * 3600;
/** How often progress is written to the job row at most: a sync reports per page. */
const PROGRESS_EVERY_MS = 500;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const deadLetterOf = (kind: string) => `${kind}.dead`;

interface JobData {
  connectionId: string;
  input: Record<string, unknown>;
  singletonKey?: string;
  /** Kept so a retry of the failed job submits it alike. */
  singleton?: boolean;
}

/** What a job's output column holds: figures while it runs, then the result or the error. */
interface JobOutput {
  progress?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: ErrorJSON;
}

interface JobRow {
  id: string;
  name: string;
  data: JobData;
  state: "created" | "retry" | "active" | "completed" | "cancelled" | "failed";
  output: JobOutput | null;
  created_on: Date;
  started_on: Date | null;
  completed_on: Date | null;
  retry_count?: number;
}

/** A handler that returned says how its work ended (a sync stopped by a cancel returns `cancelled`). */
function completedStatus(result: Record<string, unknown> | undefined): JobStatus {
  const status = result?.["status"];
  return status === "cancelled" || status === "failed" ? status : "succeeded";
}

function statusOf(row: JobRow): JobStatus {
  switch (row.state) {
    case "created":
    case "retry":
      return "queued";
    case "active":
      return "running";
    case "completed":
      return completedStatus(row.output?.result);
    default:
      return row.state;
  }
}

function recordOf(row: JobRow): JobRecord {
  const status = statusOf(row);
  const job: JobRecord = {
    id: row.id,
    kind: row.name,
    connectionId: row.data.connectionId,
    status,
    input: row.data.input ?? {},
    queuedAt: row.created_on.toISOString(),
  };
  if (row.started_on) job.startedAt = row.started_on.toISOString();
  if (row.completed_on && status !== "queued" && status !== "running") {
    job.endedAt = row.completed_on.toISOString();
  }
  const out = row.output ?? {};
  if (out.result) job.result = out.result;
  if (out.progress) job.progress = out.progress;
  if (out.error) job.error = out.error;
  if (row.retry_count !== undefined) job.attempts = row.retry_count + 1;
  return job;
}

/**
 * Connects to the queue (creating pg-boss's schema on first use) and, with a concurrency above 0,
 * starts working the kinds it has handlers for. Fails with JOB_QUEUE_UNREACHABLE when PostgreSQL
 * cannot be reached.
 */
export async function createQueueJobs(options: QueueJobsOptions): Promise<Jobs> {
  const schema = options.schema ?? "entra_jobs";
  // The schema is written into SQL as a name, so only a plain one is taken.
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw createError("CONFIG_INVALID", {
      field: "schema",
      problem: "must be a lower-case schema name like entra_jobs (letters, digits, _)",
    });
  }
  const concurrency = options.concurrency ?? 4;
  const leaseSeconds = Math.max(10, options.leaseSeconds ?? 30);
  const renewSeconds = Math.min(options.renewSeconds ?? 2, leaseSeconds / 2);
  const boss = new PgBoss({
    connectionString: options.connectionString,
    schema,
    application_name: "entra-connector",
    // Lapsed claims are looked for a few times per lease, so a dead worker's job waits about one lease.
    superviseIntervalSeconds: Math.max(1, Math.round(leaseSeconds / 5)),
    monitorIntervalSeconds: Math.max(1, Math.round(leaseSeconds / 5)),
  });
  boss.on("error", (err) => options.onError?.(err));
  try {
    await boss.start();
  } catch (err) {
    await boss.stop({ graceful: false }).catch(() => {});
    throw createError("JOB_QUEUE_UNREACHABLE", { schema, reason: (err as Error).message });
  }
  const db = boss.getDb();
  const ready = new Map<string, Promise<void>>();
  /** The shutdown abort of each job this process runs. */
  const running = new Map<string, AbortController>();
  let closing = false;

  const COLUMNS = "id, name, data, state, output, created_on, started_on, completed_on, retry_count";
  // Dead-lettered copies are kept for operators to inspect; the interface lists the jobs themselves.
  const OURS = `name NOT LIKE '%.dead'`;

  function ensureQueue(kind: string): Promise<void> {
    let done = ready.get(kind);
    if (done === undefined) {
      const policy = { ...DEFAULT_RETRY, ...options.retry?.[kind] };
      const settings = {
        retryLimit: policy.limit,
        retryDelay: policy.delaySeconds,
        retryBackoff: true,
        retryDelayMax: policy.maxDelaySeconds,
        expireInSeconds: EXPIRE_SECONDS,
        heartbeatSeconds: leaseSeconds,
        deadLetter: deadLetterOf(kind),
      };
      done = (async () => {
        if ((await boss.getQueue(deadLetterOf(kind))) === null) await boss.createQueue(deadLetterOf(kind));
        if ((await boss.getQueue(kind)) === null)
          await boss.createQueue(kind, { policy: "exclusive", ...settings });
        // The retry policy of this process's configuration wins over the one the queue was made with.
        else await boss.updateQueue(kind, settings);
      })();
      ready.set(kind, done);
      done.catch(() => ready.delete(kind));
    }
    return done;
  }

  async function rows(where: string, values: unknown[], limit = 500): Promise<JobRow[]> {
    const { rows } = await db.executeSql(
      `SELECT ${COLUMNS} FROM ${schema}.job WHERE ${OURS} AND ${where} ORDER BY created_on DESC LIMIT ${limit}`,
      values,
    );
    return rows as JobRow[];
  }

  async function get(id: string): Promise<JobRecord | undefined> {
    if (!UUID.test(id)) return undefined;
    const [row] = await rows("id = $1", [id], 1);
    return row && recordOf(row);
  }

  async function active(connectionId: string, kind: string, key?: string): Promise<JobRecord | undefined> {
    const [row] = await rows(
      `name = $1 AND data->>'connectionId' = $2 AND state IN ('created', 'retry', 'active')
        AND ($3::text IS NULL OR data->>'singletonKey' = $3)`,
      [kind, connectionId, key ?? null],
      1,
    );
    return row && recordOf(row);
  }

  async function writeOutput(id: string, output: JobOutput, state: string): Promise<void> {
    await db.executeSql(`UPDATE ${schema}.job SET output = $2::jsonb WHERE id = $1 AND state = $3`, [
      id,
      JSON.stringify(output),
      state,
    ]);
  }

  async function attempt(
    kind: string,
    handler: JobHandler,
    job: JobWithMetadata<JobData>,
  ): Promise<JobResult> {
    const stop = new AbortController();
    // pg-boss aborts job.signal when its claim is gone: cancelled from any process, or lapsed.
    const signal = AbortSignal.any([stop.signal, job.signal]);
    let progress: Record<string, unknown> | undefined;
    let lastWrite = 0;
    let writing: Promise<void> = Promise.resolve();
    const record = recordOf({
      id: job.id,
      name: kind,
      data: job.data,
      state: "active",
      output: null,
      created_on: job.createdOn,
      started_on: job.startedOn,
      completed_on: null,
    });
    running.set(job.id, stop);
    let output: JobOutput = {};
    let settled: JobResult["status"] = "completed";
    try {
      try {
        const result = await handler({
          job: record,
          signal,
          report(p) {
            progress = p;
            const now = Date.now();
            if (now - lastWrite < PROGRESS_EVERY_MS) return;
            lastWrite = now;
            writing = writing
              .then(() => writeOutput(job.id, { progress: p }, "active"))
              .catch((err: unknown) => options.onError?.(err));
          },
        });
        output = { result, ...(progress ? { progress } : {}) };
        if (result["status"] === "failed") settled = "failed";
      } catch (err) {
        const e = toConnectorError(err);
        output = { error: e.toJSON(), ...(progress ? { progress } : {}) };
        // A configuration or permission problem does not mend by waiting: straight to the dead letters.
        settled = e.retryable || signal.aborted ? "failed" : "deadletter";
      }
      await writing;
      if (stop.signal.aborted) {
        // This worker stops: the job goes back to the queue, and the next attempt resumes from the checkpoint.
        settled = "failed";
        output = { ...output, error: createError("JOB_WORKER_STOPPED", { id: job.id, kind }).toJSON() };
      } else if (job.signal.aborted) {
        // Cancelled from elsewhere: pg-boss no longer settles the job, so its outcome is written here.
        await writeOutput(job.id, output, "cancelled");
      }
      return { id: job.id, status: settled, output };
    } finally {
      running.delete(job.id);
      // This attempt's end, as the job's record will read once pg-boss has settled it.
      const status = settled === "completed" ? completedStatus(output.result) : "failed";
      options.onEnd?.({ ...record, ...output, status, endedAt: new Date().toISOString() });
    }
  }

  if (concurrency > 0) {
    for (const [kind, handler] of Object.entries(options.handlers)) {
      await ensureQueue(kind);
      await boss.work(
        kind,
        {
          includeMetadata: true,
          perJobResults: true,
          batchSize: 1,
          localConcurrency: concurrency,
          pollingIntervalSeconds: Math.max(0.5, options.pollSeconds ?? 2),
          heartbeatRefreshSeconds: renewSeconds,
        },
        async (jobs: JobWithMetadata<JobData>[]) =>
          Promise.all(jobs.map((job) => attempt(kind, handler, job))),
      );
    }
  }

  async function failedJob(id: string): Promise<JobRow | undefined> {
    if (!UUID.test(id)) return undefined;
    const [row] = await rows("id = $1 AND state = 'failed'", [id], 1);
    return row;
  }

  async function discard(id: string): Promise<boolean> {
    const row = await failedJob(id);
    if (row === undefined) return false;
    // The dead-letter copy goes with it: nothing works that queue, so it would only pile up.
    const { rows } = await db.executeSql(
      `DELETE FROM ${schema}.job WHERE (id = $1 AND state = 'failed') OR (name = $2 AND source_id = $1)
       RETURNING id`,
      [id, deadLetterOf(row.name)],
    );
    return rows.some((r: { id: string }) => r.id === id);
  }

  let slotTable: Promise<unknown> | undefined;
  /** The next slot of each schedule, shared by every process on this queue (created on first use). */
  function slots(): Promise<unknown> {
    slotTable ??= db
      .executeSql(
        // Two processes creating the table at once would collide on its type: the lock orders them.
        `BEGIN; SELECT pg_advisory_xact_lock(hashtext('${schema}.entra_schedule_slot'));
         CREATE TABLE IF NOT EXISTS ${schema}.entra_schedule_slot
           (key text PRIMARY KEY, schedule text NOT NULL, next_at timestamptz NOT NULL); COMMIT;`,
      )
      .catch((err: unknown) => {
        slotTable = undefined;
        throw err;
      });
    return slotTable;
  }

  const jobs: Jobs = {
    async submit({ kind, connectionId, input = {}, singleton = false, singletonKey }) {
      await ensureQueue(kind);
      if (singleton) {
        const live = await active(connectionId, kind, singletonKey);
        if (live) return { job: live, conflict: live };
      }
      const id = randomUUID();
      const data: JobData = {
        connectionId,
        input,
        singleton,
        ...(singletonKey === undefined ? {} : { singletonKey }),
      };
      // Non-singleton jobs get a key of their own, so the exclusive policy never holds them back.
      const key = singletonKey === undefined ? connectionId : `${connectionId}/${singletonKey}`;
      const sent = await boss.send(kind, data, {
        id,
        singletonKey: singleton ? key : `${connectionId}/${id}`,
      });
      if (sent === null) {
        // Another process queued one between the look and the send: the database kept only one.
        const live = await active(connectionId, kind, singletonKey);
        if (live) return { job: live, conflict: live };
        throw createError("JOB_QUEUE_UNREACHABLE", { schema, reason: `the ${kind} job was not queued` });
      }
      return { job: (await get(id))! };
    },
    get,
    async list({ connectionId, kind }) {
      const found = await rows(
        "($1::text IS NULL OR data->>'connectionId' = $1) AND ($2::text IS NULL OR name = $2)",
        [connectionId ?? null, kind ?? null],
      );
      return found.map(recordOf);
    },
    async cancel(id) {
      const job = await get(id);
      if (job === undefined || (job.status !== "queued" && job.status !== "running")) return false;
      // pg-boss types its command answers loosely; each carries the number of jobs it changed.
      const { affected } = (await boss.cancel(job.kind, id)) as { affected: number };
      return affected > 0;
    },
    active,
    async failed(connectionId) {
      return (await rows("data->>'connectionId' = $1 AND state = 'failed'", [connectionId])).map(recordOf);
    },
    async retry(id) {
      const row = await failedJob(id);
      if (row === undefined) return undefined;
      const { connectionId, input, singleton, singletonKey } = row.data;
      const answer = await jobs.submit({
        kind: row.name,
        connectionId,
        input,
        singleton: singleton === true,
        ...(singletonKey === undefined ? {} : { singletonKey }),
      });
      if (answer.conflict === undefined) await discard(id);
      return answer;
    },
    discard,
    async claimSlot({ key, schedule, now, next }) {
      await slots();
      // One row per schedule holds its next slot: of the processes due at once, the first to move it
      // fires; the others find it moved on. A changed schedule takes the slot whatever the row says.
      const { rows } = await db.executeSql(
        `INSERT INTO ${schema}.entra_schedule_slot AS s (key, schedule, next_at)
           VALUES ($1, $2, COALESCE($4::timestamptz, 'infinity'))
         ON CONFLICT (key) DO UPDATE SET schedule = EXCLUDED.schedule, next_at = EXCLUDED.next_at
           WHERE s.next_at <= $3::timestamptz OR s.schedule <> EXCLUDED.schedule
         RETURNING key`,
        [key, schedule, now.toISOString(), next?.toISOString() ?? null],
      );
      return rows.length === 1;
    },
    async close(graceMs) {
      if (closing) return;
      closing = true;
      // Stop fetching first, so no job starts while the running ones stop.
      if (concurrency > 0) {
        await Promise.all(Object.keys(options.handlers).map((kind) => boss.offWork(kind, { wait: false })));
      }
      for (const stop of running.values()) stop.abort(new DOMException("shutdown", "AbortError"));
      await boss.stop({ graceful: true, timeout: Math.max(1, graceMs), close: true });
    },
  };
  return jobs;
}
