/**
 * /groups: list, get, create, update, delete (docs/graph.md#groups). Membership and ownership
 * routes are in group-members.ts.
 */
import { randomUUID } from "node:crypto";
import { type ExpandOption, groups } from "../odata/index.ts";
import { isoSeconds } from "../tenant/time.ts";
import type { GraphObject } from "../tenant/types.ts";
import { countReply, listReply, objectReply, parsedQuery } from "./collection.ts";
import { projectDirectoryObject } from "./directory-objects.ts";
import { graphErrors } from "./errors.ts";
import {
  alreadyReferenced,
  checkDisplayName,
  checkMailNickname,
  checkMembershipWritable,
  dynamicMembershipError,
  isDynamic,
  isUnified,
  MAIL_ENABLED_WRITE_REFUSED,
} from "./group-rules.ts";
import { PERMISSIONS } from "./permissions.ts";
import { createdReply, noContent } from "./respond.ts";
import type { RouteContext, Router } from "./router.ts";
import { expandedAssignments } from "./service-principals.ts";
import { capped, expandLimit } from "./users.ts";
import { boundIds, checkKnownProperties, checkTypes, requireBoolean, requireString } from "./validate.ts";

const READ_ONLY = new Set([
  "id",
  "createdDateTime",
  "deletedDateTime",
  "mail",
  "proxyAddresses",
  "renewedDateTime",
  "securityIdentifier",
  "onPremisesSyncEnabled",
  "onPremisesLastSyncDateTime",
  "onPremisesSecurityIdentifier",
  "onPremisesSamAccountName",
  "onPremisesDomainName",
  "onPremisesNetBiosName",
  "onPremisesProvisioningErrors",
  "serviceProvisioningErrors",
  "expirationDateTime",
]);
const BINDS = ["members@odata.bind", "owners@odata.bind"];

export function findGroup(ctx: RouteContext, id: string): GraphObject {
  return ctx.lookup("group", id);
}

export function registerGroupRoutes(router: Router): void {
  const options = (ctx: RouteContext) => ({
    spec: groups,
    fragment: "groups",
    expand: (g: GraphObject, o: ExpandOption) => expandGroup(ctx, g, o),
  });
  router.add({
    method: "GET",
    path: "/groups",
    permissions: PERMISSIONS.groupsRead,
    handler: (ctx) => listReply(ctx, ctx.tenant.list("group"), options(ctx)),
  });
  router.add({
    method: "GET",
    path: "/groups/$count",
    permissions: PERMISSIONS.groupsRead,
    handler: (ctx) => countReply(ctx, ctx.tenant.list("group"), groups),
  });
  router.add({
    method: "GET",
    path: "/groups/{id}",
    permissions: PERMISSIONS.groupsRead,
    handler: (ctx) => objectReply(ctx, findGroup(ctx, ctx.params["id"] as string), options(ctx)),
  });
  router.add({ method: "POST", path: "/groups", permissions: PERMISSIONS.groupsWrite, handler: createGroup });
  router.add({
    method: "PATCH",
    path: "/groups/{id}",
    permissions: PERMISSIONS.groupsWrite,
    handler: updateGroup,
  });
  router.add({
    method: "DELETE",
    path: "/groups/{id}",
    permissions: PERMISSIONS.groupsWrite,
    handler: (ctx) => {
      const group = findGroup(ctx, ctx.params["id"] as string);
      if (group["onPremisesSyncEnabled"] === true) throw graphErrors.onPremisesMastered();
      // Microsoft 365 groups go to deleted items; security groups are deleted permanently (§5).
      if (isUnified(group)) ctx.tenant.softDelete("group", group.id, ctx.now());
      else ctx.tenant.hardDelete("group", group.id);
      return noContent();
    },
  });
}

function expandGroup(ctx: RouteContext, group: GraphObject, option: ExpandOption): unknown {
  const tenant = ctx.tenant;
  // An expansion shows only its first items: resolve only those.
  const resolve = (ids: Iterable<string>) => tenant.resolvePrincipals(firstIds(ids, expandLimit(ctx)));
  switch (option.property) {
    case "members":
      return capped(ctx, resolve(tenant.membersOf(group.id)), option);
    case "owners":
      return capped(ctx, resolve(tenant.ownersOf(group.id)), option);
    case "transitiveMembers":
      return capped(ctx, resolve(tenant.transitiveMembersOf(group.id)), option);
    case "memberOf":
      return capped(ctx, resolve(tenant.groupsOf(group.id)), option);
    case "transitiveMemberOf":
      return capped(ctx, resolve(tenant.transitiveGroupsOf(group.id)), option);
    case "appRoleAssignments":
      return expandedAssignments(ctx, group.id, option);
    default:
      throw graphErrors.badRequest(`Expanding '${option.property}' is not supported by the emulator.`);
  }
}

function firstIds(ids: Iterable<string>, count: number): string[] {
  const out: string[] = [];
  for (const id of ids) {
    if (out.length >= count) break;
    out.push(id);
  }
  return out;
}

