import type { Relation, ResourceKind } from "./types.ts";

/** The app role id Graph uses for "assigned, no specific role" (docs/graph.md#roles-and-apps). */
export const DEFAULT_APP_ROLE_ID = "00000000-0000-0000-0000-000000000000";

const OBJECT_KIND: Record<Relation, ResourceKind> = {
  "group:member": "group",
  "group:owner": "group",
  "app:assigned": "app",
  "app:owner": "app",
  "role:assigned": "role",
  "role:eligible": "role",
  "license:assigned": "license",
};

/** The kind of the object a relation is on (a membership is on a group, a licence assignment on a SKU). */
export function objectKindOf(relation: Relation): ResourceKind {
  return OBJECT_KIND[relation];
}

/** Relations whose object is of `kind`: removed with the object when it is deleted. */
export function relationsOn(kind: ResourceKind): Relation[] {
  return (Object.keys(OBJECT_KIND) as Relation[]).filter((r) => OBJECT_KIND[r] === kind);
}

/** Whether holders of this relation through a group pass it on to the group's (transitive) members. */
export function inheritsThroughGroups(relation: Relation): boolean {
  return !relation.endsWith(":owner");
}

/** The entitlement an edge grants: one per app role for app assignments, else the relation itself. */
export function entitlementOf(relation: Relation, qualifier: string): string {
  if (relation === "app:assigned" && qualifier !== "" && qualifier !== DEFAULT_APP_ROLE_ID) {
    return `app:role:${qualifier}`;
  }
  return relation;
}

/** The columns queries search by: a display name and the kind's principal name. */
export function displayColumns(
  kind: ResourceKind,
  data: Record<string, unknown>,
): { displayName: string | null; principalName: string | null } {
  const text = (key: string): string | null => {
    const value = data[key];
    return typeof value === "string" ? value : null;
  };
  switch (kind) {
    case "user":
      return { displayName: text("displayName"), principalName: text("userPrincipalName") };
    case "group":
      return { displayName: text("displayName"), principalName: text("mail") ?? text("mailNickname") };
    case "app":
      return { displayName: text("displayName"), principalName: text("appId") };
    case "role":
      return {
        displayName: text("displayName"),
        principalName: text("roleTemplateId") ?? text("templateId"),
      };
    case "license":
      return { displayName: text("skuPartNumber"), principalName: text("skuId") };
  }
}

/** Strips Graph's `#microsoft.graph.` prefix from an `@odata.type`. */
export function principalTypeOf(odataType: string | undefined): string {
  if (!odataType) return "unknown";
  return odataType.replace(/^#?microsoft\.graph\./, "");
}
