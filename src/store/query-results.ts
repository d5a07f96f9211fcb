/**
 * Query answers built the same way whatever the database: effective grants from an adapter's edge
 * reads, the undoing of events for a backwards diff, and the ambiguous-name error.
 */
import { type ConnectorError, createError } from "../errors.ts";
import { type Member, transitiveGroups, transitiveMembers } from "./grants.ts";
import { entitlementOf, inheritsThroughGroups, objectKindOf } from "./model.ts";
import type { EdgeRow } from "./page-changes.ts";
import type { ChangeEvent, ChangeType, Grant, GrantPath, ResourceKind } from "./types.ts";

/**
 * What effective grants are read from, in sets: a networked adapter answers each call with one
 * query however many groups, objects or apps it names. The group walks are handed one level at a time.
 */
export interface GrantSource {
  /** Every edge on an object, ordered by relation, principal id, qualifier. */
  on(objectId: string): Promise<EdgeRow[]>;
  /** Every edge each principal holds directly; each one's ordered by relation, object id, qualifier. */
  heldBy(principalIds: string[]): Promise<(principalId: string) => EdgeRow[]>;
  /** Direct members of groups (ordered by id) for the walks down from `groupIds`. */
  membersWalk(groupIds: string[]): Promise<(groupId: string) => Member[]>;
  /** Groups a principal is a direct member of (ordered by id) for the walk up from `principalId`. */
  groupsWalk(principalId: string): Promise<(principalId: string) => string[]>;
  typeOf(principalId: string): Promise<string>;
  /** Display name (else principal name) of each stored object with one of `ids`, under each kind it has. */
  namesOf(ids: string[]): Promise<{ kind: ResourceKind; id: string; name: string | null }[]>;
  /** Each stored app's synced `appRoles`, by app id (an app not stored is left out). */
  appRolesOf(appIds: string[]): Promise<Map<string, unknown>>;
}

interface Found {
  edge: EdgeRow;
  principal: Member;
  path: GrantPath;
}

export async function effectiveGrants(
  filter: { objectId: string } | { principalId: string },
  source: GrantSource,
): Promise<Grant[]> {
  const found: Found[] = [];
  const add = (edge: EdgeRow, principal: Member, path: GrantPath): void => {
    // A path back through the object itself exists only because of a membership cycle: not a grant.
    if (principal.id === edge.object_id || path.via.includes(edge.object_id)) return;
    found.push({ edge, principal, path });
  };
  if ("objectId" in filter) {
    const edges = await source.on(filter.objectId);
    const viaGroup = (edge: EdgeRow) =>
      edge.principal_type === "group" && inheritsThroughGroups(edge.relation);
    const groups = [...new Set(edges.filter(viaGroup).map((edge) => edge.principal_id))];
    const membersOf = groups.length > 0 ? await source.membersWalk(groups) : () => [];
    for (const edge of edges) {
      add(edge, { id: edge.principal_id, type: edge.principal_type }, { how: "direct", via: [] });
      if (!viaGroup(edge)) continue;
      for (const member of transitiveMembers(edge.principal_id, membersOf)) {
        add(edge, member, { how: "group", via: member.via });
      }
    }
    return named(found, source);
  }
  const principalId = filter.principalId;
  const principal = { id: principalId, type: await source.typeOf(principalId) };
  const groups = transitiveGroups(principalId, await source.groupsWalk(principalId));
  const held = await source.heldBy([principalId, ...groups.map((group) => group.id)]);
  for (const edge of held(principalId)) add(edge, principal, { how: "direct", via: [] });
  for (const group of groups) {
    for (const edge of held(group.id)) {
      if (inheritsThroughGroups(edge.relation))
        add(edge, principal, { how: "group", via: [...group.via, group.id] });
    }
  }
  return named(found, source);
}

