/**
 * /users: list, get (by id or userPrincipalName), create, update, delete, $count, manager,
 * directReports, memberOf, transitiveMemberOf, revokeSignInSessions (docs/graph.md#users, #response-shapes).
 */
import { randomUUID } from "node:crypto";
import { type ExpandOption, users } from "../odata/index.ts";
import type { TenantModel } from "../tenant/model.ts";
import { isoSeconds } from "../tenant/time.ts";
import type { GraphObject } from "../tenant/types.ts";
import { countReply, listReply, objectReply, parsedQuery } from "./collection.ts";
import {
  addDirectoryObjectList,
  directoryObjectsReply,
  kindIn,
  projectDirectoryObject,
  shapeByKind,
} from "./directory-objects.ts";
import { GraphError, graphErrors } from "./errors.ts";
import { PERMISSIONS } from "./permissions.ts";
import { createdReply, metadataUrl, noContent } from "./respond.ts";
import type { RouteContext, Router } from "./router.ts";
import { expandedAssignments } from "./service-principals.ts";
import {
  checkKnownProperties,
  checkTypes,
  idFromReference,
  isComplexPassword,
  requireBoolean,
  requireString,
} from "./validate.ts";

const READ_ONLY = new Set([
  "id",
  "createdDateTime",
  "deletedDateTime",
  "assignedLicenses",
  "assignedPlans",
  "provisionedPlans",
  "licenseAssignmentStates",
  "onPremisesSyncEnabled",
  "onPremisesLastSyncDateTime",
  "onPremisesDistinguishedName",
  "onPremisesDomainName",
  "onPremisesSamAccountName",
  "onPremisesSecurityIdentifier",
  "onPremisesUserPrincipalName",
  "proxyAddresses",
  "externalUserStateChangeDateTime",
  "lastPasswordChangeDateTime",
  "signInSessionsValidFromDateTime",
  "creationType",
  "isResourceAccount",
]);

/** What a directory-synced user still lets the cloud write; everything else is mastered on premises. */
const CLOUD_WRITABLE_WHEN_SYNCED = new Set([
  "usageLocation",
  "preferredLanguage",
  "passwordPolicies",
  "employeeHireDate",
]);

const PASSWORD_ERROR =
  "The specified password does not comply with password complexity requirements. Please provide a different password.";

/** A user addressed by id or userPrincipalName (`/users/{key}`, `/users('{upn}')`). */
export function findUser(ctx: RouteContext, key: string): GraphObject {
  const user = key.includes("@") ? ctx.tenant.findUserByUpn(key) : ctx.tenant.get("user", key);
  if (!user || !ctx.visible(user.id)) throw graphErrors.notFound(key);
  return user;
}

export function registerUserRoutes(router: Router): void {
  const list = { spec: users, fragment: "users" };
  router.add({
    method: "GET",
    path: "/users",
    permissions: PERMISSIONS.usersRead,
    cost: 2,
    handler: (ctx) =>
      listReply(ctx, ctx.tenant.list("user"), { ...list, expand: (u, o) => expandUser(ctx, u, o) }),
  });
  router.add({
    method: "GET",
    path: "/users/$count",
    permissions: PERMISSIONS.usersRead,
    handler: (ctx) => countReply(ctx, ctx.tenant.list("user"), users),
  });
  router.add({
    method: "GET",
    path: "/users/{key}",
    permissions: PERMISSIONS.usersRead,
    handler: (ctx) =>
      objectReply(ctx, findUser(ctx, ctx.params["key"] as string), {
        ...list,
        expand: (u, o) => expandUser(ctx, u, o),
      }),
  });
  router.add({ method: "POST", path: "/users", permissions: PERMISSIONS.usersWrite, handler: createUser });
  router.add({
    method: "PATCH",
    path: "/users/{key}",
    permissions: PERMISSIONS.usersWrite,
    handler: updateUser,
  });
  router.add({
    method: "DELETE",
    path: "/users/{key}",
    permissions: PERMISSIONS.usersWrite,
    handler: (ctx) => {
      const user = findUser(ctx, ctx.params["key"] as string);
      ctx.tenant.softDelete("user", user.id, ctx.now());
      return noContent();
    },
  });
  router.add({
    method: "POST",
    path: "/users/{key}/revokeSignInSessions",
    permissions: PERMISSIONS.usersWrite,
    handler: (ctx) => {
      const user = findUser(ctx, ctx.params["key"] as string);
      ctx.services.revokeSignInSessions(user.id);
      ctx.tenant.update("user", user.id, { signInSessionsValidFromDateTime: isoSeconds(ctx.now()) });
      return { status: 200, body: { "@odata.context": metadataUrl(ctx, "Edm.Boolean"), value: true } };
    },
  });
  router.add({
    method: "GET",
    path: "/users/{key}/manager",
    permissions: PERMISSIONS.usersRead,
    handler: (ctx) => {
      const user = findUser(ctx, ctx.params["key"] as string);
      const managerId = ctx.tenant.managerOf(user.id);
      const manager = managerId === undefined ? undefined : ctx.tenant.get("user", managerId);
      if (!manager) throw graphErrors.notFound("manager");
      return objectReply(ctx, manager, {
        spec: users,
        fragment: "directoryObjects",
        itemShape: (select) => shapeByKind(() => "user", select),
      });
    },
  });
  router.add({
    method: "PUT",
    path: "/users/{key}/manager/$ref",
    permissions: PERMISSIONS.usersWrite,
    handler: (ctx) => {
      const user = findUser(ctx, ctx.params["key"] as string);
      refuseIfSynced(user);
      const managerId = idFromReference(ctx.json()["@odata.id"]);
      const manager = ctx.tenant.get("user", managerId);
      if (!manager || !ctx.visible(managerId)) throw graphErrors.notFound(managerId);
      ctx.tenant.setManager(user.id, manager.id);
      return noContent();
    },
  });
  router.add({
    method: "DELETE",
    path: "/users/{key}/manager/$ref",
    permissions: PERMISSIONS.usersWrite,
    handler: (ctx) => {
      const user = findUser(ctx, ctx.params["key"] as string);
      if (ctx.tenant.managerOf(user.id) === undefined) throw graphErrors.notFound("manager");
      ctx.tenant.setManager(user.id, undefined);
      return noContent();
    },
  });
  router.add({
    method: "GET",
    path: "/users/{key}/directReports",
    permissions: PERMISSIONS.usersRead,
    handler: (ctx) => {
      const user = findUser(ctx, ctx.params["key"] as string);
      const reports = [...ctx.tenant.directReportsOf(user.id)].map(
        (id) => ctx.tenant.get("user", id) as GraphObject,
      );
      return directoryObjectsReply(ctx, reports);
    },
  });
  for (const [segment, transitive] of [
    ["memberOf", false],
    ["transitiveMemberOf", true],
  ] as const) {
    addDirectoryObjectList(router, {
      path: `/users/{key}/${segment}`,
      permissions: PERMISSIONS.memberOfRead,
      cost: 2,
      items: (ctx) => groupsAndRolesOf(ctx.tenant, findUser(ctx, ctx.params["key"] as string).id, transitive),
    });
  }
}

