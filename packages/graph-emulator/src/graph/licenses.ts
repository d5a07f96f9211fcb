/**
 * Licences (docs/graph.md#licenses): GET /subscribedSkus (only $select), POST /users/{id}/assignLicense
 * and GET /users/{id}/licenseDetails. Seat counts stay consistent: the model moves `consumedUnits` with
 * every assignment, and an assignment that would pass `prepaidUnits.enabled` is refused.
 *
 * Messages: the usage-location one is Graph's (docs/graph.md#errors); "User does not have a
 * corresponding license." and "License … does not correspond to a valid company License." are the
 * service's as quoted in public issues; the no-free-seats wording is unconfirmed.
 */
import { createHash } from "node:crypto";
import { type ResourceSpec, subscribedSkus, users } from "../odata/index.ts";
import { many, one } from "../odata/resource-spec.ts";
import type { GraphObject } from "../tenant/types.ts";
import { listReply, objectReply } from "./collection.ts";
import { graphErrors } from "./errors.ts";
import { PERMISSIONS } from "./permissions.ts";
import { registerReadRoutes } from "./read-routes.ts";
import type { RouteContext, Router } from "./router.ts";
import { findUser } from "./users.ts";

interface AssignedLicense {
  skuId: string;
  disabledPlans: string[];
}

interface ServicePlan {
  servicePlanId: string;
  servicePlanName: string;
  provisioningStatus: string;
  appliesTo: string;
}

const licenseDetailsSpec: ResourceSpec = {
  name: "licenseDetails",
  entityType: "microsoft.graph.licenseDetails",
  label: "LicenseDetails",
  properties: {
    id: one("String"),
    servicePlans: many("Complex"),
    skuId: one("Guid"),
    skuPartNumber: one("String"),
  },
  defaultSelect: ["id", "servicePlans", "skuId", "skuPartNumber"],
  idPosition: "first",
  options: new Set(["$select", "$top", "$skiptoken"]),
  sortable: { default: new Set(), advanced: new Set() },
  expandable: new Set(),
  pageSize: { default: 100, max: 999 },
};

export function registerLicenseRoutes(router: Router): void {
  registerReadRoutes(router, {
    path: "/subscribedSkus",
    kind: "subscribedSku",
    spec: subscribedSkus,
    permissions: PERMISSIONS.licensesRead,
    listCost: 3,
  });
  router.add({
    method: "GET",
    path: "/users/{key}/licenseDetails",
    permissions: PERMISSIONS.licensesRead,
    cost: 2,
    handler: (ctx) => {
      const user = findUser(ctx, ctx.params["key"] as string);
      return listReply(ctx, licenseDetailsOf(ctx, user), {
        spec: licenseDetailsSpec,
        fragment: `users('${ctx.params["key"]}')/licenseDetails`,
        byOffset: true,
      });
    },
  });
  router.add({
    method: "POST",
    path: "/users/{key}/assignLicense",
    permissions: PERMISSIONS.licensesWrite,
    handler: (ctx) => {
      const user = findUser(ctx, ctx.params["key"] as string);
      const { add, remove } = parseAssignLicense(ctx.json());
      checkAssignment(ctx, user, add, remove);
      ctx.tenant.assignLicenses(user.id, add, remove);
      return objectReply(ctx, user, { spec: users, fragment: "users" });
    },
  });
}

