/**
 * `startService`: the long-running connector in one process — HTTP API, the in-process job runner
 * and its connections — on the same library the CLI uses. `close` stops accepting requests, asks
 * running syncs to stop at their next page (each keeps its checkpoint) and waits up to the grace period.
 */
import { readFileSync } from "node:fs";
import { createSecureContext } from "node:tls";
import type { FastifyInstance } from "fastify";
import { isLoopbackHost } from "../config/listen.ts";
import type { QueueSettings } from "../config/load.ts";
import { createError } from "../errors.ts";
import type { Logger } from "../log/logger.ts";
import { buildApp } from "./app.ts";
import { type ConnectionAdminOptions, connectionAdmin, followConnections } from "./connection-admin.ts";
import type { ConnectionRegistry, ServiceConnection } from "./connections.ts";
import { createLocalJobs, type JobHandler, type JobRecord, type Jobs } from "./jobs.ts";
import { type MappingSchedules, runAfterSync, startMappingSchedules } from "./mapping-schedules.ts";
import { MAPPING_JOB, mappingJob } from "./mappings.ts";
import { createMetrics } from "./metrics.ts";
import { createQueueJobs } from "./queue-jobs.ts";
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
  /** Serve https with these PEM files. */
  tls?: { certFile: string; keyFile: string } | undefined;
  /** Reverse proxies whose X-Forwarded-For names the client. */
  trustProxy?: string[];
  /** Plain http beyond loopback without a trusted proxy (refused otherwise). */
  allowInsecureListen?: boolean;
  /** Webhook delivery: retries, dead letters, timeout, poll (default: as `watch`). */
  triggers?: Partial<TriggerSettings>;
  /** What managed connections need: the secret box key, the service's settings, the state folder, the public URL. */
  managed: Omit<ConnectionAdminOptions, "state" | "registry" | "busy" | "publicUrl"> & {
    /** Default: the address the service listens on. */
    publicUrl?: string | undefined;
  };
  /** all (default): API and jobs; api: the API, jobs go to the queue; worker: jobs from the queue. */
  role?: "all" | "api" | "worker";
  /** Jobs this process runs at once. */
  jobConcurrency?: number;
  /** A queue shared with other processes; without one, jobs run in this process. */
  queue?: QueueSettings;
  /** How often a shared (PostgreSQL) state is checked for connections other processes changed (default 3 s). */
  followConnectionsMs?: number;
}

export interface RunningService {
  app: FastifyInstance;
  jobs: Jobs;
  /** `http://host:port` as bound. */
  url: string;
  close(): Promise<void>;
}

