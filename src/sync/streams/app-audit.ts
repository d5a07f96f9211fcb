/**
 * What the directory audit log says changed about apps since a watermark: the service principals
 * whose app role assignments or owners were added or removed, and the principals restored from
 * deleted items (their assignments come back with them, maybe without an entry of their own).
 *
 * Graph v1.0 has no delta for assignments; `GET /auditLogs/directoryAudits` (AuditLog.Read.All) names
 * such changes, minutes late and with no published bound, so a read starts `overlap` before the
 * watermark and entries already applied are skipped by id. Which target is the resource is not
 * relied on: every service principal an entry names is read again (at most one app too many).
 */

import { assignmentEdge } from "../../directory/service-principals.ts";
import { GraphError } from "../../errors.ts";
import type { GraphPage } from "../../graph/types.ts";
import type { Checkpoint, Edge, StoredCheckpoint } from "../../store/types.ts";
import type { StreamContext } from "../context.ts";
import { count } from "../meter.ts";
import type { SyncOptions } from "../options.ts";
import { type RelatedRead, readRelated } from "../related.ts";
import type { Raw } from "../tracked-stream.ts";

/** Where the assignments pass keeps its position: the last full pass, the audit watermark, entries applied. */
export const ASSIGNMENTS_STREAM = "app-assignments";

/** How far before its watermark an audit read starts (entries arrive late): 15 min. */
export const AUDIT_OVERLAP_MS = 15 * 60_000;
/** How long entries stay readable: 7 days without a premium licence (30 with Entra ID P1). */
export const AUDIT_RETENTION_MS = 7 * 86_400_000;
/** The full re-list that catches what the audit log missed: once a day. */
export const ASSIGNMENTS_RELIST_MS = 86_400_000;
const RESTORED_SELECT = "id,appRoleId,principalId,principalType,resourceId";
/** Entry ids kept to skip what an overlapping read shows again; beyond it, apps are simply read again. */
const SEEN_MAX = 5_000;

export const ASSIGNMENT_ACTIVITIES = [
  "Add app role assignment grant to user",
  "Remove app role assignment from user",
  "Add app role assignment to group",
  "Remove app role assignment from group",
  "Add app role assignment to service principal",
  "Remove app role assignment from service principal",
] as const;
export const OWNER_ACTIVITIES = [
  "Add owner to service principal",
  "Remove owner from service principal",
] as const;
const RESTORE_ACTIVITIES: Record<string, string> = {
  "Restore user": "users",
  "Restore group": "groups",
  "Restore service principal": "servicePrincipals",
};

export interface AssignmentsPosition {
  /** Start of the last full pass (epoch ms). */
  readAt?: number;
  /** Audit entries up to here are applied (epoch ms). */
  auditedTo?: number;
  /** Ids of applied entries at or after `auditedTo - overlap`. */
  seen: string[];
}

export function readAssignmentsPosition(stored: StoredCheckpoint | undefined): AssignmentsPosition {
  if (stored?.version !== 1) return { seen: [] };
  const time = (value: unknown) => {
    const ms = typeof value === "string" ? Date.parse(value) : Number.NaN;
    return Number.isNaN(ms) ? undefined : ms;
  };
  const readAt = time(stored.data["readAt"]);
  const auditedTo = time(stored.data["auditedTo"]);
  const seen = stored.data["seen"];
  return {
    ...(readAt !== undefined ? { readAt } : {}),
    ...(auditedTo !== undefined ? { auditedTo } : {}),
    seen: Array.isArray(seen) ? seen.map(String) : [],
  };
}

export function assignmentsCheckpoint(position: AssignmentsPosition): Checkpoint {
  const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
  const data: Record<string, unknown> = { seen: position.seen };
  if (position.readAt !== undefined) data["readAt"] = iso(position.readAt);
  if (position.auditedTo !== undefined) data["auditedTo"] = iso(position.auditedTo);
  return { version: 1, data };
}

/**
 * How this incremental run learns assignment changes, the same for `sync` and `watch`: "full" re-lists
 * every app's assignments (no watermark yet, one older than the log keeps, or the daily re-list is
 * due); "audit" reads the log from `since`. A time in the future (a clock change) counts as unknown.
 */
