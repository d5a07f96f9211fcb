/**
 * Group relationships: members, owners, transitiveMembers, memberOf, transitiveMemberOf (each with type
 * casts and $count) and the `$ref`
 * writes with Graph's real errors (docs/graph.md#errors, #groups).
 */

import type { GraphObject } from "../tenant/types.ts";
import { addDirectoryObjectList } from "./directory-objects.ts";
import { graphErrors } from "./errors.ts";
import {
  alreadyReferenced,
  checkMembershipWritable,
  isUnified,
  lastOwnerError,
  notReferenced,
} from "./group-rules.ts";
import { findGroup } from "./groups.ts";
import { PERMISSIONS } from "./permissions.ts";
import { noContent } from "./respond.ts";
import type { GraphReply, RouteContext, Router } from "./router.ts";
import { groupsAndRolesOf } from "./users.ts";
import { idFromReference } from "./validate.ts";

type Relation = "members" | "owners" | "transitiveMembers";

const COST: Record<Relation, number> = { members: 3, owners: 1, transitiveMembers: 5 };

function related(ctx: RouteContext, relation: Relation): GraphObject[] {
  const group = findGroup(ctx, ctx.params["id"] as string);
  const { tenant } = ctx;
  const ids =
    relation === "members"
      ? tenant.membersOf(group.id)
      : relation === "owners"
        ? tenant.ownersOf(group.id)
        : tenant.transitiveMembersOf(group.id);
  return tenant.resolvePrincipals(ids);
}

export function registerGroupMemberRoutes(router: Router): void {
  // The groups (and role-assignable groups' roles) a group is nested in.
  for (const [segment, transitive] of [
    ["memberOf", false],
    ["transitiveMemberOf", true],
  ] as const) {
    addDirectoryObjectList(router, {
      path: `/groups/{id}/${segment}`,
      permissions: PERMISSIONS.groupsRead,
      cost: 1,
      items: (ctx) => groupsAndRolesOf(ctx.tenant, findGroup(ctx, ctx.params["id"] as string).id, transitive),
    });
  }
  for (const relation of ["members", "owners", "transitiveMembers"] as const) {
    addDirectoryObjectList(router, {
      path: `/groups/{id}/${relation}`,
      permissions: PERMISSIONS.groupsRead,
      cost: COST[relation],
      items: (ctx) => related(ctx, relation),
    });
  }
  for (const relation of ["members", "owners"] as const) {
    const write = relation === "members" ? PERMISSIONS.membersWrite : PERMISSIONS.groupsWrite;
    router.add({
      method: "POST",
      path: `/groups/{id}/${relation}/$ref`,
      permissions: write,
      handler: (ctx) => addReference(ctx, relation),
    });
    router.add({
      method: "DELETE",
      path: `/groups/{id}/${relation}/{memberId}/$ref`,
      permissions: write,
      handler: (ctx) => removeReference(ctx, relation, ctx.params["memberId"] as string),
    });
    // The older form: DELETE /groups/{id}/members/$ref?$id={url}.
    router.add({
      method: "DELETE",
      path: `/groups/{id}/${relation}/$ref`,
      permissions: write,
      handler: (ctx) => removeReference(ctx, relation, idFromReference(ctx.request.query.get("$id"))),
    });
  }
}

function addReference(ctx: RouteContext, relation: "members" | "owners"): GraphReply {
  const group = findGroup(ctx, ctx.params["id"] as string);
  const body = ctx.json();
  const id = idFromReference(body["@odata.id"]);
  if (relation === "members") checkMembershipWritable(group);
  else if (group["onPremisesSyncEnabled"] === true) throw graphErrors.onPremisesMastered();
  const principal = ctx.tenant.getPrincipal(id);
  // A just-created object may not have replicated yet: 404 until it has (§3, replication).
  if (!principal || !ctx.visible(id)) throw graphErrors.notFound(id);
  if (relation === "owners" && principal.kind === "group")
    throw graphErrors.badRequest("Groups cannot be owners of a group.");
  if (relation === "members" && principal.object.id === group.id) {
    throw graphErrors.badRequest("A group cannot be a member of itself.");
  }
  const added =
    relation === "members" ? ctx.tenant.addMember(group.id, id) : ctx.tenant.addOwner("group", group.id, id);
  if (!added) throw alreadyReferenced(relation);
  return noContent();
}

function removeReference(ctx: RouteContext, relation: "members" | "owners", id: string): GraphReply {
  const group = findGroup(ctx, ctx.params["id"] as string);
  if (relation === "members") checkMembershipWritable(group);
  else if (group["onPremisesSyncEnabled"] === true) throw graphErrors.onPremisesMastered();
  if (!ctx.tenant.getPrincipal(id)) throw graphErrors.notFound(id);
  const current = relation === "members" ? ctx.tenant.membersOf(group.id) : ctx.tenant.ownersOf(group.id);
  if (!current.has(id)) throw notReferenced(relation);
  // Microsoft 365 groups must keep an owner (§3).
  if (relation === "owners" && isUnified(group) && current.size === 1) throw lastOwnerError();
  if (relation === "members") ctx.tenant.removeMember(group.id, id);
  else ctx.tenant.removeOwner("group", group.id, id);
  return noContent();
}
