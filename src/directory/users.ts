/**
 * Users: the properties an identity team needs, their manager's id, and the licence assignments
 * carried on each user (`assignedLicenses` holds direct and group-based assignments, so licences cost
 * no extra request — docs/graph.md#licenses).
 *
 * The manager is a relationship, not a property: `$select` cannot name it, so lists read it with
 * `$expand=manager($select=id)` (one relationship per request, §8) and delta, which refuses `$expand`
 * (§9), cannot carry it at all. It is stored as `managerId` on the user, null when there is none.
 */
import type { Edge, Resource } from "../store/types.ts";
import { normalise, type PropertySpec } from "./properties.ts";

export const USER_PROPERTIES: readonly PropertySpec[] = [
  { name: "displayName" },
  { name: "userPrincipalName" },
  { name: "mail" },
  { name: "givenName" },
  { name: "surname" },
  { name: "jobTitle" },
  { name: "department" },
  { name: "companyName" },
  { name: "employeeId" },
  { name: "officeLocation" },
  { name: "mobilePhone" },
  { name: "businessPhones", collection: true },
  { name: "accountEnabled" },
  { name: "userType" },
  { name: "usageLocation" },
  { name: "createdDateTime" },
  { name: "onPremisesSyncEnabled" },
  { name: "assignedLicenses", collection: true },
];

/** Properties the connector relies on whatever the user selects. */
export const USER_REQUIRED: readonly string[] = [
  "displayName",
  "userPrincipalName",
  "accountEnabled",
  "assignedLicenses",
];

/** `$expand` of the manager, one id: a user without a manager has it null or left out. */
export const MANAGER_EXPAND = "$expand=manager($select=id)";

/** The manager's id from a user read with `MANAGER_EXPAND`; null when the user has none. */
export function managerIdOf(raw: Record<string, unknown>): string | null {
  const manager = raw["manager"] as { id?: unknown } | null | undefined;
  return typeof manager?.id === "string" ? manager.id : null;
}

/**
 * A user as stored: the selected properties and `managerId`.
 *
 * @example userResource({ id: "u1", displayName: "Ann" }, USER_PROPERTIES, "m1").data.managerId // "m1"
 */
export function userResource(
  raw: Record<string, unknown>,
  props: readonly PropertySpec[],
  managerId: string | null,
): Resource {
  return { kind: "user", id: String(raw["id"]), data: { ...normalise(raw, props), managerId } };
}

/** SKU ids assigned to the user, sorted and de-duplicated. */
export function assignedSkuIds(raw: Record<string, unknown>): string[] {
  const value = raw["assignedLicenses"];
  if (!Array.isArray(value)) return [];
  const ids = new Set<string>();
  for (const l of value) {
    const sku = (l as { skuId?: unknown } | null)?.skuId;
    if (typeof sku === "string") ids.add(sku);
  }
  return [...ids].sort();
}

/** `license:assigned` edges for a user's current licences. */
export function licenceEdges(userId: string, skuIds: readonly string[]): Edge[] {
  return skuIds.map((skuId) => ({
    relation: "license:assigned",
    objectId: skuId,
    principalId: userId,
    principalType: "user",
  }));
}
