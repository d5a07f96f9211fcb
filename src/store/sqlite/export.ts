import { StoreError } from "../errors.ts";
import type { ExportKind, Relation, ResourceKind } from "../types.ts";
import type { SqliteDatabase } from "./database.ts";

/** Exports of synced objects: the Graph object as synced, `id` included. */
const OBJECT_EXPORTS: Partial<Record<ExportKind, ResourceKind>> = {
  users: "user",
  groups: "group",
  apps: "app",
  roles: "role",
  licenses: "license",
};

/**
 * Exports of relationships, in the shapes issue 4 fixes. `select` maps edge columns to the exported
 * names; rows are ordered by the exported ids so two exports of the same data are byte-identical.
 */
const EDGE_EXPORTS: Partial<Record<ExportKind, { relations: Relation[]; select: string; order: string }>> = {
  memberships: {
    relations: ["group:member"],
    select: "o.id AS groupId, p.id AS memberId, e.principal_type AS memberType",
    order: "o.id, p.id",
  },
  owners: {
    relations: ["group:owner"],
    select: "o.id AS groupId, p.id AS ownerId",
    order: "o.id, p.id",
  },
  "app-assignments": {
    relations: ["app:assigned"],
    select: "o.id AS appId, p.id AS principalId, e.qualifier AS appRoleId",
    order: "o.id, p.id, e.qualifier",
  },
  "role-assignments": {
    relations: ["role:assigned", "role:eligible"],
    select: `o.id AS roleDefinitionId, p.id AS principalId,
      CASE e.relation WHEN 'role:assigned' THEN 'active' ELSE 'eligible' END AS kind`,
    order: "o.id, p.id, e.relation",
  },
  "license-assignments": {
    relations: ["license:assigned"],
    select: "p.id AS userId, o.id AS skuId",
    order: "p.id, o.id",
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

/** Streams the rows of one export; nothing is held beyond the current row. */
export function* exportRows(db: SqliteDatabase, kind: ExportKind): Generator<Record<string, unknown>> {
  const objectKind = OBJECT_EXPORTS[kind];
  if (objectKind) {
    const sql = "SELECT data FROM resources WHERE kind = ? AND deleted_at IS NULL ORDER BY id";
    for (const row of db.iterate<{ data: string }>(sql, objectKind)) {
      yield JSON.parse(row.data) as Record<string, unknown>;
    }
    return;
  }
  const edges = edgeExport(kind);
  const sql = `SELECT ${edges.select} FROM edges e JOIN ids o ON o.n = e.object_n JOIN ids p ON p.n = e.principal_n
    WHERE e.relation IN (SELECT value FROM json_each(?)) ORDER BY ${edges.order}`;
  for (const row of db.iterate<Record<string, unknown>>(sql, JSON.stringify(edges.relations))) {
    yield { ...row };
  }
}

/** CSV header of an export: fixed for relationships; for objects, `id` then every property seen, sorted. */
export function exportColumns(db: SqliteDatabase, kind: ExportKind): string[] {
  const objectKind = OBJECT_EXPORTS[kind];
  if (objectKind) {
    const keys = db
      .all<{ key: string }>(
        `SELECT DISTINCT j.key AS key FROM resources r, json_each(r.data) j
         WHERE r.kind = ? AND r.deleted_at IS NULL ORDER BY j.key`,
        objectKind,
      )
      .map((row) => row.key)
      .filter((key) => key !== "id");
    return ["id", ...keys];
  }
  const columns = db
    .statement(`SELECT ${edgeExport(kind).select} FROM edges e, ids o, ids p LIMIT 0`)
    .columns();
  return columns.map((c) => c.name);
}

function edgeExport(kind: ExportKind): { relations: Relation[]; select: string; order: string } {
  const edges = EDGE_EXPORTS[kind];
  if (!edges) {
    throw new StoreError(
      "STORE_INPUT_INVALID",
      `export kind "${kind}" is unknown: use one of ${EXPORT_KINDS.join(", ")}`,
    );
  }
  return edges;
}
