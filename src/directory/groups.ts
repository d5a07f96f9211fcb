/**
 * Groups, their direct members and owners.
 *
 * Groups delta quirk (docs/graph.md#delta-queries): a large group is split across pages — the same group
 * appears on consecutive pages (and sometimes twice on one page), each time with a slice of its
 * `members@delta`. Fragments after the first may carry only `id` and members. `mergeGroupFragments`
 * folds one page's fragments into one entry per group; across pages nothing needs holding, because
 * member deltas are applied as additions and removals, never as a replacement of the whole set.
 */
import type { Edge, Resource } from "../store/types.ts";
import { type RemovedReason, removedReason } from "./delta-items.ts";
import { normalise, objectType, type PropertySpec } from "./properties.ts";

export const GROUP_PROPERTIES: readonly PropertySpec[] = [
  { name: "displayName" },
  { name: "description" },
  { name: "mail" },
  { name: "mailEnabled" },
  { name: "mailNickname" },
  { name: "securityEnabled" },
  { name: "groupTypes", collection: true },
  { name: "membershipRule" },
  { name: "membershipRuleProcessingState" },
  { name: "onPremisesSyncEnabled" },
  { name: "visibility" },
  { name: "createdDateTime" },
];

export const GROUP_REQUIRED: readonly string[] = ["displayName", "groupTypes", "onPremisesSyncEnabled"];

export function groupResource(raw: Record<string, unknown>, props: readonly PropertySpec[]): Resource {
  return { kind: "group", id: String(raw["id"]), data: normalise(raw, props) };
}

/** Synced from on-premises AD: skipped when ENTRA_SKIP_AD_GROUPS is set. */
export function isOnPremisesGroup(raw: Record<string, unknown>): boolean {
  return raw["onPremisesSyncEnabled"] === true;
}

export function memberEdge(groupId: string, member: Record<string, unknown>): Edge {
  return {
    relation: "group:member",
    objectId: groupId,
    principalId: String(member["id"]),
    principalType: objectType(member),
  };
}

export function ownerEdge(groupId: string, owner: Record<string, unknown>): Edge {
  return {
    relation: "group:owner",
    objectId: groupId,
    principalId: String(owner["id"]),
    principalType: objectType(owner),
  };
}

/** One group's changes on one delta page, fragments merged. */
export interface GroupDelta {
  id: string;
  removed?: RemovedReason;
  /** The group's properties when a fragment carried them (absent for members-only fragments). */
  object?: Record<string, unknown>;
  /** Member id → directoryObject type, for members added. */
  added: Map<string, string>;
  removedMembers: Set<string>;
}

const ANNOTATION_KEYS = new Set(["id", "@odata.type", "members@delta", "owners@delta", "@removed"]);

/** Whether a delta fragment carries group properties (null scalars are omitted in delta, displayName never is). */
function carriesProperties(raw: Record<string, unknown>): boolean {
  return Object.keys(raw).some((k) => !ANNOTATION_KEYS.has(k));
}

/** Folds a delta page's group fragments into one entry per group, in first-seen order; later fragments win. */
export function mergeGroupFragments(values: readonly Record<string, unknown>[]): GroupDelta[] {
  const byId = new Map<string, GroupDelta>();
  for (const raw of values) {
    const id = String(raw["id"]);
    let entry = byId.get(id);
    if (!entry) {
      entry = { id, added: new Map(), removedMembers: new Set() };
      byId.set(id, entry);
    }
    const removed = removedReason(raw);
    if (removed) {
      entry.removed = removed;
      entry.object = undefined;
      continue;
    }
    if (carriesProperties(raw)) {
      entry.removed = undefined;
      entry.object = raw;
    }
    const members = raw["members@delta"];
    if (!Array.isArray(members)) continue;
    for (const m of members as Record<string, unknown>[]) {
      const memberId = String(m["id"]);
      if (removedReason(m)) {
        entry.added.delete(memberId);
        entry.removedMembers.add(memberId);
      } else {
        entry.removedMembers.delete(memberId);
        entry.added.set(memberId, objectType(m));
      }
    }
  }
  return [...byId.values()];
}