/** The grants found, with the names of their objects, principals and app roles, read in one go. */
async function named(found: Found[], source: GrantSource): Promise<Grant[]> {
  const ids = new Set<string>();
  const apps = new Set<string>();
  for (const { edge, principal } of found) {
    ids.add(edge.object_id);
    ids.add(principal.id);
    if (entitlementOf(edge.relation, edge.qualifier).startsWith("app:role:")) apps.add(edge.object_id);
  }
  const byKind = new Map<string, string | null>();
  const byId = new Map<string, string | null>();
  for (const row of ids.size > 0 ? await source.namesOf([...ids]) : []) {
    byKind.set(`${row.kind}\u0000${row.id}`, row.name);
    if (!byId.has(row.id)) byId.set(row.id, row.name);
  }
  const appRoles = apps.size > 0 ? await source.appRolesOf([...apps]) : new Map<string, unknown>();
  const roleNames = new Map<string, Map<string, string>>();
  const appRole = (appId: string, roleId: string): string | undefined => {
    let roles = roleNames.get(appId);
    if (!roles) {
      roles = roleNamesOf(appRoles.get(appId));
      roleNames.set(appId, roles);
    }
    return roles.get(roleId);
  };
  return found.map(({ edge, principal, path }) => {
    const entitlement = entitlementOf(edge.relation, edge.qualifier);
    const objectKind = objectKindOf(edge.relation);
    const appRoleName = entitlement.startsWith("app:role:")
      ? appRole(edge.object_id, edge.qualifier)
      : undefined;
    return {
      relation: edge.relation,
      entitlement,
      objectKind,
      objectId: edge.object_id,
      objectName: byKind.get(`${objectKind}\u0000${edge.object_id}`) ?? undefined,
      principalId: principal.id,
      principalType: principal.type,
      principalName: byId.get(principal.id) ?? undefined,
      qualifier: edge.qualifier,
      ...(appRoleName === undefined ? {} : { appRoleName }),
      path,
    };
  });
}

/** App role display names (else values) by role id, from an app's synced `appRoles`. */
function roleNamesOf(list: unknown): Map<string, string> {
  const roles = new Map<string, string>();
  for (const role of Array.isArray(list) ? list : []) {
    const { id, displayName, value } = (role ?? {}) as Record<string, unknown>;
    const name = [displayName, value].find((v) => typeof v === "string" && v !== "");
    if (typeof id === "string" && typeof name === "string") roles.set(id, name);
  }
  return roles;
}

const UNDONE: Record<ChangeType, ChangeType> = {
  created: "deleted",
  deleted: "created",
  added: "removed",
  removed: "added",
  updated: "updated",
};

/** The change that takes the store back over `event`: its opposite, with the data as it was before. */
export function undone(event: ChangeEvent): ChangeEvent {
  const data = { ...event.data };
  if (event.type === "deleted") delete data["@removed"];
  const reversed: ChangeEvent = { ...event, type: UNDONE[event.type], data };
  if (event.changes) {
    for (const change of event.changes) {
      if (change.old === null) delete data[change.property];
      else data[change.property] = change.old;
    }
    reversed.changes = event.changes.map((c) => ({ property: c.property, old: c.new, new: c.old }));
  }
  return reversed;
}

export interface CandidateRow {
  kind: ResourceKind;
  id: string;
  data: string;
  display_name: string | null;
  principal_name: string | null;
}

/** How many of the objects an ambiguous name matches are listed (as the actions list them). */
export const AMBIGUOUS_SHOWN = 10;

/** The error the actions give for a name several objects share, listing each by id and principal name. */
export function ambiguous(ref: string, rows: CandidateRow[]): ConnectorError {
  return createError("OBJECT_AMBIGUOUS", {
    kind: [...new Set(rows.map((r) => r.kind))].join(" or "),
    ref,
    count: rows.length === AMBIGUOUS_SHOWN ? `${AMBIGUOUS_SHOWN} or more` : rows.length,
    candidates: rows
      .map((r) => `${r.display_name ?? ""}${r.principal_name ? ` <${r.principal_name}>` : ""} (id ${r.id})`)
      .join("; "),
  });
}

/** Where a property filter's name is checked: `department`, `onPremisesExtensionAttributes.x`. */
export const PROPERTY_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
