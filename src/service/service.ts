/**
 * `startService`: the long-running connector in one process — HTTP API, the in-process job runner
 * and its connections — on the same library the CLI uses. `close` stops accepting requests, asks
 * running syncs to stop at their next page (each keeps its checkpoint) and waits up to the grace period.
 */
import type { FastifyInstance } from "fastify";
import type { QueueSettings } from "../config/load.ts";
import { createError } from "../errors.ts";
import type { Logger } from "../log/logger.ts";
import { buildApp } from "./app.ts";
import type { ConnectionRegistry } from "./connections.ts";
import { createLocalJobs, type JobHandler, type JobRecord, type Jobs } from "./jobs.ts";
import { createMetrics } from "./metrics.ts";
import { createQueueJobs } from "./queue-jobs.ts";
import { type Scheduler, startScheduler } from "./scheduler.ts";
import type { ServiceState } from "./state.ts";
import { syncJob } from "./sync-job.ts";

export interface ServiceOptions {
  state: ServiceState;
  connections: ConnectionRegistry;
  logger: Logger;
  version: string;
  /** Port 0 picks a free one. */
  listen: { host: string; port: number };
  metricsOpen: boolean;
  /** How long `close` lets running syncs finish their page. */
  graceMs: number;
  /** all (default): API and jobs; api: the API, jobs go to the queue; worker: jobs from the queue. */
  role?: "all" | "api" | "worker";
  /** Jobs this process runs at once. */
  jobConcurrency?: number;
  /** A queue shared with other processes; without one, jobs run in this process. */
  queue?: QueueSettings;
}

export interface RunningService {
  app: FastifyInstance;
  jobs: Jobs;
  /** `http://host:port` as bound. */
  url: string;
  close(): Promise<void>;
}

export async function startService(options: ServiceOptions): Promise<RunningService> {
  const metrics = createMetrics();
  let ready = false;
  let scheduler: Scheduler | undefined;
  const role = options.role ?? "all";
  const onEnd = (job: JobRecord) => {
    metrics.jobEnded(job);
    options.logger.info(
      { jobId: job.id, kind: job.kind, connection: job.connectionId, status: job.status },
      "job ended",
    );
  };
  const handlers: Record<string, JobHandler> = role === "api" ? {} : { sync: syncJob(options.connections) };
  const jobs = options.queue
    ? await createQueueJobs({
        connectionString: options.queue.connectionString,
        schema: options.queue.schema,
        handlers,
        concurrency: role === "api" ? 0 : (options.jobConcurrency ?? 4),
        leaseSeconds: options.queue.leaseMs / 1000,
        retry: {
          sync: { limit: options.queue.retries, delaySeconds: Math.round(options.queue.retryDelayMs / 1000) },
        },
        onEnd,
        onError: (err) => options.logger.error({ err }, "job queue error"),
      })
    : createLocalJobs({ handlers, concurrency: options.jobConcurrency, onEnd });
  const { app } = buildApp({
    nextRun: (id) => scheduler?.next(id),
    state: options.state,
    connections: options.connections,
    jobs,
    metrics,
    logger: options.logger,
    version: options.version,
    metricsOpen: options.metricsOpen,
    ready: () => ready,
    role,
  });
  const { host, port } = options.listen;
  let address: string;
  try {
    address = await app.listen({ host, port });
  } catch (err) {
    await app.close();
    await jobs.close(0);
    throw createError("SERVICE_LISTEN_FAILED", {
      address: `${host}:${port}`,
      reason: (err as Error).message,
    });
  }
  // Schedules belong to the processes that take requests; a worker only works what they queue.
  const entries = await Promise.all(
    options.connections
      .list()
      .filter((c) => c.schedule !== undefined && role !== "worker")
      .map(async (c) => {
        const [last] = await (await c.queries()).runs.list({ limit: 1 });
        return {
          connectionId: c.id,
          schedule: c.schedule!,
          lastRunAt: last === undefined ? undefined : new Date(last.startedAt),
        };
      }),
  );
  scheduler = startScheduler({
    jobs,
    entries,
    events: {
      fired: (connection, runId) => options.logger.info({ connection, runId }, "scheduled sync started"),
      skipped: (connection, runId) =>
        options.logger.info({ connection, runId }, "scheduled sync skipped: the previous one still runs"),
      failed: (connection, err) =>
        options.logger.error({ connection, err }, "scheduled sync could not be queued"),
    },
  });
  ready = true;
  return {
    app,
    jobs,
    url: address,
    async close() {
      ready = false;
      scheduler?.stop();
      await app.close();
      await jobs.close(options.graceMs);
      await options.connections.close();
      options.state.close();
    },
  };
}