/** The groups (direct or through nesting) and activated directory roles an object is a member of. */
export function groupsAndRolesOf(tenant: TenantModel, objectId: string, transitive: boolean): GraphObject[] {
  const groupIds = transitive ? tenant.transitiveGroupsOf(objectId) : [...tenant.groupsOf(objectId)];
  const out = groupIds.map((id) => tenant.get("group", id)).filter((g): g is GraphObject => g !== undefined);
  const roleTemplates = new Set(
    tenant.roleAssignmentsOf(objectId).map((a) => a["roleDefinitionId"] as string),
  );
  if (roleTemplates.size > 0) {
    for (const role of tenant.list("directoryRole")) {
      if (roleTemplates.has(role["roleTemplateId"] as string)) out.push(role);
    }
  }
  return out;
}

function expandUser(ctx: RouteContext, user: GraphObject, option: ExpandOption): unknown {
  const tenant = ctx.tenant;
  switch (option.property) {
    case "manager": {
      const managerId = tenant.managerOf(user.id);
      const manager = managerId === undefined ? undefined : tenant.get("user", managerId);
      return manager ? projectDirectoryObject(manager, "user", option.select) : null;
    }
    case "directReports":
      return capped(
        ctx,
        [...tenant.directReportsOf(user.id)].map((id) => tenant.get("user", id) as GraphObject),
        option,
      );
    case "memberOf":
      return capped(ctx, groupsAndRolesOf(tenant, user.id, false), option);
    case "transitiveMemberOf":
      return capped(ctx, groupsAndRolesOf(tenant, user.id, true), option);
    case "appRoleAssignments":
      return expandedAssignments(ctx, user.id, option);
    default:
      // ownedObjects / licenseDetails expansions are not modelled: Graph would answer them, we say so.
      throw graphErrors.badRequest(`Expanding '${option.property}' is not supported by the emulator.`);
  }
}

/** Items an expansion carries (Graph: 20, the `expandLimit` knob), with no nextLink for the rest. */
export function expandLimit(ctx: RouteContext): number {
  return ctx.services.faults.settings.expandLimit;
}

/** An expanded relationship: at most `expandLimit` items and no nextLink (docs/graph.md#query-options). */
export function capped(
  ctx: RouteContext,
  items: readonly GraphObject[],
  option: ExpandOption,
): Record<string, unknown>[] {
  return items
    .slice(0, expandLimit(ctx))
    .map((o) => projectDirectoryObject(o, kindIn(ctx.tenant, o), option.select));
}