function checkGroupTypes(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((t) => t !== "Unified" && t !== "DynamicMembership")) {
    throw graphErrors.invalidValue("groupTypes", "Group");
  }
  return [...new Set(value as string[])];
}

function checkMailNicknameFree(ctx: RouteContext, nick: string, selfId?: string): void {
  const lower = nick.toLowerCase();
  for (const group of ctx.tenant.list("group")) {
    if (group.id !== selfId && isUnified(group) && String(group["mailNickname"]).toLowerCase() === lower) {
      throw graphErrors.conflict("mailNickname");
    }
  }
}

function createGroup(ctx: RouteContext) {
  const body = ctx.json();
  checkKnownProperties(body, groups, { readOnly: READ_ONLY, extra: BINDS });
  checkTypes(body, groups, "Group");
  const displayName = requireString(body, "displayName", "Group");
  const mailEnabled = requireBoolean(body, "mailEnabled", "Group");
  const mailNickname = requireString(body, "mailNickname", "Group");
  const _securityEnabled = requireBoolean(body, "securityEnabled", "Group");
  const groupTypes = checkGroupTypes(body["groupTypes"]);
  checkDisplayName(displayName);
  checkMailNickname(mailNickname);
  const unified = groupTypes.includes("Unified");
  if (mailEnabled && !unified) throw graphErrors.badRequest(MAIL_ENABLED_WRITE_REFUSED);
  if (unified) checkMailNicknameFree(ctx, mailNickname);
  const dynamic = groupTypes.includes("DynamicMembership");
  if (dynamic && (typeof body["membershipRule"] !== "string" || body["membershipRule"].trim() === "")) {
    throw graphErrors.invalidValue("membershipRule", "Group");
  }
  const owners = boundIds(ctx, body, "owners@odata.bind");
  const members = boundIds(ctx, body, "members@odata.bind");
  if (dynamic && members.length > 0) throw dynamicMembershipError();
  const domain = ctx.tenant.info.domains[1] ?? ctx.tenant.info.domains[0];
  const group: GraphObject = { id: randomUUID() };
  for (const [key, value] of Object.entries(body)) {
    if (key.startsWith("@odata.") || BINDS.includes(key) || value === null) continue;
    group[key] = value;
  }
  Object.assign(group, {
    groupTypes,
    createdDateTime: isoSeconds(ctx.now()),
    securityIdentifier: `S-1-12-1-${group.id
      .replace(/-/g, "")
      .slice(0, 9)
      .split("")
      .reduce((a, c) => a + c.charCodeAt(0), 0)}`,
    proxyAddresses: unified ? [`SMTP:${mailNickname}@${domain}`] : [],
  });
  if (unified) {
    group["mail"] = `${mailNickname}@${domain}`;
    group["renewedDateTime"] = group["createdDateTime"];
    group["visibility"] ??= "Public";
  }
  if (dynamic) group["membershipRuleProcessingState"] ??= "On";
  ctx.tenant.insert("group", group);
  for (const id of owners) ctx.tenant.addOwner("group", group.id, id);
  for (const id of members) ctx.tenant.addMember(group.id, id);
  const { parsed } = parsedQuery(ctx, groups);
  const shaped = projectDirectoryObject(group, "group", parsed.select, false);
  return createdReply(ctx, "groups/$entity", { ...shaped, id: group.id }, "Group");
}

function updateGroup(ctx: RouteContext) {
  const group = findGroup(ctx, ctx.params["id"] as string);
  const body = ctx.json();
  checkKnownProperties(body, groups, { readOnly: READ_ONLY, extra: BINDS });
  checkTypes(body, groups, "Group");
  if (group["onPremisesSyncEnabled"] === true) throw graphErrors.onPremisesMastered();
  if (body["displayName"] !== undefined) checkDisplayName(requireString(body, "displayName", "Group"));
  if (body["mailNickname"] !== undefined) {
    const nick = requireString(body, "mailNickname", "Group");
    checkMailNickname(nick);
    if (isUnified(group)) checkMailNicknameFree(ctx, nick, group.id);
  }
  if (body["groupTypes"] !== undefined) checkGroupTypes(body["groupTypes"]);
  if (body["mailEnabled"] === true && !isUnified(group))
    throw graphErrors.badRequest(MAIL_ENABLED_WRITE_REFUSED);
  // members@odata.bind on PATCH: at most 20, all or nothing (§5).
  const members = boundIds(ctx, body, "members@odata.bind");
  const owners = boundIds(ctx, body, "owners@odata.bind");
  if (members.length > 0) {
    checkMembershipWritable(group);
    if (members.some((id) => ctx.tenant.membersOf(group.id).has(id))) throw alreadyReferenced("members");
  }
  if (isDynamic(group) && body["membershipRule"] === null)
    throw graphErrors.invalidValue("membershipRule", "Group");
  const patch: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (key.startsWith("@odata.") || BINDS.includes(key)) continue;
    patch[key] = value;
  }
  if (Object.keys(patch).length > 0) ctx.tenant.update("group", group.id, patch);
  for (const id of members) ctx.tenant.addMember(group.id, id);
  for (const id of owners) ctx.tenant.addOwner("group", group.id, id);
  return noContent();
}