export function planAssignments(
  position: AssignmentsPosition,
  options: Pick<SyncOptions, "appAssignmentsRelistMs" | "auditOverlapMs" | "auditRetentionMs">,
  now: number,
): { kind: "full" } | { kind: "audit"; since: number } {
  const { readAt, auditedTo } = position;
  const relist = options.appAssignmentsRelistMs ?? ASSIGNMENTS_RELIST_MS;
  const overlap = options.auditOverlapMs ?? AUDIT_OVERLAP_MS;
  const retention = options.auditRetentionMs ?? AUDIT_RETENTION_MS;
  if (readAt === undefined || readAt > now || now - readAt >= relist) return { kind: "full" };
  if (auditedTo === undefined || auditedTo > now) return { kind: "full" };
  const since = auditedTo - overlap;
  if (now - since >= retention) return { kind: "full" };
  return { kind: "audit", since };
}

export interface AuditedChanges {
  /** Apps whose assignments to read again. */
  assignments: Set<string>;
  /** Apps whose owners to read again. */
  owners: Set<string>;
  /** Ids of every entry read (the next read's `seen`). */
  entries: string[];
  /**
   * The assignments restored principals hold, read from their side: the store dropped them with the
   * principal, and no entry may name them (a restore may bring them back silently).
   */
  restored: Edge[];
}

/**
 * Reads the log from `since` (all pages, newest first) and collects what changed, skipping entries in
 * `seen`. Throws a GraphError when the log cannot be read (403 without AuditLog.Read.All).
 */
export async function auditedChanges(
  ctx: StreamContext,
  since: number,
  seen: ReadonlySet<string>,
): Promise<AuditedChanges> {
  const names = [...ASSIGNMENT_ACTIVITIES, ...OWNER_ACTIVITIES, ...Object.keys(RESTORE_ACTIVITIES)];
  const from = new Date(Math.floor(since / 1000) * 1000).toISOString().replace(".000Z", "Z");
  const filter = `activityDateTime ge ${from} and (${names.map((n) => `activityDisplayName eq '${n}'`).join(" or ")})`;
  const path = `/auditLogs/directoryAudits?$filter=${encodeURIComponent(filter)}&$top=999`;
  const out: AuditedChanges = { assignments: new Set(), owners: new Set(), entries: [], restored: [] };
  const restored: RelatedRead[] = [];
  let url = path;
  const pages = ctx.client.pages<Raw>(path, { signal: ctx.signal })[Symbol.asyncIterator]();
  for (;;) {
    let page: IteratorResult<GraphPage<Raw>>;
    try {
      page = await pages.next();
    } catch (err) {
      // A refused or failed read was still sent by this stream: counted here, not as the client's.
      if (err instanceof GraphError) count(ctx.meter, url);
      throw err;
    }
    if (page.done) break;
    count(ctx.meter, url);
    if (page.value.nextLink) url = page.value.nextLink;
    for (const entry of page.value.value) {
      const id = String(entry["id"]);
      out.entries.push(id);
      if (seen.has(id) || entry["result"] === "failure") continue;
      const activity = String(entry["activityDisplayName"]);
      const targets = Array.isArray(entry["targetResources"]) ? (entry["targetResources"] as Raw[]) : [];
      const apps = targets.filter((t) => t["type"] === "ServicePrincipal").map((t) => String(t["id"]));
      if ((ASSIGNMENT_ACTIVITIES as readonly string[]).includes(activity))
        for (const app of apps) out.assignments.add(app);
      else if ((OWNER_ACTIVITIES as readonly string[]).includes(activity))
        for (const app of apps) out.owners.add(app);
      else {
        const collection = RESTORE_ACTIVITIES[activity];
        const target = targets[0];
        if (!collection || !target) continue;
        const principalId = String(target["id"]);
        if (collection === "servicePrincipals") {
          out.assignments.add(principalId);
          out.owners.add(principalId);
        }
        restored.push({
          objectId: principalId,
          name: "assignments",
          path: `/${collection}/${principalId}/appRoleAssignments?$select=${RESTORED_SELECT}&$top=999`,
        });
      }
    }
  }
  // A restored principal's assignments come back with it (a user's read also shows its groups').
  const options = { concurrency: ctx.concurrency, signal: ctx.signal };
  for await (const result of readRelated(ctx.client, restored, ctx.meter, options)) {
    for (const item of result.items) {
      if (String(item["principalId"]) !== result.read.objectId) continue;
      out.restored.push(assignmentEdge(String(item["resourceId"]), item));
    }
  }
  return out;
}

/** The entry ids to keep for the next read (all of this one's, unless there are too many to carry). */
export function seenAfter(changes: AuditedChanges): string[] {
  return changes.entries.length <= SEEN_MAX ? changes.entries : [];
}

/** Whether the log could not be read because the app lacks AuditLog.Read.All (or the tenant a licence). */
export function auditForbidden(err: unknown): boolean {
  return err instanceof GraphError && err.httpStatus === 403;
}
