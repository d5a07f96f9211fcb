import type { TenantModel } from "./model.ts";
import { directoryRoleMemberIds } from "./roles.ts";
import type { GraphObject } from "./types.ts";

const ODATA_TYPES: Record<string, string> = {
  user: "#microsoft.graph.user",
  group: "#microsoft.graph.group",
  servicePrincipal: "#microsoft.graph.servicePrincipal",
};

/**
 * The whole tenant as JSON with Graph property names (the control API's `GET snapshot`): each group
 * carries `members` and `owners` id lists, each service principal its `appRoleAssignedTo`, each user its
 * `manager` id. Tests compare a connector's store against this.
 */
export function snapshotOf(model: TenantModel): Record<string, unknown> {
  const copy = (o: GraphObject) => ({ ...o });
  return {
    tenantId: model.info.id,
    users: model.list("user").map((u) => {
      const manager = model.managerOf(u.id);
      return manager === undefined ? copy(u) : { ...u, manager };
    }),
    groups: model.list("group").map((g) => ({
      ...g,
      members: [...model.membersOf(g.id)],
      owners: [...model.ownersOf(g.id)],
    })),
    servicePrincipals: model.list("servicePrincipal").map((sp) => ({
      ...sp,
      owners: [...model.ownersOf(sp.id)],
      appRoleAssignedTo: model.assignmentsOfResource(sp.id).map(copy),
    })),
    applications: model.list("application").map(copy),
    directoryRoles: model.list("directoryRole").map((role) => ({
      ...role,
      members: directoryRoleMemberIds(model, role["roleTemplateId"]),
    })),
    roleDefinitions: model.list("roleDefinition").map(copy),
    roleAssignments: model.list("roleAssignment").map(copy),
    roleEligibilitySchedules: model.list("roleEligibilitySchedule").map(copy),
    subscribedSkus: model.list("subscribedSku").map(copy),
    deletedItems: model
      .deletedItems()
      .map((r) => ({ "@odata.type": ODATA_TYPES[r.kind] ?? r.kind, ...r.object })),
  };
}
