/**
 * Role definitions (the `role` resources: assignments name a definition id, which for built-in roles
 * is also the template id of the activated `directoryRoles`), active role assignments (`roleManagement/directory/roleAssignments`) and PIM eligibility
 * (`roleEligibilitySchedules`: 403 without an Entra ID P2 licence — docs/graph.md#roles-and-apps).
 */
import type { Edge, PrincipalType, Resource } from "../store/types.ts";

export const ROLE_DEFINITIONS_PATH =
  "/roleManagement/directory/roleDefinitions?$select=id,displayName,description,templateId,isBuiltIn,isEnabled";
export const ROLE_ASSIGNMENTS_PATH =
  "/roleManagement/directory/roleAssignments?$select=id,principalId,roleDefinitionId,directoryScopeId";
export const ROLE_ELIGIBILITY_PATH = "/roleManagement/directory/roleEligibilitySchedules";

/**
 * Assignments and schedules name their principal by id only. Graph can `$expand=principal`, but an
 * inner `$select` on role-management expansions has been answered "InvalidFilter"
 * (microsoft-graph-docs-contrib#9157) and the emulator leaves the expansion empty, so types come from
 * `getByIds`, which takes at most 1,000 ids a call and returns each object with its `@odata.type`.
 */
export const PRINCIPALS_BY_IDS_PATH = "/directoryObjects/getByIds";
export const PRINCIPALS_PER_CALL = 1000;
/** The principals a directory role can be assigned to (users, role-assignable groups, service principals). */
export const PRINCIPAL_TYPES = ["user", "group", "servicePrincipal"] as const;
/** What an edge records when the principal's type could not be learnt (e.g. it was deleted meanwhile). */
export const UNKNOWN_PRINCIPAL = "directoryObject";

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

/** The principal an assignment or eligibility schedule names. */
export function principalIdOf(raw: Record<string, unknown>): string {
  return String(raw["principalId"]);
}

function roleEdge(
  relation: "role:assigned" | "role:eligible",
  raw: Record<string, unknown>,
  principalType: PrincipalType,
  data: object,
): Edge {
  return {
    relation,
    objectId: String(raw["roleDefinitionId"]),
    principalId: principalIdOf(raw),
    principalType,
    data: { ...data, directoryScopeId: raw["directoryScopeId"] ?? "/" },
  };
}

export function activeAssignmentEdge(raw: Record<string, unknown>, principalType: PrincipalType): Edge {
  return roleEdge("role:assigned", raw, principalType, { assignmentId: raw["id"] ?? null });
}

export function eligibilityEdge(raw: Record<string, unknown>, principalType: PrincipalType): Edge {
  return roleEdge("role:eligible", raw, principalType, {
    scheduleId: raw["id"] ?? null,
    status: raw["status"] ?? null,
    scheduleInfo: raw["scheduleInfo"] ?? null,
  });
}
