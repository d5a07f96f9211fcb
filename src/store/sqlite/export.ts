import { type EdgeExport, edgeExport, OBJECT_EXPORTS } from "../export-kinds.ts";
import type { ExportKind } from "../types.ts";
import type { SqliteDatabase } from "./database.ts";
import { sqlList } from "./edges.ts";

/**
 * The export query. CROSS JOIN pins the plan: walk the leading end's ids in id order (the
 * dictionary's unique index), seek its edges by key, and sort only within one object's edges. A plain
 * ORDER BY over both ids would sort the whole relation (a million rows) in memory before the first row.
 */
function edgeExportSql(edges: EdgeExport): string {
  const relations = sqlList(edges.relations);
  const tail = edges.tieBreak ? `, ${edges.tieBreak}` : "";
  return edges.by === "object"
    ? `SELECT ${edges.select} FROM ids o CROSS JOIN edges e ON e.relation IN (${relations}) AND e.object_n = o.n
       JOIN ids p ON p.n = e.principal_n ORDER BY o.id, p.id${tail}`
    : `SELECT ${edges.select} FROM ids p CROSS JOIN edges e ON e.principal_n = p.n AND e.relation IN (${relations})
       JOIN ids o ON o.n = e.object_n ORDER BY p.id, o.id${tail}`;
}

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
  for (const row of db.iterate<Record<string, unknown>>(edgeExportSql(edgeExport(kind)))) {
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
