/**
 * Enterprise apps (service principals), managed identities among them, their app role assignments
 * (`appRoleAssignedTo`, paged: an `$expand` of it is cut at 20 — docs/graph.md#roles-and-apps) and owners.
 */
import type { Edge, Resource } from "../store/types.ts";
import { normalise, objectType, type PropertySpec } from "./properties.ts";

export const APP_PROPERTIES: readonly PropertySpec[] = [
  { name: "appId" },
  { name: "displayName" },
  { name: "servicePrincipalType" },
  { name: "accountEnabled" },
  { name: "appOwnerOrganizationId" },
  { name: "appRoleAssignmentRequired" },
  { name: "appRoles", collection: true },
  { name: "tags", collection: true },
];

export const APP_REQUIRED: readonly string[] = ["appId", "displayName", "servicePrincipalType", "appRoles"];

/** The app role id Graph uses for "assigned without a specific role". */
export const DEFAULT_ACCESS_ROLE = "00000000-0000-0000-0000-000000000000";

export function appResource(raw: Record<string, unknown>, props: readonly PropertySpec[]): Resource {
  return { kind: "app", id: String(raw["id"]), data: normalise(raw, props) };
}

export function isManagedIdentity(raw: Record<string, unknown>): boolean {
  return raw["servicePrincipalType"] === "ManagedIdentity";
}

/** An `appRoleAssignedTo` item as an `app:assigned` edge on the service principal. */
export function assignmentEdge(appId: string, a: Record<string, unknown>): Edge {
  const appRoleId = typeof a["appRoleId"] === "string" ? a["appRoleId"] : DEFAULT_ACCESS_ROLE;
  const principalType = typeof a["principalType"] === "string" ? a["principalType"] : "directoryObject";
  return {
    relation: "app:assigned",
    objectId: appId,
    principalId: String(a["principalId"]),
    principalType: principalType.charAt(0).toLowerCase() + principalType.slice(1),
    qualifier: appRoleId,
    data: { assignmentId: a["id"] ?? null },
  };
}

export function appOwnerEdge(appId: string, owner: Record<string, unknown>): Edge {
  return {
    relation: "app:owner",
    objectId: appId,
    principalId: String(owner["id"]),
    principalType: objectType(owner),
  };
}
