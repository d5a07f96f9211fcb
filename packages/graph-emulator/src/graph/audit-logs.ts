/**
 * GET /auditLogs/directoryAudits: the tenant's audit log (tenant/audit-log.ts), newest first as Graph
 * answers, with `$filter` (time, activity, category; `or` between them), `$top` (≤ 999) and
 * `@odata.nextLink`. Needs AuditLog.Read.All, which no directory permission implies (403 otherwise).
 * Knobs: `auditLagMs` (an entry shows that long after its change), `auditRetentionMs`, `auditFailStatus`.
 */
import { compileProjection, directoryAudits } from "../odata/index.ts";
import type { AuditEntry } from "../tenant/audit-log.ts";
import { parsedQuery } from "./collection.ts";
import { GraphError, graphErrors } from "./errors.ts";
import { collectionReply, pageOf } from "./respond.ts";
import type { Router } from "./router.ts";

export const AUDIT_PERMISSIONS = ["AuditLog.Read.All"] as const;

export function registerAuditLogRoutes(router: Router): void {
  router.add({
    method: "GET",
    path: "/auditLogs/directoryAudits",
    permissions: AUDIT_PERMISSIONS,
    handler: (ctx) => {
      const settings = ctx.services.faults.settings;
      if (settings.auditFailStatus !== 0) throw failure(settings.auditFailStatus);
      const now = ctx.now();
      const log = ctx.tenant.audit;
      log.prune(now - settings.auditRetentionMs);
      const { parsed } = parsedQuery(ctx, directoryAudits);
      const visibleUntil = now - settings.auditLagMs;
      const predicate = parsed.filter?.predicate;
      const selected: AuditEntry[] = [];
      const entries = log.entries;
      for (let i = entries.length - 1; i >= 0; i--) {
        const entry = entries[i] as AuditEntry;
        if (entry.at > visibleUntil) continue;
        if (predicate && !predicate(entry)) continue;
        selected.push(entry);
      }
      const seqOf = new Map(selected.map((e) => [e.id, e.seq]));
      // Newest first; paging by the entry's sequence keeps a page boundary stable while entries arrive.
      const page = pageOf(ctx, selected, {
        pageSize: parsed.top ?? directoryAudits.pageSize.default,
        sorted: false,
        ordinal: (id) => -(seqOf.get(id) ?? 0),
      });
      const project = compileProjection(directoryAudits, parsed.select);
      return collectionReply(ctx, "auditLogs/directoryAudits", {
        items: page.items.map(project),
        ...(page.nextLink ? { nextLink: page.nextLink } : {}),
      });
    },
  });
}

function failure(status: number): GraphError {
  if (status === 503) return graphErrors.serviceUnavailable();
  if (status === 500) return graphErrors.internal();
  if (status === 403) return graphErrors.forbidden();
  return new GraphError(status, "UnknownError", "The audit log could not be read.");
}
