/** The export kinds and their shapes, whatever the database. */
import { invalidInput } from "./errors.ts";
import type { ExportKind, Relation, ResourceKind } from "./types.ts";

/** Exports of synced objects: the Graph object as synced, `id` included. */
export const OBJECT_EXPORTS: Partial<Record<ExportKind, ResourceKind>> = {
  users: "user",
  groups: "group",
  apps: "app",
  roles: "role",
  licenses: "license",
};

export interface EdgeExport {
  relations: Relation[];
  select: string;
  /** Which end the rows are ordered by first; the scan walks that end's ids in order. */
  by: "object" | "principal";
  /** Tie-breakers after the two ids. */
  tieBreak?: string;
}

/**
 * Exports of relationships, in the shapes the README documents, ordered by the exported ids so two exports
 * of the same data are byte-identical.
 */
export const EDGE_EXPORTS: Partial<Record<ExportKind, EdgeExport>> = {
  memberships: {
    relations: ["group:member"],
    select: `o.id AS "groupId", p.id AS "memberId", e.principal_type AS "memberType"`,
    by: "object",
  },
  owners: { relations: ["group:owner"], select: `o.id AS "groupId", p.id AS "ownerId"`, by: "object" },
  "app-assignments": {
    relations: ["app:assigned"],
    select: `o.id AS "appId", p.id AS "principalId", e.qualifier AS "appRoleId"`,
    by: "object",
    tieBreak: "e.qualifier",
  },
  "role-assignments": {
    relations: ["role:assigned", "role:eligible"],
    select: `o.id AS "roleDefinitionId", p.id AS "principalId",
      CASE e.relation WHEN 'role:assigned' THEN 'active' ELSE 'eligible' END AS "kind"`,
    by: "object",
    tieBreak: "e.relation",
  },
  "license-assignments": {
    relations: ["license:assigned"],
    select: `p.id AS "userId", o.id AS "skuId"`,
    by: "principal",
  },
};

export const EXPORT_KINDS = [
  "users",
  "groups",
  "memberships",
  "owners",
  "apps",
  "app-assignments",
  "roles",
  "role-assignments",
  "licenses",
  "license-assignments",
] as const satisfies readonly ExportKind[];

export function edgeExport(kind: ExportKind): EdgeExport {
  const edges = EDGE_EXPORTS[kind];
  if (!edges) {
    throw invalidInput(`export kind "${kind}"`, `is unknown: use one of ${EXPORT_KINDS.join(", ")}`);
  }
  return edges;
}