/** Both arrays are required (clients send the unused one empty), each entry well formed. */
function parseAssignLicense(body: Record<string, unknown>): { add: AssignedLicense[]; remove: string[] } {
  for (const key of Object.keys(body)) {
    if (key !== "addLicenses" && key !== "removeLicenses")
      throw graphErrors.unknownProperty(key, "microsoft.graph.user");
  }
  const { addLicenses, removeLicenses } = body;
  if (!Array.isArray(addLicenses)) throw graphErrors.invalidValue("addLicenses", "User");
  if (!Array.isArray(removeLicenses)) throw graphErrors.invalidValue("removeLicenses", "User");
  const add = addLicenses.map((entry): AssignedLicense => {
    if (typeof entry !== "object" || entry === null) throw graphErrors.invalidValue("addLicenses", "User");
    const { skuId, disabledPlans = [] } = entry as Record<string, unknown>;
    if (
      typeof skuId !== "string" ||
      !Array.isArray(disabledPlans) ||
      disabledPlans.some((p) => typeof p !== "string")
    ) {
      throw graphErrors.invalidValue("addLicenses", "User");
    }
    return { skuId: skuId.toLowerCase(), disabledPlans: disabledPlans as string[] };
  });
  if (removeLicenses.some((s) => typeof s !== "string"))
    throw graphErrors.invalidValue("removeLicenses", "User");
  return { add, remove: (removeLicenses as string[]).map((s) => s.toLowerCase()) };
}

function checkAssignment(
  ctx: RouteContext,
  user: GraphObject,
  add: AssignedLicense[],
  remove: string[],
): void {
  const held = new Set(
    ((user["assignedLicenses"] as AssignedLicense[] | undefined) ?? []).map((l) => l.skuId),
  );
  for (const skuId of remove) {
    if (!held.has(skuId)) throw graphErrors.badRequest("User does not have a corresponding license.");
  }
  for (const license of add) {
    const sku = ctx.tenant.skuBySkuId(license.skuId);
    if (!sku)
      throw graphErrors.badRequest(
        `License ${license.skuId} does not correspond to a valid company License.`,
      );
    const plans = new Set((sku["servicePlans"] as ServicePlan[]).map((p) => p.servicePlanId));
    if (license.disabledPlans.some((p) => !plans.has(p)))
      throw graphErrors.invalidValue("disabledPlans", "User");
  }
  if (add.length > 0 && typeof user["usageLocation"] !== "string") {
    throw graphErrors.badRequest("License assignment cannot be done for user with invalid usage location.");
  }
  for (const license of add) {
    if (held.has(license.skuId) && !remove.includes(license.skuId)) continue;
    const sku = ctx.tenant.skuBySkuId(license.skuId) as GraphObject;
    const consumed = sku["consumedUnits"] as number;
    const enabled = (sku["prepaidUnits"] as { enabled: number }).enabled;
    if (consumed >= enabled) {
      throw graphErrors.badRequest(
        `License assignment failed: no free seats remain for '${sku["skuPartNumber"]}' (${consumed} of ${enabled} in use).`,
      );
    }
  }
}

/** Direct licences and those inherited from groups the user is a direct member of (group-based licensing). */
function licenseDetailsOf(ctx: RouteContext, user: GraphObject): GraphObject[] {
  const licenses = new Map<string, AssignedLicense>();
  for (const license of (user["assignedLicenses"] as AssignedLicense[] | undefined) ?? [])
    licenses.set(license.skuId, license);
  for (const groupId of ctx.tenant.groupsOf(user.id)) {
    const inherited =
      (ctx.tenant.get("group", groupId)?.["assignedLicenses"] as AssignedLicense[] | undefined) ?? [];
    for (const license of inherited) if (!licenses.has(license.skuId)) licenses.set(license.skuId, license);
  }
  const out: GraphObject[] = [];
  for (const license of licenses.values()) {
    const sku = ctx.tenant.skuBySkuId(license.skuId);
    if (!sku) continue;
    const disabled = new Set(license.disabledPlans);
    out.push({
      id: createHash("sha256").update(`${user.id}/${license.skuId}`).digest("base64url").slice(0, 43),
      servicePlans: (sku["servicePlans"] as ServicePlan[]).map((plan) => ({
        ...plan,
        provisioningStatus: disabled.has(plan.servicePlanId) ? "Disabled" : plan.provisioningStatus,
      })),
      skuId: license.skuId,
      skuPartNumber: sku["skuPartNumber"],
    });
  }
  return out;
}
