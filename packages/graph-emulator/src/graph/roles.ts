/**
 * Directory roles (docs/graph.md#roles-and-apps): GET /directoryRoles lists activated roles only, takes no
 * query options and does not page; a role is addressed by id or as `roleTemplateId={templateId}`.
 * Members are the principals holding a directory-scope role assignment for the role's template, so
 * /directoryRoles/{id}/members and /roleManagement/directory/roleAssignments always agree. A deleted
 * principal is no member: Entra drops a deleted user's assignments from every live view and brings
 * them back on restore, which the model does (TenantModel.softDelete), so no route filters them.
 * POST /directoryRoles activates a role from its template; members can be added and removed by $ref.
 */
import { directoryRoles } from "../odata/index.ts";
import { activateRole, directoryRoleFor, directoryRoleMemberIds } from "../tenant/roles.ts";
import type { GraphObject } from "../tenant/types.ts";
import { listReply, objectReply } from "./collection.ts";
import { directoryObjectsReply } from "./directory-objects.ts";
import { graphErrors } from "./errors.ts";
import { PERMISSIONS } from "./permissions.ts";
import { noContent } from "./respond.ts";
import { assignRole, findAssignment } from "./role-management.ts";
import type { RouteContext, Router } from "./router.ts";
import { idFromReference, requireString } from "./validate.ts";

const OPTIONS = { spec: directoryRoles, fragment: "directoryRoles" };

/** The role a path addresses: `{id}` or `roleTemplateId={templateId}`. */
function roleOf(ctx: RouteContext): GraphObject {
  const templateId = ctx.params["templateId"];
  if (templateId !== undefined) {
    const role = directoryRoleFor(ctx.tenant, templateId);
    if (!role) throw graphErrors.notFound(templateId);
    return role;
  }
  return ctx.lookup("directoryRole", ctx.params["id"] as string);
}

function membersOf(ctx: RouteContext, role: GraphObject): GraphObject[] {
  return ctx.tenant.resolvePrincipals(directoryRoleMemberIds(ctx.tenant, role["roleTemplateId"]));
}

export function registerDirectoryRoleRoutes(router: Router): void {
  router.add({
    method: "GET",
    path: "/directoryRoles",
    permissions: PERMISSIONS.rolesRead,
    handler: (ctx) => listReply(ctx, ctx.tenant.list("directoryRole"), OPTIONS),
  });
  for (const key of ["{id}", "roleTemplateId={templateId}"]) {
    router.add({
      method: "GET",
      path: `/directoryRoles/${key}`,
      permissions: PERMISSIONS.rolesRead,
      handler: (ctx) => objectReply(ctx, roleOf(ctx), OPTIONS),
    });
    router.add({
      method: "GET",
      path: `/directoryRoles/${key}/members`,
      permissions: PERMISSIONS.rolesRead,
      handler: (ctx) => directoryObjectsReply(ctx, membersOf(ctx, roleOf(ctx))),
    });
    router.add({
      method: "POST",
      path: `/directoryRoles/${key}/members/$ref`,
      permissions: PERMISSIONS.rolesWrite,
      handler: (ctx) => {
        const role = roleOf(ctx);
        const principalId = idFromReference(ctx.json()["@odata.id"]);
        if (findAssignment(ctx.tenant, principalId, role["roleTemplateId"] as string)) {
          throw graphErrors.badRequest(
            "One or more added object references already exist for the following modified properties: 'members'.",
          );
        }
        assignRole(ctx, principalId, role["roleTemplateId"] as string);
        return noContent();
      },
    });
    router.add({
      method: "DELETE",
      path: `/directoryRoles/${key}/members/{memberId}/$ref`,
      permissions: PERMISSIONS.rolesWrite,
      handler: (ctx) => {
        const role = roleOf(ctx);
        const assignment = findAssignment(
          ctx.tenant,
          ctx.params["memberId"] as string,
          role["roleTemplateId"] as string,
        );
        if (!assignment) {
          throw graphErrors.badRequest(
            "One or more removed object references do not exist for the following modified properties: 'members'.",
          );
        }
        ctx.tenant.hardDelete("roleAssignment", assignment.id);
        return noContent();
      },
    });
  }
  router.add({
    method: "POST",
    path: "/directoryRoles",
    permissions: PERMISSIONS.rolesWrite,
    handler: (ctx) => {
      const templateId = requireString(ctx.json(), "roleTemplateId", "DirectoryRole");
      const definition = ctx.tenant
        .list("roleDefinition")
        .find((d) => d["templateId"] === templateId && d["isBuiltIn"] === true);
      if (!definition) throw graphErrors.invalidValue("roleTemplateId", "DirectoryRole");
      if (directoryRoleFor(ctx.tenant, templateId)) {
        const message =
          "A conflicting object with one or more of the specified property values is present in the directory.";
        throw graphErrors.badRequest(message);
      }
      const reply = objectReply(ctx, activateRole(ctx.tenant, definition, crypto.randomUUID()), OPTIONS);
      return { ...reply, status: 201 };
    },
  });
}
