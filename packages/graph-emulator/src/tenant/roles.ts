/**
 * Directory-role objects as the generator, `mutate` and the routes all create them, so a role looks the
 * same whoever made it, and the one rule for who is a directory role's member.
 */
import type { TenantModel } from "./model.ts";
import { isoSeconds } from "./time.ts";
import type { GraphObject } from "./types.ts";

/** The activated directoryRole for a role template, if any. */
export function directoryRoleFor(model: TenantModel, templateId: string): GraphObject | undefined {
  return model.list("directoryRole").find((r) => r["roleTemplateId"] === templateId);
}

/** Activates a built-in role: creates its directoryRole object from the definition. */
export function activateRole(model: TenantModel, definition: GraphObject, id: string): GraphObject {
  return model.insert("directoryRole", {
    id,
    description: definition["description"],
    displayName: definition["displayName"],
    roleTemplateId: definition["templateId"] ?? definition.id,
  });
}

/**
 * Members of a directory role: the principals with a tenant-wide ("/") assignment of its template.
 * A deleted principal holds no assignments (TenantModel.softDelete), so every id here is live.
 */
export function directoryRoleMemberIds(model: TenantModel, templateId: unknown): string[] {
  const out: string[] = [];
  for (const assignment of model.list("roleAssignment")) {
    if (assignment["roleDefinitionId"] === templateId && assignment["directoryScopeId"] === "/") {
      out.push(assignment["principalId"] as string);
    }
  }
  return out;
}

/** A PIM scheduleInfo: from `start`, until `endMs` or with no expiration. */
export function scheduleInfo(start: number, endMs?: number): Record<string, unknown> {
  return {
    startDateTime: isoSeconds(start),
    recurrence: null,
    expiration:
      endMs === undefined
        ? { type: "noExpiration", endDateTime: null, duration: null }
        : { type: "afterDateTime", endDateTime: isoSeconds(endMs), duration: null },
  };
}

/** A provisioned, direct roleEligibilitySchedule at tenant scope. */
export function eligibilitySchedule(fields: {
  id: string;
  principalId: string;
  roleDefinitionId: string;
  created: number;
  scheduleInfo: Record<string, unknown>;
}): GraphObject {
  return {
    id: fields.id,
    principalId: fields.principalId,
    roleDefinitionId: fields.roleDefinitionId,
    directoryScopeId: "/",
    appScopeId: null,
    createdUsing: null,
    createdDateTime: isoSeconds(fields.created),
    modifiedDateTime: null,
    status: "Provisioned",
    memberType: "Direct",
    scheduleInfo: fields.scheduleInfo,
  };
}
