/**
 * What a page changes, decided without a database: every adapter reads the rows a page names, asks
 * these functions what to write and which events that causes, and writes it its own way. Keeping the
 * decisions here is what makes the adapters report exactly the same changes for the same pages.
 */
import { propertyChanges } from "./changes.ts";
import { entitlementOf, objectKindOf } from "./model.ts";
import type { ChangeEvent, Deletion, Edge, PageInput, Relation, Resource, ResourceKind } from "./types.ts";

/** An event before the outbox gives it its seq, id and run. */
export type NewEvent = Omit<ChangeEvent, "seq" | "id" | "detectedAt" | "runId" | "tenantId">;

/** An edge as read back, with Graph ids. */
export interface EdgeRow {
  relation: Relation;
  object_id: string;
  principal_id: string;
  qualifier: string;
  principal_type: string;
}

export interface EdgeKey {
  relation: Relation;
  objectId: string;
  principalId: string;
  qualifier: string;
}

/** A stored object as change detection needs it: its JSON text and whether it is a tombstone. */
export interface StoredObject {
  data: string;
  deletedAt: string | null;
}

export type UpsertOutcome =
  /** Not stored (or unreadable): insert it, `created`. */
  | { write: "insert"; data: Record<string, unknown>; json: string; event: NewEvent }
  /** Stored with the same data: only the round mark may change. */
  | { write: "none" }
  /** Stored and different (or a tombstone): replace it; the event, when there is one, says how. */
  | { write: "update"; data: Record<string, unknown>; json: string; event?: NewEvent };

/** How an upsert changes what the store holds (`stored` undefined when it holds nothing). */
export function upsertOutcome(
  resource: Resource,
  stored: StoredObject | undefined,
  merge: boolean,
): UpsertOutcome {
  const { kind, id } = resource;
  const before = stored ? (JSON.parse(stored.data) as Record<string, unknown>) : undefined;
  const given = "id" in resource.data ? resource.data : { id, ...resource.data };
  const data = merge && before ? { ...before, ...given } : given;
  const json = JSON.stringify(data);
  if (!stored || !before) {
    return { write: "insert", data, json, event: { type: "created", kind, resourceId: id, data } };
  }
  if (stored.deletedAt === null && stored.data === json) return { write: "none" };
  if (stored.deletedAt !== null) {
    // Restored from deleted items: for consumers it exists again.
    return { write: "update", data, json, event: { type: "created", kind, resourceId: id, data } };
  }
  const changes = propertyChanges(before, data);
  return {
    write: "update",
    data,
    json,
    ...(changes.length > 0 ? { event: { type: "updated", kind, resourceId: id, data, changes } } : {}),
  };
}

export type DeleteWrite =
  | { type: "none" }
  /** Not stored: keep deleted items' copy as a tombstone (see Deletion.data). */
  | { type: "insert-tombstone"; json: string }
  /** Replace the stored object by deleted items' copy, marked deleted. */
  | { type: "tombstone"; json: string }
  /** Mark deleted, keeping the data. */
  | { type: "soft" }
  | { type: "hard" };

export interface DeleteOutcome {
  write: DeleteWrite;
  event?: NewEvent;
  /** Whether the object's relationships go with it (it was live until now). */
  cascade: boolean;
}

export function deleteOutcome(
  kind: ResourceKind,
  id: string,
  stored: StoredObject | undefined,
  deletion: Pick<Deletion, "soft" | "data">,
): DeleteOutcome {
  const soft = deletion.soft === true;
  const kept = deletion.data;
  const tombstone = soft && kept ? ("id" in kept ? kept : { id, ...kept }) : undefined;
  if (!stored) {
    // Nobody was told it existed, so its deletion is no news either (see Deletion.data).
    return {
      write: tombstone ? { type: "insert-tombstone", json: JSON.stringify(tombstone) } : { type: "none" },
      cascade: false,
    };
  }
  const alreadyDeleted = stored.deletedAt !== null;
  const write: DeleteWrite = tombstone
    ? { type: "tombstone", json: JSON.stringify(tombstone) }
    : soft
      ? { type: "soft" }
      : { type: "hard" };
  // A soft-deleted object purged later is news (no longer restorable); soft-deleting it again is not.
  if (alreadyDeleted && soft) return { write, cascade: false };
  const data = { ...(tombstone ?? (JSON.parse(stored.data) as Record<string, unknown>)) };
  // Graph's own annotation: "changed" = soft-deleted and restorable, "deleted" = gone for good.
  data["@removed"] = { reason: soft ? "changed" : "deleted" };
  return { write, event: { type: "deleted", kind, resourceId: id, data }, cascade: !alreadyDeleted };
}

/**
 * The principal type an added edge may record over a stored one: a type learnt later replaces a
 * generic one (role holders stored as directoryObject before their real type was read); a generic one
 * never overwrites what is known (null).
 */
export function learntPrincipalType(principalType: string): string | null {
  return principalType === "unknown" || principalType === "directoryObject" ? null : principalType;
}

export function edgeEvent(type: "added" | "removed", key: EdgeKey, principalType: string): NewEvent {
  return {
    type,
    kind: objectKindOf(key.relation),
    resourceId: key.objectId,
    data: {
      relation: key.relation,
      entitlement: entitlementOf(key.relation, key.qualifier),
      principalId: key.principalId,
      principalType,
      qualifier: key.qualifier,
    },
  };
}

export function keyOf(edge: Edge): EdgeKey {
  return {
    relation: edge.relation,
    objectId: edge.objectId,
    principalId: edge.principalId,
    qualifier: edge.qualifier ?? "",
  };
}

export function keyOfRow(row: EdgeRow): EdgeKey {
  return {
    relation: row.relation,
    objectId: row.object_id,
    principalId: row.principal_id,
    qualifier: row.qualifier,
  };
}

export function edgeId(edge: Edge | EdgeKey): string {
  return JSON.stringify([edge.relation, edge.objectId, edge.principalId, edge.qualifier ?? ""]);
}

/** The operations of a page in the order they apply, with what a page both writes and removes kept. */
export interface PageOperations {
  deletes: Deletion[];
  upserts: Resource[];
  removes: Edge[];
  adds: Edge[];
}

export function pageOperations(page: PageInput): PageOperations {
  // Skipping the removal of what the page also writes, instead of removing then re-adding, keeps a
  // re-applied page free of events.
  const upserted = new Set((page.upserts ?? []).map((r) => `${r.kind}/${r.id}`));
  const added = new Set((page.edges?.add ?? []).map(edgeId));
  return {
    deletes: (page.deletes ?? []).filter((d) => !upserted.has(`${d.kind}/${d.id}`)),
    upserts: lastWriteWins(page.upserts ?? [], page.merge === true),
    removes: (page.edges?.remove ?? []).filter((e) => !added.has(edgeId(e))),
    adds: page.edges?.add ?? [],
  };
}

/**
 * One write per object: a page naming an object twice (a split group re-sent on one page) counts as
 * its final state, so re-applying the page is a no-op rather than a replay of the intermediate one.
 */
function lastWriteWins(upserts: Resource[], merge: boolean): Resource[] {
  const byKey = new Map<string, Resource>();
  for (const r of upserts) {
    const key = `${r.kind}/${r.id}`;
    const before = byKey.get(key);
    byKey.set(key, merge && before ? { ...r, data: { ...before.data, ...r.data } } : r);
  }
  return [...byKey.values()];
}
