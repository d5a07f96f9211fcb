/**
 * Role definitions (the `role` resources: assignments name a definition id, which for built-in roles
 * is also the template id of the activated `directoryRoles`), active role assignments (`roleManagement/directory/roleAssignments`) and PIM eligibility
 * (`roleEligibilitySchedules`: 403 without an Entra ID P2 licence — graph-behaviour.md §7).
 */
import type { Edge, Resource } from "../store/types.ts";

export const ROLE_DEFINITIONS_PATH =
  "/roleManagement/directory/roleDefinitions?$select=id,displayName,description,templateId,isBuiltIn,isEnabled";
export const ROLE_ASSIGNMENTS_PATH =
  "/roleManagement/directory/roleAssignments?$select=id,principalId,roleDefinitionId,directoryScopeId";
export const ROLE_ELIGIBILITY_PATH = "/roleManagement/directory/roleEligibilitySchedules";

export function roleResource(raw: Record<string, unknown>): Resource {
  return {
    kind: "role",
    id: String(raw["id"]),
    data: {
      id: raw["id"],
      displayName: raw["displayName"] ?? null,
      description: raw["description"] ?? null,
      templateId: raw["templateId"] ?? null,
      isBuiltIn: raw["isBuiltIn"] ?? null,
      isEnabled: raw["isEnabled"] ?? null,
    },
  };
}

function roleEdge(
  relation: "role:assigned" | "role:eligible",
  raw: Record<string, unknown>,
  data: object,
): Edge {
  return {
    relation,
    objectId: String(raw["roleDefinitionId"]),
    principalId: String(raw["principalId"]),
    principalType: "directoryObject",
    data: { ...data, directoryScopeId: raw["directoryScopeId"] ?? "/" },
  };
}

export function activeAssignmentEdge(raw: Record<string, unknown>): Edge {
  return roleEdge("role:assigned", raw, { assignmentId: raw["id"] ?? null });
}

export function eligibilityEdge(raw: Record<string, unknown>): Edge {
  return roleEdge("role:eligible", raw, {
    scheduleId: raw["id"] ?? null,
    status: raw["status"] ?? null,
    scheduleInfo: raw["scheduleInfo"] ?? null,
  });
}
