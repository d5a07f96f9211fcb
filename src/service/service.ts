/**
 * `startService`: the long-running connector in one process — HTTP API, the in-process job runner
 * and its connections — on the same library the CLI uses. `close` stops accepting requests, asks
 * running syncs to stop at their next page (each keeps its checkpoint) and waits up to the grace period.
 */
import type { FastifyInstance } from "fastify";
import { createError } from "../errors.ts";
import type { Logger } from "../log/logger.ts";
import { buildApp } from "./app.ts";
import { type ConnectionAdminOptions, connectionAdmin } from "./connection-admin.ts";
import type { ConnectionRegistry } from "./connections.ts";
import { createLocalJobs, type Jobs } from "./jobs.ts";
import { createMetrics } from "./metrics.ts";
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
  /** What managed connections need: the secret box key, the service's settings, the state folder, the public URL. */
  managed: Omit<ConnectionAdminOptions, "state" | "registry" | "busy" | "publicUrl"> & {
    /** Default: the address the service listens on. */
    publicUrl?: string | undefined;
  };
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
  const jobs = createLocalJobs({
    handlers: { sync: syncJob(options.connections) },
    onEnd: (job) => {
      metrics.jobEnded(job);
      options.logger.info(
        { jobId: job.id, kind: job.kind, connection: job.connectionId, status: job.status },
        "job ended",
      );
    },
  });
  let address: string | undefined;
  const admin = connectionAdmin({
    ...options.managed,
    publicUrl: () => options.managed.publicUrl ?? address,
    state: options.state,
    registry: options.connections,
    busy: async (id) => (await jobs.active(id, "sync"))?.id,
  });
  const { app } = buildApp({
    nextRun: (id) => scheduler?.next(id),
    state: options.state,
    connections: options.connections,
    admin,
    jobs,
    metrics,
    logger: options.logger,
    version: options.version,
    metricsOpen: options.metricsOpen,
    ready: () => ready,
  });
  const { host, port } = options.listen;
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
  // Connections added, changed or removed at runtime: the schedule follows, its next slot counted from now.
  options.connections.onChange((connectionId, c) =>
    scheduler?.set(connectionId, c?.schedule, c === undefined ? undefined : new Date()),
  );
  ready = true;
  return {
    app,
    jobs,
    url: address!,
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
