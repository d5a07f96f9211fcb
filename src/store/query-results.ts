/**
 * Query answers built the same way whatever the database: effective grants from an adapter's edge
 * reads, the undoing of events for a backwards diff, and the ambiguous-name error.
 */
import { type ConnectorError, createError } from "../errors.ts";
import { type Member, transitiveGroups, transitiveMembers } from "./grants.ts";
import { entitlementOf, inheritsThroughGroups, objectKindOf } from "./model.ts";
import type { EdgeRow } from "./page-changes.ts";
import type { ChangeEvent, ChangeType, Grant, GrantPath, ResourceKind } from "./types.ts";

/** What effective grants are read from. The group walks are handed one level at a time. */
export interface GrantSource {
  /** Every edge on an object, ordered by relation, principal id, qualifier. */
  on(objectId: string): Promise<EdgeRow[]>;
  /** Every edge a principal holds directly, ordered by relation, object id, qualifier. */
  heldBy(principalId: string): Promise<EdgeRow[]>;
  /** Direct members of groups (ordered by id) for the walk down from `groupId`. */
  membersWalk(groupId: string): Promise<(groupId: string) => Member[]>;
  /** Groups a principal is a direct member of (ordered by id) for the walk up from `principalId`. */
  groupsWalk(principalId: string): Promise<(principalId: string) => string[]>;
  typeOf(principalId: string): Promise<string>;
  /** Display name (else principal name) of an object. */
  nameOf(id: string, kind?: ResourceKind): Promise<string | undefined>;
  /** The app's synced `appRoles` (undefined when the app is not stored). */
  appRolesOf(appId: string): Promise<unknown>;
}

export async function effectiveGrants(
  filter: { objectId: string } | { principalId: string },
  source: GrantSource,
): Promise<Grant[]> {
  const names = new NameCache(source);
  const grants: Grant[] = [];
  const add = async (edge: EdgeRow, principal: Member, path: GrantPath): Promise<void> => {
    // A path back through the object itself exists only because of a membership cycle: not a grant.
    if (principal.id === edge.object_id || path.via.includes(edge.object_id)) return;
    const entitlement = entitlementOf(edge.relation, edge.qualifier);
    const appRoleName = entitlement.startsWith("app:role:")
      ? await names.appRole(edge.object_id, edge.qualifier)
      : undefined;
    grants.push({
      relation: edge.relation,
      entitlement,
      objectKind: objectKindOf(edge.relation),
      objectId: edge.object_id,
      objectName: await names.of(edge.object_id, objectKindOf(edge.relation)),
      principalId: principal.id,
      principalType: principal.type,
      principalName: await names.of(principal.id),
      qualifier: edge.qualifier,
      ...(appRoleName === undefined ? {} : { appRoleName }),
      path,
    });
  };
  if ("objectId" in filter) {
    for (const edge of await source.on(filter.objectId)) {
      await add(edge, { id: edge.principal_id, type: edge.principal_type }, { how: "direct", via: [] });
      if (edge.principal_type !== "group" || !inheritsThroughGroups(edge.relation)) continue;
      const membersOf = await source.membersWalk(edge.principal_id);
      for (const member of transitiveMembers(edge.principal_id, membersOf)) {
        await add(edge, member, { how: "group", via: member.via });
      }
    }
    return grants;
  }
  const principalId = filter.principalId;
  const principal = { id: principalId, type: await source.typeOf(principalId) };
  for (const edge of await source.heldBy(principalId)) await add(edge, principal, { how: "direct", via: [] });
  const groupsOf = await source.groupsWalk(principalId);
  for (const group of transitiveGroups(principalId, groupsOf)) {
    for (const edge of await source.heldBy(group.id)) {
      if (inheritsThroughGroups(edge.relation))
        await add(edge, principal, { how: "group", via: [...group.via, group.id] });
    }
  }
  return grants;
}

/** Display names for ids and app roles, looked up once per query. */
class NameCache {
  readonly #source: GrantSource;
  readonly #names = new Map<string, string | undefined>();
  readonly #appRoles = new Map<string, Map<string, string>>();

  constructor(source: GrantSource) {
    this.#source = source;
  }

  async of(id: string, kind?: ResourceKind): Promise<string | undefined> {
    if (this.#names.has(id)) return this.#names.get(id);
    const name = await this.#source.nameOf(id, kind);
    this.#names.set(id, name);
    return name;
  }

  /** An app role's display name (else its value) from the app's synced `appRoles`. */
  async appRole(appId: string, roleId: string): Promise<string | undefined> {
    let roles = this.#appRoles.get(appId);
    if (!roles) {
      roles = new Map();
      const list = await this.#source.appRolesOf(appId);
      for (const role of Array.isArray(list) ? list : []) {
        const { id, displayName, value } = (role ?? {}) as Record<string, unknown>;
        const name = [displayName, value].find((v) => typeof v === "string" && v !== "");
        if (typeof id === "string" && typeof name === "string") roles.set(id, name);
      }
      this.#appRoles.set(appId, roles);
    }
    return roles.get(roleId);
  }
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
