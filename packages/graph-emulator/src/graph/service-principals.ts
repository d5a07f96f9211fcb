/**
 * Enterprise apps (docs/graph.md#roles-and-apps): GET /servicePrincipals (filter by servicePrincipalType,
 * appRoles on each), /servicePrincipals/{id}, its owners, and app role assignments from both ends —
 * /servicePrincipals/{id}/appRoleAssignedTo (who is assigned: list, POST 201, DELETE 204) and
 * /users/{id}/appRoleAssignments, /groups/{id}/appRoleAssignments, /servicePrincipals/{id}/appRoleAssignments
 * (what a principal is assigned; a user's also lists those of the groups it is a direct member of, as
 * Graph documents). An `$expand` of either end is cut at 20 like every expansion; clients must page it.
 */
import { randomUUID } from "node:crypto";
import { type ExpandOption, type ResourceSpec, servicePrincipals } from "../odata/index.ts";
import { one } from "../odata/resource-spec.ts";
import { compileProjection } from "../odata/select.ts";
import { DEFAULT_ACCESS_ROLE } from "../tenant/generator-directory.ts";
import { isoSeconds } from "../tenant/time.ts";
import type { GraphObject } from "../tenant/types.ts";
import { listReply, objectReply } from "./collection.ts";
import { directoryObjectsReply } from "./directory-objects.ts";
import { graphErrors } from "./errors.ts";
import { findGroup } from "./groups.ts";
import { PERMISSIONS } from "./permissions.ts";
import { noContent } from "./respond.ts";
import type { GraphReply, RouteContext, Router } from "./router.ts";
import { capped, expandLimit, findUser } from "./users.ts";
import { requireString } from "./validate.ts";

const ASSIGNMENT_PROPERTIES = [
  "id",
  "deletedDateTime",
  "appRoleId",
  "createdDateTime",
  "principalDisplayName",
  "principalId",
  "principalType",
  "resourceDisplayName",
  "resourceId",
] as const;

/** appRoleAssignment as a queryable resource (filter by id, principal, resource or role). */
export const appRoleAssignmentSpec: ResourceSpec = {
  name: "appRoleAssignments",
  entityType: "microsoft.graph.appRoleAssignment",
  label: "AppRoleAssignment",
  properties: {
    id: one("String", { f: "eq" }),
    deletedDateTime: one("DateTimeOffset"),
    appRoleId: one("Guid", { f: "eq" }),
    createdDateTime: one("DateTimeOffset"),
    principalDisplayName: one("String"),
    principalId: one("Guid", { f: "eq" }),
    principalType: one("String", { f: "eq" }),
    resourceDisplayName: one("String"),
    resourceId: one("Guid", { f: "eq" }),
  },
  defaultSelect: ASSIGNMENT_PROPERTIES,
  idPosition: "first",
  options: new Set(["$select", "$filter", "$top", "$skiptoken", "$count"]),
  sortable: { default: new Set(), advanced: new Set() },
  expandable: new Set(),
  pageSize: { default: 100, max: 999 },
};

const PRINCIPAL_TYPE = { user: "User", group: "Group", servicePrincipal: "ServicePrincipal" } as const;