function checkUpn(ctx: RouteContext, upn: string, selfId?: string): void {
  const at = upn.lastIndexOf("@");
  if (at <= 0 || at === upn.length - 1 || /\s/.test(upn))
    throw graphErrors.invalidValue("userPrincipalName", "User");
  const domain = upn.slice(at + 1).toLowerCase();
  if (!ctx.tenant.info.domains.some((d) => d.toLowerCase() === domain)) {
    throw graphErrors.badRequest(
      "The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization.",
    );
  }
  const existing = ctx.tenant.findUserByUpn(upn);
  const deleted = ctx.tenant
    .deletedItems("user")
    .some((r) => String(r.object["userPrincipalName"]).toLowerCase() === upn.toLowerCase());
  if ((existing && existing.id !== selfId) || deleted) throw graphErrors.conflict("userPrincipalName");
}

function checkMail(ctx: RouteContext, mail: unknown, selfId?: string): void {
  if (typeof mail !== "string") return;
  const existing = ctx.tenant.findUserByMail(mail);
  if (existing && existing.id !== selfId) throw graphErrors.conflict("proxyAddresses");
}

function checkPassword(profile: unknown): void {
  if (typeof profile !== "object" || profile === null || Array.isArray(profile)) {
    throw graphErrors.invalidValue("passwordProfile", "User");
  }
  const password = (profile as Record<string, unknown>)["password"];
  if (typeof password !== "string") throw graphErrors.invalidValue("passwordProfile", "User");
  if (!isComplexPassword(password)) throw graphErrors.badRequest(PASSWORD_ERROR);
}

function checkUsageLocation(value: unknown): void {
  if (value !== undefined && value !== null && (typeof value !== "string" || !/^[A-Za-z]{2}$/.test(value))) {
    throw graphErrors.invalidValue("usageLocation", "User");
  }
}

function createUser(ctx: RouteContext) {
  const body = ctx.json();
  checkKnownProperties(body, users, { readOnly: READ_ONLY });
  checkTypes(body, users, "User");
  const accountEnabled = requireBoolean(body, "accountEnabled", "User");
  requireString(body, "displayName", "User");
  requireString(body, "mailNickname", "User");
  const upn = requireString(body, "userPrincipalName", "User");
  if (body["passwordProfile"] === undefined) throw graphErrors.missingProperty("passwordProfile");
  checkPassword(body["passwordProfile"]);
  checkUsageLocation(body["usageLocation"]);
  checkUpn(ctx, upn);
  checkMail(ctx, body["mail"]);
  const user: GraphObject = { id: randomUUID() };
  for (const [key, value] of Object.entries(body)) {
    // The password is write-only: Graph never returns it, so it is not kept.
    if (key.startsWith("@odata.") || key === "passwordProfile" || value === null) continue;
    user[key] = value;
  }
  user["accountEnabled"] = accountEnabled;
  user["userType"] ??= "Member";
  user["createdDateTime"] = isoSeconds(ctx.now());
  user["businessPhones"] ??= [];
  if (typeof user["mail"] === "string") user["proxyAddresses"] = [`SMTP:${user["mail"]}`];
  ctx.tenant.insert("user", user);
  const { parsed } = parsedQuery(ctx, users);
  const shaped = projectDirectoryObject(user, "user", parsed.select, false);
  // A 201 puts id first, right after @odata.context (§13).
  return createdReply(ctx, "users/$entity", { id: user.id, ...withoutId(shaped) }, "User");
}

function withoutId(object: Record<string, unknown>): Record<string, unknown> {
  const { id: _id, ...rest } = object;
  return rest;
}

function refuseIfSynced(object: GraphObject, patch?: Record<string, unknown>): void {
  if (object["onPremisesSyncEnabled"] !== true) return;
  if (patch && Object.keys(patch).every((k) => CLOUD_WRITABLE_WHEN_SYNCED.has(k) || k.startsWith("@odata.")))
    return;
  throw graphErrors.onPremisesMastered();
}

function updateUser(ctx: RouteContext) {
  const user = findUser(ctx, ctx.params["key"] as string);
  const body = ctx.json();
  checkKnownProperties(body, users, { readOnly: READ_ONLY });
  checkTypes(body, users, "User");
  refuseIfSynced(user, body);
  if (body["userPrincipalName"] !== undefined)
    checkUpn(ctx, requireString(body, "userPrincipalName", "User"), user.id);
  if (body["displayName"] !== undefined) requireString(body, "displayName", "User");
  if (body["passwordProfile"] !== undefined) checkPassword(body["passwordProfile"]);
  checkUsageLocation(body["usageLocation"]);
  checkMail(ctx, body["mail"], user.id);
  if (
    body["usageLocation"] === null &&
    Array.isArray(user["assignedLicenses"]) &&
    user["assignedLicenses"].length > 0
  ) {
    throw new GraphError(
      400,
      "Request_BadRequest",
      "License assignment cannot be done for user with invalid usage location.",
    );
  }
  const patch: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (key.startsWith("@odata.") || key === "passwordProfile") continue;
    patch[key] = value;
  }
  if (Object.keys(patch).length > 0) ctx.tenant.update("user", user.id, patch);
  return noContent();
}
