/**
 * The job interface every piece of background work goes through (sync now, schedules, trigger polls,
 * deliveries), and its in-process implementation. The PostgreSQL queue (`createQueueJobs` in
 * queue-jobs.ts) replaces `createLocalJobs` without the API noticing: callers only submit, read, list
 * and cancel.
 */
import { randomUUID } from "node:crypto";
import { type ErrorJSON, toConnectorError } from "../errors.ts";

export type JobStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled";

export interface JobRecord {
  id: string;
  kind: string;
  connectionId: string;
  status: JobStatus;
  input: Record<string, unknown>;
  queuedAt: string;
  startedAt?: string;
  endedAt?: string;
  /** What the handler returned (a sync's run record and figures). */
  result?: Record<string, unknown>;
  /** The latest progress the handler reported (a sync's per-stream figures). */
  progress?: Record<string, unknown>;
  error?: ErrorJSON;
  /** How many times it ran (a queue retries a failed attempt). */
  attempts?: number;
}

export interface JobContext {
  job: Readonly<JobRecord>;
  /** Aborted on cancel and on shutdown; handlers stop at their next safe point (a page boundary). */
  signal: AbortSignal;
  report(progress: Record<string, unknown>): void;
}

export type JobHandler = (ctx: JobContext) => Promise<Record<string, unknown>>;

export interface SubmitInput {
  kind: string;
  connectionId: string;
  input?: Record<string, unknown>;
  /** At most one queued or running job of this kind per connection: the running one is returned as `conflict`. */
  singleton?: boolean;
  /** Narrows `singleton` to one live job per connection, kind and key (a mapping's name). */
  singletonKey?: string;
}

/**
 * Every method is async: a queue-backed implementation answers from its database, and callers must
 * not tell the two apart.
 */
export interface Jobs {
  /** Queues a job; with `singleton`, answers the live one instead when there is one. */
  submit(input: SubmitInput): Promise<{ job: JobRecord; conflict?: JobRecord }>;
  get(id: string): Promise<JobRecord | undefined>;
  /** Newest first. */
  list(filter: { connectionId?: string; kind?: string }): Promise<JobRecord[]>;
  cancel(id: string): Promise<boolean>;
  /** Running jobs of a connection and kind (the API's 409 names one). */
  active(connectionId: string, kind: string): Promise<JobRecord | undefined>;
  /** A connection's jobs that failed for good (a queue's retries used up), newest first. */
  failed(connectionId: string): Promise<JobRecord[]>;
  /**
   * Queues a failed job again as it was submitted and drops the failed one; undefined when `id` is no
   * failed job. A singleton answers the live one as `conflict` (and the failed one stays).
   */
  retry(id: string): Promise<{ job: JobRecord; conflict?: JobRecord } | undefined>;
  /** Drops a failed job (a queue's dead-letter copy with it); false when `id` is no failed job. */
  discard(id: string): Promise<boolean>;
  /**
   * Takes a schedule's slot for this process: false when another process sharing the queue took it.
   * `key` names the schedule, `schedule` its current form (a changed one starts afresh), `next` the
   * slot after this one. Absent where one process holds every schedule (the in-process runner).
   */
  claimSlot?(claim: { key: string; schedule: string; now: Date; next: Date | undefined }): Promise<boolean>;
  /**
   * Stops taking jobs, asks running ones to stop and waits up to `graceMs` for them. The in-process
   * runner cancels its queued jobs; a shared queue keeps them, and puts the stopped ones back, for the
   * other workers.
   */
  close(graceMs: number): Promise<void>;
}

export interface LocalJobsOptions {
  handlers: Record<string, JobHandler>;
  /** Jobs run at once across connections. */
  concurrency?: number;
  /** Finished jobs kept in memory for reading back; the store keeps the run history itself. */
  keep?: number;
  now?: () => Date;
  onEnd?: (job: JobRecord) => void;
}

