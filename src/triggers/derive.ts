/**
 * From the store's change events to trigger events: pure. The store decides created vs updated and
 * soft vs permanent deletion (Graph says neither); here each change becomes the events it means.
 */
import { createHash } from "node:crypto";
import type { ChangeEvent, Relation } from "../store/types.ts";
import type { TriggerEvent, TriggerType } from "./types.ts";

type EdgeTypes = { added: TriggerType; removed: TriggerType };

/** Relationship events by relation; `app:owner` has no trigger. */
const EDGE_TYPES: Partial<Record<Relation, EdgeTypes>> = {
  "group:member": { added: "group.member.added", removed: "group.member.removed" },
  "group:owner": { added: "group.owner.added", removed: "group.owner.removed" },
  "license:assigned": { added: "user.license.assigned", removed: "user.license.removed" },
  "role:assigned": { added: "role.assigned", removed: "role.removed" },
  "role:eligible": { added: "role.assigned", removed: "role.removed" },
  "app:assigned": { added: "app.assigned", removed: "app.removed" },
};

/**
 * The trigger events one change causes, in a fixed order (an update first, then what it implies).
 *
 * @example deriveEvents(change).map((e) => e.type) // ["user.updated", "user.disabled"]
 */
export function deriveEvents(change: ChangeEvent): TriggerEvent[] {
  if (change.type === "added" || change.type === "removed") return edgeEvents(change);
  if (change.kind !== "user" && change.kind !== "group") return [];
  const kind = change.kind;
  if (change.type === "created") return [event(change, `${kind}.created`, change.data)];
  if (change.type === "deleted") {
    const { "@removed": removed, ...data } = change.data;
    const reason = (removed as { reason?: string } | undefined)?.reason;
    return [
      { ...event(change, `${kind}.deleted`, data), deletion: reason === "changed" ? "soft" : "permanent" },
    ];
  }
  const changes: NonNullable<TriggerEvent["changes"]> = {};
  for (const c of change.changes ?? []) changes[c.property] = { old: c.old, new: c.new };
  const out: TriggerEvent[] = [{ ...event(change, `${kind}.updated`, change.data), changes }];
  const enabled = changes["accountEnabled"];
  if (kind === "user" && enabled && enabled.new !== enabled.old) {
    // Graph leaves accountEnabled out when null; only a real true/false flip counts.
    if (enabled.new === false) out.push(event(change, "user.disabled", change.data));
    if (enabled.new === true && enabled.old === false) out.push(event(change, "user.enabled", change.data));
  }
  return out;
}

function edgeEvents(change: ChangeEvent): TriggerEvent[] {
  const relation = change.data["relation"] as Relation;
  const types = EDGE_TYPES[relation];
  if (!types) return [];
  const principalId = String(change.data["principalId"]);
  const data: Record<string, unknown> = {
    relation,
    entitlement: change.data["entitlement"],
    objectKind: change.kind,
    objectId: change.resourceId,
    principalId,
    principalType: change.data["principalType"],
  };
  if (change.data["qualifier"]) data["qualifier"] = change.data["qualifier"];
  const e = event(change, types[change.type as "added" | "removed"], data);
  // A licence is the user's: the event is about the user, the SKU is in `data.objectId`.
  if (relation === "license:assigned") e.resource = { kind: "user", id: principalId };
  return [e];
}

function event(change: ChangeEvent, type: TriggerType, data: Record<string, unknown>): TriggerEvent {
  return {
    id: eventId(change.id, type),
    type,
    detectedAt: change.detectedAt,
    tenantId: change.tenantId,
    resource: { kind: change.kind, id: change.resourceId },
    data,
    runId: change.runId,
    seq: change.seq,
  };
}

/** A UUID-shaped id derived from the outbox entry's id and the type: the same on every delivery. */
export function eventId(changeId: string, type: string): string {
  const h = createHash("sha256").update(`${changeId}\n${type}`).digest("hex");
  const variant = ((Number.parseInt(h[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
