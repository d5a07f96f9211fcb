/** The `sync` job: one run of the library's sync for a service connection, with live figures. */
import { runSync } from "../sync/engine.ts";
import { parseKinds } from "../sync/options.ts";
import { recordBaselines } from "../triggers/baselines.ts";
import type { ConnectionRegistry } from "./connections.ts";
import type { JobHandler } from "./jobs.ts";

export interface SyncJobInput {
  full?: boolean;
  kinds?: string;
}

export function syncJob(connections: ConnectionRegistry): JobHandler {
  return async ({ job, signal, report }) => {
    const input = job.input as SyncJobInput;
    const connection = connections.get(job.connectionId);
    const { config } = connection;
    const graph = connection.graph().graph;
    const kinds = parseKinds(input.kinds ?? connection.kinds);
    const streams: Record<string, { phase: string; objects: number; changes: number }> = {};
    const store = await connection.openSyncStore();
    try {
      // As `watch`: a scope's first load is recorded as its baseline between syncs, so it fires nothing.
      await recordBaselines(store);
      const summary = await runSync({
        client: graph,
        store,
        tenantId: config.tenantId,
        options: {
          kinds,
          properties: config.properties,
          full: input.full === true,
          skipAdGroups: config.skipAdGroups,
        },
        signal,
        observer: {
          phase(stream, phase) {
            streams[stream] = { ...(streams[stream] ?? { objects: 0, changes: 0 }), phase };
            report({ streams });
          },
          page(stream, page) {
            const s = streams[stream] ?? { phase: "running", objects: 0, changes: 0 };
            streams[stream] = s;
            s.objects += page.objects;
            s.changes += page.changes;
            report({ streams });
          },
        },
      });
      await recordBaselines(store);
      return {
        status: summary.run.status,
        storeRunId: summary.run.id,
        run: summary.run,
        streams: summary.streams,
        warnings: summary.warnings,
        totals: summary.totals,
        durationMs: summary.durationMs,
      };
    } finally {
      await store.close();
    }
  };
}