export function registerServicePrincipalRoutes(router: Router): void {
  router.add({
    method: "GET",
    path: "/servicePrincipals",
    permissions: PERMISSIONS.appsRead,
    handler: (ctx) => listReply(ctx, ctx.tenant.list("servicePrincipal"), spOptions(ctx)),
  });
  // A service principal is addressed by id or by its application's id: /servicePrincipals(appId='…').
  for (const base of ["/servicePrincipals/{id}", "/servicePrincipals(appId={appKey}"]) {
    router.add({
      method: "GET",
      path: base,
      permissions: PERMISSIONS.appsRead,
      handler: (ctx) => objectReply(ctx, servicePrincipalOf(ctx), spOptions(ctx)),
    });
    router.add({
      method: "GET",
      path: `${base}/owners`,
      permissions: PERMISSIONS.appsRead,
      handler: (ctx) =>
        directoryObjectsReply(ctx, principals(ctx, ctx.tenant.ownersOf(servicePrincipalOf(ctx).id))),
    });
    router.add({
      method: "GET",
      path: `${base}/appRoleAssignedTo`,
      permissions: PERMISSIONS.appsRead,
      handler: (ctx) => {
        const sp = servicePrincipalOf(ctx);
        const fragment = `servicePrincipals('${sp.id}')/appRoleAssignedTo`;
        return assignmentList(ctx, ctx.tenant.assignmentsOfResource(sp.id), fragment);
      },
    });
    router.add({
      method: "POST",
      path: `${base}/appRoleAssignedTo`,
      permissions: PERMISSIONS.appRoleAssignmentsWrite,
      handler: (ctx) => {
        const sp = servicePrincipalOf(ctx);
        const body = ctx.json();
        const resourceId = requireString(body, "resourceId", "AppRoleAssignment");
        if (resourceId !== sp.id) throw graphErrors.invalidValue("resourceId", "AppRoleAssignment");
        const assignment = createAssignment(ctx, body, sp);
        return createdAssignment(ctx, assignment, `servicePrincipals('${sp.id}')/appRoleAssignedTo`);
      },
    });
    router.add({
      method: "DELETE",
      path: `${base}/appRoleAssignedTo/{assignmentId}`,
      permissions: PERMISSIONS.appRoleAssignmentsWrite,
      handler: (ctx) => {
        const sp = servicePrincipalOf(ctx);
        return deleteAssignment(ctx, (a) => a["resourceId"] === sp.id);
      },
    });
  }

  for (const [segment, find, permissions] of [
    ["users/{id}", (ctx: RouteContext) => findUser(ctx, ctx.params["id"] as string), PERMISSIONS.usersRead],
    [
      "groups/{id}",
      (ctx: RouteContext) => findGroup(ctx, ctx.params["id"] as string),
      PERMISSIONS.groupsRead,
    ],
    [
      "servicePrincipals/{id}",
      (ctx: RouteContext) => ctx.lookup("servicePrincipal", ctx.params["id"] as string),
      PERMISSIONS.appsRead,
    ],
  ] as const) {
    const owner = segment.split("/")[0] as string;
    router.add({
      method: "GET",
      path: `/${segment}/appRoleAssignments`,
      permissions,
      handler: (ctx) => {
        const principal = find(ctx);
        const fragment = `${owner}('${ctx.params["id"]}')/appRoleAssignments`;
        return assignmentList(ctx, assignmentsGrantedTo(ctx, principal.id), fragment);
      },
    });
    router.add({
      method: "POST",
      path: `/${segment}/appRoleAssignments`,
      permissions: PERMISSIONS.appRoleAssignmentsWrite,
      handler: (ctx) => {
        const principal = find(ctx);
        const body = ctx.json();
        if (requireString(body, "principalId", "AppRoleAssignment") !== principal.id) {
          throw graphErrors.invalidValue("principalId", "AppRoleAssignment");
        }
        const resourceId = requireString(body, "resourceId", "AppRoleAssignment");
        const sp = ctx.tenant.get("servicePrincipal", resourceId);
        if (!sp || !ctx.visible(resourceId)) throw graphErrors.notFound(resourceId);
        const fragment = `${owner}('${ctx.params["id"]}')/appRoleAssignments`;
        return createdAssignment(ctx, createAssignment(ctx, body, sp), fragment);
      },
    });
    router.add({
      method: "DELETE",
      path: `/${segment}/appRoleAssignments/{assignmentId}`,
      permissions: PERMISSIONS.appRoleAssignmentsWrite,
      handler: (ctx) => {
        const principal = find(ctx);
        return deleteAssignment(ctx, (a) => a["principalId"] === principal.id);
      },
    });
  }
}

function spOptions(ctx: RouteContext) {
  return {
    spec: servicePrincipals,
    fragment: "servicePrincipals",
    expand: (sp: GraphObject, option: ExpandOption) => expandServicePrincipal(ctx, sp, option),
  };
}

function servicePrincipalOf(ctx: RouteContext): GraphObject {
  const appKey = ctx.params["appKey"];
  if (appKey === undefined) return ctx.lookup("servicePrincipal", ctx.params["id"] as string);
  const appId = appIdFromKey(appKey);
  const sp = ctx.tenant.list("servicePrincipal").find((s) => s["appId"] === appId);
  if (!sp || !ctx.visible(sp.id)) throw graphErrors.notFound(appId);
  return sp;
}

/** The value of an `(appId='…')` key segment, whose router capture still holds the quotes and parenthesis. */
export function appIdFromKey(raw: string): string {
  const match = /^'((?:[^']|'')*)'\)$/.exec(raw);
  if (!match) throw graphErrors.invalidRequest(`Bad key segment: appId=${raw}`);
  return (match[1] as string).replaceAll("''", "'");
}

function principals(ctx: RouteContext, ids: Iterable<string>): GraphObject[] {
  const out: GraphObject[] = [];
  for (const id of ids) {
    const found = ctx.tenant.getPrincipal(id);
    if (found && ctx.visible(id)) out.push(found.object);
  }
  return out;
}

