/**
 * Users: the properties an identity team needs, and the licence assignments carried on each user
 * (`assignedLicenses` holds direct and group-based assignments, so licences cost no extra request —
 * graph-behaviour.md §6).
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

export function userResource(raw: Record<string, unknown>, props: readonly PropertySpec[]): Resource {
  return { kind: "user", id: String(raw["id"]), data: normalise(raw, props) };
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