/** The in-process job runner: a FIFO with a concurrency limit, on this process's event loop. */
export function createLocalJobs(options: LocalJobsOptions): Jobs {
  const now = options.now ?? (() => new Date());
  const concurrency = options.concurrency ?? 4;
  const keep = options.keep ?? 500;
  const jobs = new Map<string, JobRecord>();
  const controllers = new Map<string, AbortController>();
  const queue: JobRecord[] = [];
  const running = new Map<string, Promise<void>>();
  const singletonKeys = new Map<string, string>();
  /** How each job was submitted, so a retry submits it alike. */
  const submitted = new Map<string, SubmitInput>();
  let closing = false;

  const isLive = (j: JobRecord) => j.status === "queued" || j.status === "running";

  function drop(id: string): boolean {
    singletonKeys.delete(id);
    submitted.delete(id);
    return jobs.delete(id);
  }

  function forget(): void {
    if (jobs.size <= keep) return;
    for (const [id, j] of jobs) {
      if (jobs.size <= keep) break;
      if (!isLive(j)) drop(id);
    }
  }

  function pump(): void {
    while (!closing && running.size < concurrency && queue.length > 0) {
      const job = queue.shift()!;
      running.set(
        job.id,
        execute(job).finally(() => {
          running.delete(job.id);
          pump();
        }),
      );
    }
  }

  async function execute(job: JobRecord): Promise<void> {
    const controller = controllers.get(job.id)!;
    const handler = options.handlers[job.kind];
    job.status = "running";
    job.startedAt = now().toISOString();
    try {
      if (handler === undefined) throw new Error(`no handler for job kind ${job.kind}`);
      job.result = await handler({
        job,
        signal: controller.signal,
        report: (progress) => {
          job.progress = progress;
        },
      });
      job.status =
        job.result["status"] === "cancelled" || controller.signal.aborted
          ? "cancelled"
          : job.result["status"] === "failed"
            ? "failed"
            : "succeeded";
    } catch (err) {
      const e = toConnectorError(err);
      job.status = controller.signal.aborted ? "cancelled" : "failed";
      job.error = e.toJSON();
    } finally {
      job.endedAt = now().toISOString();
      controllers.delete(job.id);
      forget();
      options.onEnd?.(job);
    }
  }

  function active(connectionId: string, kind: string, key?: string): JobRecord | undefined {
    for (const j of jobs.values()) {
      if (j.connectionId !== connectionId || j.kind !== kind || !isLive(j)) continue;
      if (key === undefined || singletonKeys.get(j.id) === key) return j;
    }
    return undefined;
  }

  const isFailed = (j: JobRecord | undefined): j is JobRecord => j?.status === "failed";

  function submit(request: SubmitInput): { job: JobRecord; conflict?: JobRecord } {
    const { kind, connectionId, input = {}, singleton = false, singletonKey } = request;
    if (singleton) {
      const live = active(connectionId, kind, singletonKey);
      if (live) return { job: live, conflict: live };
    }
    const job: JobRecord = {
      id: randomUUID(),
      kind,
      connectionId,
      status: "queued",
      input,
      queuedAt: now().toISOString(),
      attempts: 1,
    };
    jobs.set(job.id, job);
    submitted.set(job.id, request);
    if (singletonKey !== undefined) singletonKeys.set(job.id, singletonKey);
    controllers.set(job.id, new AbortController());
    queue.push(job);
    pump();
    return { job };
  }

  return {
    submit: async (request) => submit(request),
    get: async (id) => jobs.get(id),
    async list({ connectionId, kind }) {
      return [...jobs.values()]
        .filter(
          (j) =>
            (connectionId === undefined || j.connectionId === connectionId) &&
            (kind === undefined || j.kind === kind),
        )
        .reverse();
    },
    async cancel(id) {
      const job = jobs.get(id);
      if (job === undefined || !isLive(job)) return false;
      const index = queue.indexOf(job);
      if (index >= 0) {
        queue.splice(index, 1);
        job.status = "cancelled";
        job.endedAt = now().toISOString();
        controllers.delete(id);
        options.onEnd?.(job);
        return true;
      }
      controllers.get(id)?.abort(new DOMException("cancelled", "AbortError"));
      return true;
    },
    active: async (connectionId, kind) => active(connectionId, kind),
    failed: async (connectionId) =>
      [...jobs.values()].filter((j) => j.connectionId === connectionId && isFailed(j)).reverse(),
    async retry(id) {
      const job = jobs.get(id);
      const request = submitted.get(id);
      if (!isFailed(job) || request === undefined) return undefined;
      const answer = submit(request);
      if (answer.conflict === undefined) drop(id);
      return answer;
    },
    discard: async (id) => isFailed(jobs.get(id)) && drop(id),
    async close(graceMs) {
      closing = true;
      for (const job of queue.splice(0)) {
        job.status = "cancelled";
        job.endedAt = now().toISOString();
      }
      // A sync stops at its next page boundary with that page's checkpoint: the next start resumes there.
      for (const controller of controllers.values())
        controller.abort(new DOMException("shutdown", "AbortError"));
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs);
        timer.unref();
      });
      await Promise.race([Promise.allSettled([...running.values()]), graceOver]);
      clearTimeout(timer);
    },
  };
}
