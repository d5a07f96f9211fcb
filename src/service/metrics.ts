/** The service's Prometheus metrics, on a registry of its own (two services in one process stay apart). */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { JobRecord } from "./jobs.ts";

export interface ServiceMetrics {
  registry: Registry;
  httpDuration: Histogram<"method" | "route" | "status">;
  /**
   * Records a finished job: sync runs by result, durations, objects, changes and Graph spending;
   * mapping runs by result and their records by action.
   */
  jobEnded(job: JobRecord): void;
  /** One webhook delivery attempt: delivered, retrying (failed, tried again) or failed (dead-lettered). */
  deliveryAttempted(connection: string, status: "delivered" | "retrying" | "failed"): void;
  /** How far the slowest subscription is behind the outbox, and the dead letters held. */
  triggerBacklog(connection: string, backlog: { outboxLag: number; deadLetters: number }): void;
  /** A scheduled sync submitted at `at` for its `slot`: how late it was. */
  scheduleFired(connection: string, slot: Date, at: Date): void;
}

export function createMetrics(): ServiceMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "entra_connector_" });
  const httpDuration = new Histogram({
    name: "entra_connector_http_request_duration_seconds",
    help: "HTTP request durations by route and status",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const runs = new Counter({
    name: "entra_connector_sync_runs_total",
    help: "Sync runs by connection and result",
    labelNames: ["connection", "result"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "entra_connector_sync_duration_seconds",
    help: "Sync run durations",
    labelNames: ["connection"] as const,
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800],
    registers: [registry],
  });
  const counter = (name: string, help: string) =>
    new Counter({ name, help, labelNames: ["connection"] as const, registers: [registry] });
  const objects = counter("entra_connector_sync_objects_total", "Objects read by syncs");
  const changes = counter("entra_connector_sync_changes_total", "Changes syncs found");
  const requests = counter("entra_connector_graph_requests_total", "Graph requests syncs sent");
  const units = counter("entra_connector_graph_resource_units_total", "Graph resource units syncs spent");
  const waits = counter(
    "entra_connector_graph_throttle_wait_seconds_total",
    "Time syncs waited for Graph's budget",
  );
  const deliveries = new Counter({
    name: "entra_connector_trigger_deliveries_total",
    help: "Webhook delivery attempts by connection and result (delivered, retrying, failed = dead-lettered)",
    labelNames: ["connection", "result"] as const,
    registers: [registry],
  });
  const gauge = (name: string, help: string) =>
    new Gauge({ name, help, labelNames: ["connection"] as const, registers: [registry] });
  const outboxLag = gauge(
    "entra_connector_trigger_outbox_lag",
    "Outbox entries the furthest-behind webhook subscription has yet to read",
  );
  const deadLetters = gauge(
    "entra_connector_trigger_dead_letters",
    "Dead-lettered events held, all subscriptions",
  );
  const scheduleLag = new Histogram({
    name: "entra_connector_schedule_lag_seconds",
    help: "How late each scheduled sync was submitted after its slot",
    labelNames: ["connection"] as const,
    buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
    registers: [registry],
  });
  const mappingRuns = new Counter({
    name: "entra_connector_mapping_runs_total",
    help: "Mapping runs (dry runs left out) by connection, mapping and result",
    labelNames: ["connection", "mapping", "result"] as const,
    registers: [registry],
  });
  const mappingRecords = new Counter({
    name: "entra_connector_mapping_records_total",
    help: "Records mapping runs worked on, by action (create, update, disable, delete, skip) and result (ok, failed, held)",
    labelNames: ["connection", "mapping", "action", "result"] as const,
    registers: [registry],
  });
  const mappingEnded = (job: JobRecord) => {
    const result = job.result ?? {};
    if (result["dryRun"] === true) return;
    const connection = job.connectionId;
    const mapping = String(job.input["mapping"] ?? "");
    const run = result["run"] as { status?: string } | undefined;
    mappingRuns.inc({ connection, mapping, result: run?.status ?? job.status });
    for (const [key, n] of Object.entries((result["counts"] ?? {}) as Record<string, number>)) {
      const [action = key, outcome = "ok"] = key.split(".");
      mappingRecords.inc({ connection, mapping, action, result: outcome }, n);
    }
  };
  return {
    registry,
    scheduleFired(connection, slot, at) {
      scheduleLag.observe({ connection }, (at.getTime() - slot.getTime()) / 1000);
    },
    httpDuration,
    deliveryAttempted(connection, result) {
      deliveries.inc({ connection, result });
    },
    triggerBacklog(connection, backlog) {
      outboxLag.set({ connection }, backlog.outboxLag);
      deadLetters.set({ connection }, backlog.deadLetters);
    },
    jobEnded(job) {
      if (job.kind === "mapping") mappingEnded(job);
      if (job.kind !== "sync") return;
      const connection = job.connectionId;
      runs.inc({ connection, result: job.status });
      if (job.startedAt && job.endedAt) {
        duration.observe({ connection }, (Date.parse(job.endedAt) - Date.parse(job.startedAt)) / 1000);
      }
      const stats = (job.result?.["run"] as { stats?: Record<string, Record<string, number>> } | undefined)
        ?.stats;
      for (const s of Object.values(stats ?? {})) {
        objects.inc({ connection }, s["objects"] ?? 0);
        changes.inc({ connection }, s["changes"] ?? 0);
        requests.inc({ connection }, s["requests"] ?? 0);
        units.inc({ connection }, s["resourceUnits"] ?? 0);
        waits.inc({ connection }, (s["throttleWaitMs"] ?? 0) / 1000);
      }
    },
  };
}
