/**
 * `startService`: the long-running connector in one process — HTTP API, the in-process job runner
 * and its connections — on the same library the CLI uses. `close` stops accepting requests, asks
 * running syncs to stop at their next page (each keeps its checkpoint) and waits up to the grace period.
 */
import type { FastifyInstance } from "fastify";
import { createError } from "../errors.ts";
import type { Logger } from "../log/logger.ts";
import { buildApp } from "./app.ts";
import type { ConnectionRegistry } from "./connections.ts";
import { createLocalJobs, type Jobs } from "./jobs.ts";
import { createMetrics } from "./metrics.ts";
import { type Scheduler, startScheduler } from "./scheduler.ts";
import type { ServiceState } from "./state.ts";
import { syncJob } from "./sync-job.ts";
import { createServiceTriggers, DELIVER_JOB, type TriggerSettings } from "./triggers.ts";

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
  /** Webhook delivery: retries, dead letters, timeout, poll (default: as `watch`). */
  triggers?: Partial<TriggerSettings>;
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
  const triggers = createServiceTriggers({
    connections: options.connections,
    jobs: () => jobs,
    metrics,
    logger: options.logger,
    ...(options.triggers ? { settings: options.triggers } : {}),
  });
  const jobs: Jobs = createLocalJobs({
    handlers: { sync: syncJob(options.connections), [DELIVER_JOB]: triggers.deliverJob },
    onEnd: (job) => {
      metrics.jobEnded(job);
      // What the sync committed goes out now, not at the next poll.
      if (job.kind === "sync" && ready) {
        triggers
          .wake(job.connectionId)
          .catch((err: unknown) =>
            options.logger.error({ connection: job.connectionId, err }, "delivery could not be queued"),
          );
      }
      options.logger.info(
        { jobId: job.id, kind: job.kind, connection: job.connectionId, status: job.status },
        "job ended",
      );
    },
  });
  const { app } = buildApp({
    nextRun: (id) => scheduler?.next(id),
    state: options.state,
    connections: options.connections,
    jobs,
    metrics,
    triggers,
    logger: options.logger,
    version: options.version,
    metricsOpen: options.metricsOpen,
    ready: () => ready,
  });
  const { host, port } = options.listen;
  let address: string;
  try {
    address = await app.listen({ host, port });
  } catch (err) {
    await app.close();
    throw createError("SERVICE_LISTEN_FAILED", {
      address: `${host}:${port}`,
      reason: (err as Error).message,
    });
  }
  const entries = await Promise.all(
    options.connections
      .list()
      .filter((c) => c.schedule !== undefined)
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
  const stopPolling = triggers.startPolling();
  ready = true;
  return {
    app,
    jobs,
    url: address,
    async close() {
      ready = false;
      scheduler?.stop();
      stopPolling();
      await app.close();
      await jobs.close(options.graceMs);
      await options.connections.close();
      options.state.close();
    },
  };
}
