/**
 * Role-based access control through /roleManagement/directory (docs/graph.md#roles-and-apps):
 * roleDefinitions (list, get), roleAssignments (list with $filter on principalId / roleDefinitionId,
 * get, POST 201, DELETE 204). Eligibility (PIM) lives in role-eligibility.ts.
 *
 * An assignment at directory scope "/" is what makes its principal a member of the matching directory
 * role; creating one for a role that is not yet activated activates it, as the service does.
 */
import { roleAssignments, roleDefinitions } from "../odata/index.ts";
import type { TenantModel } from "../tenant/model.ts";
import { activateRole, directoryRoleFor } from "../tenant/roles.ts";
import type { GraphObject } from "../tenant/types.ts";
import { GraphError, graphErrors } from "./errors.ts";
import { PERMISSIONS } from "./permissions.ts";
import { registerReadRoutes } from "./read-routes.ts";
import { noContent } from "./respond.ts";
import type { RouteContext, Router } from "./router.ts";
import { requireString } from "./validate.ts";

const BASE = "/roleManagement/directory";

/** A fresh id in the shape Graph gives role assignments (base64url, 43 characters, then "-1"). */
export function newRoleAssignmentId(): string {
  return `${Buffer.from(crypto.getRandomValues(new Uint8Array(32)))
    .toString("base64url")
    .slice(0, 43)}-1`;
}

/** Graph's answer when the same principal already holds the same role at the same scope. */
export function conflictingObject(): GraphError {
  const message =
    "A conflicting object with one or more of the specified property values is present in the directory.";
  return new GraphError(400, "Request_BadRequest", message, {
    details: [{ code: "ObjectConflict", message }],
  });
}

/** Role assignments of a principal at directory scope for a role, if any. */
export function findAssignment(
  tenant: TenantModel,
  principalId: string,
  roleDefinitionId: string,
): GraphObject | undefined {
  return tenant
    .roleAssignmentsOf(principalId)
    .find((a) => a["roleDefinitionId"] === roleDefinitionId && a["directoryScopeId"] === "/");
}

/**
 * Assigns a role at directory scope "/": checks the definition and principal exist and the assignment
 * is new, activates the role if needed, and records the assignment.
 */
export function assignRole(ctx: RouteContext, principalId: string, roleDefinitionId: string): GraphObject {
  const definition = ctx.tenant.get("roleDefinition", roleDefinitionId);
  if (!definition) throw graphErrors.notFound(roleDefinitionId);
  const principal = ctx.tenant.getPrincipal(principalId);
  if (!principal || !ctx.visible(principalId)) throw graphErrors.notFound(principalId);
  if (principal.kind === "group" && principal.object["isAssignableToRole"] !== true) {
    throw graphErrors.badRequest(
      "Only groups with isAssignableToRole set to true can be assigned to a role.",
    );
  }
  if (findAssignment(ctx.tenant, principalId, roleDefinitionId)) throw conflictingObject();
  if (!directoryRoleFor(ctx.tenant, definition["templateId"] as string))
    activateRole(ctx.tenant, definition, crypto.randomUUID());
  return ctx.tenant.insert("roleAssignment", {
    id: newRoleAssignmentId(),
    principalId,
    roleDefinitionId,
    directoryScopeId: "/",
  });
}

export function registerRoleManagementRoutes(router: Router): void {
  for (const [name, kind, spec] of [
    ["roleDefinitions", "roleDefinition", roleDefinitions],
    ["roleAssignments", "roleAssignment", roleAssignments],
  ] as const) {
    registerReadRoutes(router, { path: `${BASE}/${name}`, kind, spec, permissions: PERMISSIONS.rolesRead });
  }
  router.add({
    method: "POST",
    path: `${BASE}/roleAssignments`,
    permissions: PERMISSIONS.rolesWrite,
    handler: (ctx) => {
      const body = ctx.json();
      for (const key of Object.keys(body)) {
        if (
          !key.startsWith("@odata.") &&
          !["principalId", "roleDefinitionId", "directoryScopeId"].includes(key)
        ) {
          throw graphErrors.unknownProperty(key, "microsoft.graph.unifiedRoleAssignment");
        }
      }
      const principalId = requireString(body, "principalId", "UnifiedRoleAssignment");
      const roleDefinitionId = requireString(body, "roleDefinitionId", "UnifiedRoleAssignment");
      const scope = requireString(body, "directoryScopeId", "UnifiedRoleAssignment");
      // Administrative-unit and app scopes are not modelled: only the tenant-wide scope is accepted.
      if (scope !== "/") throw graphErrors.invalidValue("directoryScopeId", "UnifiedRoleAssignment");
      const assignment = assignRole(ctx, principalId, roleDefinitionId);
      return {
        status: 201,
        headers: { Location: `${ctx.base}${BASE}/roleAssignments/${assignment.id}` },
        body: {
          "@odata.context": `${ctx.base}/$metadata#roleManagement/directory/roleAssignments/$entity`,
          ...assignmentBody(assignment),
        },
      };
    },
  });
  router.add({
    method: "DELETE",
    path: `${BASE}/roleAssignments/{id}`,
    permissions: PERMISSIONS.rolesWrite,
    handler: (ctx) => {
      const assignment = ctx.lookup("roleAssignment", ctx.params["id"] as string);
      ctx.tenant.hardDelete("roleAssignment", assignment.id);
      return noContent();
    },
  });
}

function assignmentBody(assignment: GraphObject): Record<string, unknown> {
  return {
    id: assignment.id,
    principalId: assignment["principalId"],
    resourceScope: "/",
    directoryScopeId: assignment["directoryScopeId"],
    roleDefinitionId: assignment["roleDefinitionId"],
    appScopeId: null,
  };
}