export async function startService(options: ServiceOptions): Promise<RunningService> {
  checkExposure(options);
  const https = options.tls ? readTls(options.tls) : undefined;
  const metrics = createMetrics();
  let ready = false;
  let scheduler: Scheduler | undefined;
  let mappingSchedules: MappingSchedules | undefined;
  const role = options.role ?? "all";
  const triggers = createServiceTriggers({
    connections: options.connections,
    jobs: () => jobs,
    metrics,
    logger: options.logger,
    ...(options.triggers ? { settings: options.triggers } : {}),
  });
  const onEnd = (job: JobRecord) => {
    metrics.jobEnded(job);
    // What the sync committed goes out now, not at the next poll.
    if (job.kind === "sync" && ready) {
      triggers
        .wake(job.connectionId)
        .catch((err: unknown) =>
          options.logger.error({ connection: job.connectionId, err }, "delivery could not be queued"),
        );
    }
    if (job.kind === "sync" && job.status === "succeeded" && ready) {
      runAfterSync(jobs, options.connections, job.connectionId).catch((err: unknown) =>
        options.logger.error({ connection: job.connectionId, err }, "mapping runs after the sync not queued"),
      );
    }
    options.logger.info(
      { jobId: job.id, kind: job.kind, connection: job.connectionId, status: job.status },
      "job ended",
    );
  };
  const follower = followConnections({
    ...options.managed,
    state: options.state,
    registry: options.connections,
    everyMs: options.followConnectionsMs ?? 3000,
    onError: (connection, err) =>
      options.logger.error({ connection, err }, "connections changed elsewhere not taken up"),
  });
  // A job may name a connection created or changed on another process since the last check.
  const current =
    (handler: JobHandler): JobHandler =>
    async (context) => {
      await follower.refresh();
      return handler(context);
    };
  const handlers: Record<string, JobHandler> =
    role === "api"
      ? {}
      : {
          sync: current(syncJob(options.connections)),
          [DELIVER_JOB]: current(triggers.deliverJob),
          [MAPPING_JOB]: current(mappingJob((id) => options.connections.get(id))),
        };
  const jobs: Jobs = options.queue
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
    mappingSchedules: {
      next: (id, name) => mappingSchedules?.next(id, name),
      refresh: async (id) => mappingSchedules?.refresh(id),
    },
    state: options.state,
    connections: options.connections,
    admin,
    jobs,
    metrics,
    triggers,
    logger: options.logger,
    version: options.version,
    metricsOpen: options.metricsOpen,
    server: {
      ...(https ? { https } : {}),
      ...(options.trustProxy ? { trustProxy: options.trustProxy } : {}),
    },
    ready: () => ready,
    role,
  });
  const { host, port } = options.listen;
  try {
    address = await app.listen({ host, port });
  } catch (err) {
    follower.stop();
    await app.close();
    await jobs.close(0);
    throw createError("SERVICE_LISTEN_FAILED", {
      address: `${host}:${port}`,
      reason: (err as Error).message,
    });
  }
  // A connection never synced is due at once; otherwise at the slot after its last run.
  const lastRunAt = async (c: ServiceConnection) => {
    const [last] = await (await c.queries()).runs.list({ limit: 1 });
    return last === undefined ? undefined : new Date(last.startedAt);
  };
  // Schedules belong to the processes that take requests; a worker only works what they queue.
  const entries = await Promise.all(
    options.connections
      .list()
      .filter((c) => c.schedule !== undefined && role !== "worker")
      .map(async (c) => ({ connectionId: c.id, schedule: c.schedule!, lastRunAt: await lastRunAt(c) })),
  );
  scheduler = startScheduler({
    jobs,
    entries,
    events: {
      fired: (connection, runId, slot, at) => {
        metrics.scheduleFired(connection, slot, at);
        options.logger.info({ connection, runId }, "scheduled sync started");
      },
      skipped: (connection, runId) =>
        options.logger.info({ connection, runId }, "scheduled sync skipped: the previous one still runs"),
      elsewhere: (connection, slot) =>
        options.logger.debug({ connection, slot }, "scheduled sync submitted by another replica"),
      failed: (connection, err) =>
        options.logger.error({ connection, err }, "scheduled sync could not be queued"),
    },
  });
  if (role !== "worker") {
    mappingSchedules = await startMappingSchedules({
      jobs,
      connections: options.connections,
      logger: options.logger,
    });
  }
  const stopPolling = role === "worker" ? () => {} : triggers.startPolling();
  // Connections added, changed or removed at runtime: the schedule follows.
  options.connections.onChange((connectionId, c) => {
    if (role === "worker") return;
    if (c?.schedule === undefined) scheduler?.set(connectionId, undefined, undefined);
    else
      lastRunAt(c).then(
        // Unless it was replaced or removed meanwhile.
        (at) => options.connections.list().includes(c) && scheduler?.set(connectionId, c.schedule, at),
        (err: unknown) => options.logger.error({ connection: connectionId, err }, "schedule not updated"),
      );
  });
  ready = true;
  return {
    app,
    jobs,
    url: address!,
    async close() {
      ready = false;
      follower.stop();
      scheduler?.stop();
      mappingSchedules?.stop();
      stopPolling();
      await app.close();
      await jobs.close(options.graceMs);
      await options.connections.close();
      await options.state.close();
    },
  };
}

/**
 * Beyond loopback, API tokens and directory data would cross the network: only over https, or behind
 * a proxy the service trusts (which terminates TLS), unless the operator says the network is trusted.
 */
function checkExposure(options: ServiceOptions): void {
  const { host } = options.listen;
  if (isLoopbackHost(host) || options.tls || options.trustProxy?.length || options.allowInsecureListen)
    return;
  throw createError("CONFIG_INVALID", {
    field: "--listen",
    problem: `${host} is reachable from other machines and the service would answer plain http, so API tokens would cross the network in clear; serve https with --tls-cert and --tls-key (ENTRA_TLS_CERT, ENTRA_TLS_KEY), or name the TLS-terminating proxy in front of it with --trust-proxy (ENTRA_TRUST_PROXY), or pass --allow-insecure-listen (ENTRA_ALLOW_INSECURE_LISTEN=true) on a network you trust`,
  });
}

function readTls(files: { certFile: string; keyFile: string }): { cert: Buffer; key: Buffer } {
  const read = (path: string, field: string, what: string) => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw createError("CONFIG_INVALID", {
        field,
        problem: `${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"}); give the path of the ${what}`,
      });
    }
  };
  const tls = {
    cert: read(files.certFile, "--tls-cert", "PEM certificate file"),
    key: read(files.keyFile, "--tls-key", "PEM private key file"),
  };
  try {
    // Checked here so a wrong pair is named before the service starts, not as a listen failure.
    createSecureContext(tls);
  } catch (err) {
    throw createError("CONFIG_INVALID", {
      field: "--tls-cert",
      problem: `${files.certFile} and ${files.keyFile} are not a PEM certificate and its private key (${(err as Error).message}); give the certificate chain and the key that belongs to it`,
    });
  }
  return tls;
}
