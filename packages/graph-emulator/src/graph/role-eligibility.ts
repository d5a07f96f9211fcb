/**
 * Privileged Identity Management for directory roles (docs/graph.md#roles-and-apps):
 * GET /roleManagement/directory/roleEligibilitySchedules (+ /{id}) and
 * POST /roleManagement/directory/roleEligibilityScheduleRequests with action adminAssign / adminRemove.
 * A tenant without Entra ID P2 (generator option `p2: false`) answers 403 on all of them.
 *
 * Error codes RoleAssignmentExists / RoleAssignmentDoesNotExist and AadPremiumLicenseRequired are the
 * PIM service's; their exact wording is unconfirmed.
 */
import { roleEligibilitySchedules } from "../odata/index.ts";
import { eligibilitySchedule } from "../tenant/roles.ts";
import { isoSeconds } from "../tenant/time.ts";
import type { GraphObject } from "../tenant/types.ts";
import { GraphError, graphErrors } from "./errors.ts";
import { PERMISSIONS } from "./permissions.ts";
import { registerReadRoutes } from "./read-routes.ts";
import type { RouteContext, Router } from "./router.ts";
import { requireString } from "./validate.ts";

const BASE = "/roleManagement/directory";
const RESOURCE = "UnifiedRoleEligibilityScheduleRequest";
const FIELDS = new Set([
  "action",
  "principalId",
  "roleDefinitionId",
  "directoryScopeId",
  "justification",
  "scheduleInfo",
  "ticketInfo",
]);

function requireP2(ctx: RouteContext): void {
  if (!ctx.tenant.info.hasP2) {
    throw new GraphError(
      403,
      "AadPremiumLicenseRequired",
      "The tenant needs to have a Microsoft Entra ID P2 or Microsoft Entra ID Governance license.",
    );
  }
}

export function registerRoleEligibilityRoutes(router: Router): void {
  registerReadRoutes(router, {
    path: `${BASE}/roleEligibilitySchedules`,
    kind: "roleEligibilitySchedule",
    spec: roleEligibilitySchedules,
    permissions: PERMISSIONS.eligibilityRead,
    guard: requireP2,
  });
  router.add({
    method: "POST",
    path: `${BASE}/roleEligibilityScheduleRequests`,
    permissions: PERMISSIONS.eligibilityWrite,
    handler: (ctx) => {
      requireP2(ctx);
      const body = ctx.json();
      for (const key of Object.keys(body)) {
        if (!key.startsWith("@odata.") && !FIELDS.has(key))
          throw graphErrors.unknownProperty(key, `microsoft.graph.${RESOURCE}`);
      }
      const action = requireString(body, "action", RESOURCE);
      const principalId = requireString(body, "principalId", RESOURCE);
      const roleDefinitionId = requireString(body, "roleDefinitionId", RESOURCE);
      const scope = requireString(body, "directoryScopeId", RESOURCE);
      if (scope !== "/") throw graphErrors.invalidValue("directoryScopeId", RESOURCE);
      if (!ctx.tenant.get("roleDefinition", roleDefinitionId)) throw graphErrors.notFound(roleDefinitionId);
      const existing = ctx.tenant
        .list("roleEligibilitySchedule")
        .find((s) => s["principalId"] === principalId && s["roleDefinitionId"] === roleDefinitionId);
      const now = ctx.now();
      let schedule: GraphObject;
      let status: string;
      if (action === "adminAssign") {
        const principal = ctx.tenant.getPrincipal(principalId);
        if (!principal || principal.kind === "servicePrincipal" || !ctx.visible(principalId)) {
          throw graphErrors.notFound(principalId);
        }
        if (existing)
          throw new GraphError(400, "RoleAssignmentExists", "The Role assignment already exists.");
        schedule = ctx.tenant.insert(
          "roleEligibilitySchedule",
          eligibilitySchedule({
            id: crypto.randomUUID(),
            principalId,
            roleDefinitionId,
            created: now,
            scheduleInfo: requestedSchedule(body["scheduleInfo"], now),
          }),
        );
        status = "Provisioned";
      } else if (action === "adminRemove") {
        if (!existing)
          throw new GraphError(400, "RoleAssignmentDoesNotExist", "The Role assignment does not exist.");
        ctx.tenant.hardDelete("roleEligibilitySchedule", existing.id);
        schedule = existing;
        status = "Revoked";
      } else {
        throw graphErrors.invalidValue("action", RESOURCE);
      }
      return {
        status: 201,
        body: {
          "@odata.context": `${ctx.base}/$metadata#roleManagement/directory/roleEligibilityScheduleRequests/$entity`,
          id: crypto.randomUUID(),
          status,
          createdDateTime: isoSeconds(now),
          completedDateTime: isoSeconds(now),
          approvalId: null,
          customData: null,
          createdBy: { application: null, device: null, user: null },
          action,
          principalId,
          roleDefinitionId,
          directoryScopeId: "/",
          appScopeId: null,
          isValidationOnly: false,
          targetScheduleId: schedule.id,
          justification: typeof body["justification"] === "string" ? body["justification"] : null,
          scheduleInfo: schedule["scheduleInfo"],
          ticketInfo: { ticketNumber: null, ticketSystem: null },
        },
      };
    },
  });
}

/** A request's scheduleInfo, defaulting to "from now, no expiration"; a bad expiration type is refused. */
function requestedSchedule(raw: unknown, now: number): Record<string, unknown> {
  const info = typeof raw === "object" && raw !== null ? (raw as Record<string, unknown>) : {};
  const expiration =
    typeof info["expiration"] === "object" && info["expiration"] !== null
      ? (info["expiration"] as Record<string, unknown>)
      : { type: "noExpiration" };
  const type = expiration["type"] ?? "noExpiration";
  if (type !== "noExpiration" && type !== "afterDateTime" && type !== "afterDuration") {
    throw graphErrors.invalidValue("scheduleInfo", RESOURCE);
  }
  if (type === "afterDateTime" && Number.isNaN(Date.parse(String(expiration["endDateTime"])))) {
    throw graphErrors.invalidValue("scheduleInfo", RESOURCE);
  }
  return {
    startDateTime: typeof info["startDateTime"] === "string" ? info["startDateTime"] : isoSeconds(now),
    recurrence: null,
    expiration: {
      type,
      endDateTime: type === "afterDateTime" ? expiration["endDateTime"] : null,
      duration: type === "afterDuration" ? (expiration["duration"] ?? null) : null,
    },
  };
}