function expandServicePrincipal(ctx: RouteContext, sp: GraphObject, option: ExpandOption): unknown {
  switch (option.property) {
    case "appRoleAssignedTo": {
      const project = compileProjection(appRoleAssignmentSpec, option.select);
      return ctx.tenant.assignmentsOfResource(sp.id).slice(0, expandLimit(ctx)).map(project);
    }
    case "appRoleAssignments":
      return expandedAssignments(ctx, sp.id, option);
    case "owners":
      return capped(ctx, principals(ctx, ctx.tenant.ownersOf(sp.id)), option);
    default:
      throw graphErrors.badRequest(`Expanding '${option.property}' is not supported by the emulator.`);
  }
}

/**
 * A principal's `appRoleAssignments`: its own, and for a user also those of the groups it is a
 * direct member of (Graph's documented behaviour; they name the group as principal).
 */
export function assignmentsGrantedTo(ctx: RouteContext, principalId: string): GraphObject[] {
  const own = ctx.tenant.assignmentsOfPrincipal(principalId);
  if (ctx.tenant.get("user", principalId) === undefined) return own;
  const viaGroups = [...ctx.tenant.groupsOf(principalId)]
    .filter((groupId) => ctx.visible(groupId))
    .flatMap((groupId) => ctx.tenant.assignmentsOfPrincipal(groupId));
  return viaGroups.length === 0 ? own : [...own, ...viaGroups];
}

/** `$expand=appRoleAssignments` on a user, group or app: cut at `expandLimit` with no nextLink. */
export function expandedAssignments(ctx: RouteContext, principalId: string, option: ExpandOption): unknown {
  const project = compileProjection(appRoleAssignmentSpec, option.select);
  return assignmentsGrantedTo(ctx, principalId).slice(0, expandLimit(ctx)).map(project);
}

function assignmentList(ctx: RouteContext, items: GraphObject[], fragment: string): GraphReply {
  return listReply(ctx, items, { spec: appRoleAssignmentSpec, fragment, byOffset: true });
}

/**
 * Checks and records one assignment of `principalId` to an app role of `sp`. Graph's messages for a
 * duplicate ("Permission being assigned already exists on the object") and an unknown role are the
 * service's; the role must be declared (and enabled) on the app, or be the default access role.
 */
function createAssignment(ctx: RouteContext, body: Record<string, unknown>, sp: GraphObject): GraphObject {
  for (const key of Object.keys(body)) {
    if (!key.startsWith("@odata.") && !["principalId", "resourceId", "appRoleId"].includes(key)) {
      throw graphErrors.unknownProperty(key, "microsoft.graph.appRoleAssignment");
    }
  }
  const principalId = requireString(body, "principalId", "AppRoleAssignment");
  const appRoleId = requireString(body, "appRoleId", "AppRoleAssignment");
  const principal = ctx.tenant.getPrincipal(principalId);
  if (!principal || !ctx.visible(principalId)) throw graphErrors.notFound(principalId);
  const roles = (sp["appRoles"] as { id: string; isEnabled?: boolean }[] | undefined) ?? [];
  if (appRoleId !== DEFAULT_ACCESS_ROLE && !roles.some((r) => r.id === appRoleId && r.isEnabled !== false)) {
    throw graphErrors.badRequest(`Permission being assigned was not found on application '${sp["appId"]}'.`);
  }
  const duplicate = ctx.tenant
    .assignmentsOfResource(sp.id)
    .some((a) => a["principalId"] === principalId && a["appRoleId"] === appRoleId);
  if (duplicate) throw graphErrors.badRequest("Permission being assigned already exists on the object");
  return ctx.tenant.insert("appRoleAssignment", {
    id: Buffer.from(randomUUID().replaceAll("-", "") + randomUUID().replaceAll("-", ""), "hex")
      .toString("base64url")
      .slice(0, 43),
    appRoleId,
    createdDateTime: isoSeconds(ctx.now()),
    principalDisplayName: principal.object["displayName"],
    principalId,
    principalType: PRINCIPAL_TYPE[principal.kind],
    resourceDisplayName: sp["displayName"],
    resourceId: sp.id,
  });
}

function createdAssignment(ctx: RouteContext, assignment: GraphObject, fragment: string): GraphReply {
  const body = compileProjection(appRoleAssignmentSpec, undefined)(assignment);
  return { status: 201, body: { "@odata.context": `${ctx.base}/$metadata#${fragment}/$entity`, ...body } };
}

function deleteAssignment(ctx: RouteContext, belongs: (assignment: GraphObject) => boolean): GraphReply {
  const id = ctx.params["assignmentId"] as string;
  const assignment = ctx.tenant.get("appRoleAssignment", id);
  if (!assignment || !belongs(assignment)) throw graphErrors.notFound(id);
  ctx.tenant.hardDelete("appRoleAssignment", id);
  return noContent();
}
