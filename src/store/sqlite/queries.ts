import { invalidInput, StoreError } from "../errors.ts";
import {
  AMBIGUOUS_SHOWN,
  ambiguous,
  type CandidateRow,
  effectiveGrants,
  PROPERTY_NAME,
  undone,
} from "../query-results.ts";
import {
  type ChangeEvent,
  type ExportKind,
  type Grant,
  type Queries,
  RESOURCE_KINDS,
  type Resource,
  type ResourceKind,
  type ResourceQuery,
} from "../types.ts";
import type { SqliteDatabase } from "./database.ts";
import { EdgeTable } from "./edges.ts";
import { exportColumns, exportRows } from "./export.ts";
import { eventsBetween } from "./outbox.ts";
import { runOutboxRange, SqliteRunLog } from "./runs.ts";

interface ResourceRow {
  kind: ResourceKind;
  id: string;
  data: string;
}

export class SqliteQueries implements Queries {
  readonly #db: SqliteDatabase;
  readonly #edges: EdgeTable;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    this.#edges = new EdgeTable(db);
  }

  async *resources(query: ResourceQuery): AsyncIterable<Resource> {
    const conditions = ["kind = ?"];
    const params: (string | number)[] = [query.kind];
    if (!query.includeDeleted) conditions.push("deleted_at IS NULL");
    if (query.text) {
      conditions.push("(display_name LIKE ? ESCAPE '\\' OR principal_name LIKE ? ESCAPE '\\' OR id = ?)");
      const like = `%${query.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      params.push(like, like, query.text);
    }
    for (const [property, value] of Object.entries(query.where ?? {})) {
      if (!PROPERTY_NAME.test(property)) {
        throw invalidInput(
          `filter "${property}"`,
          "is not a property name: use name=value, e.g. department=Sales",
        );
      }
      this.#checkProperty(query.kind, property);
      // JSON booleans and null compare as the words a user types; other values as text.
      conditions.push(`CASE json_type(data, ?) WHEN 'true' THEN 'true' WHEN 'false' THEN 'false'
        WHEN 'null' THEN 'null' ELSE CAST(json_extract(data, ?) AS TEXT) END = ?`);
      params.push(`$.${property}`, `$.${property}`, value);
    }
    if (query.after) {
      // NULL names sort first; a page that ended on one continues among the NULLs, then the rest.
      if (query.after.displayName === null) {
        conditions.push("((display_name IS NULL AND id > ?) OR display_name IS NOT NULL)");
        params.push(query.after.id);
      } else {
        conditions.push("(display_name > ? COLLATE NOCASE OR (display_name = ? COLLATE NOCASE AND id > ?))");
        params.push(query.after.displayName, query.after.displayName, query.after.id);
      }
    }
    params.push(query.limit ?? -1);
    const sql = `SELECT kind, id, data FROM resources WHERE ${conditions.join(" AND ")}
      ORDER BY display_name COLLATE NOCASE, id LIMIT ?`;
    for (const row of this.#db.iterate<ResourceRow>(sql, ...params)) yield toResource(row);
  }

  async resolve(ref: string, kind?: ResourceKind): Promise<Resource | undefined> {
    // Every kind named when none is given: the name indexes lead with the kind, and without it each
    // name lookup scanned the whole table (an unknown id costs two scans, 7 s over a large roles sync).
    const kinds = kind ? [kind] : RESOURCE_KINDS;
    const kindClause = `kind IN (${kinds.map(() => "?").join(", ")})`;
    const params = [...kinds, ref];
    const select = "SELECT kind, id, data, display_name, principal_name FROM resources";
    const live = `deleted_at IS NULL ORDER BY id LIMIT ${AMBIGUOUS_SHOWN}`;
    const lookups = [
      `${select} WHERE ${kindClause} AND id = ? AND ${live}`,
      `${select} WHERE ${kindClause} AND principal_name = ? COLLATE NOCASE AND ${live}`,
      `${select} WHERE ${kindClause} AND display_name = ? COLLATE NOCASE AND ${live}`,
    ];
    for (const sql of lookups) {
      const rows = this.#db.all<CandidateRow>(sql, ...params);
      if (rows.length > 1) throw ambiguous(ref, rows);
      if (rows[0]) return toResource(rows[0]);
    }
    return undefined;
  }

  async grants(filter: { objectId: string } | { principalId: string }): Promise<Grant[]> {
    const edges = this.#edges;
    const db = this.#db;
    // In-process reads cost microseconds: the sets are answered one id at a time.
    return effectiveGrants(filter, {
      on: async (objectId) => edges.on(objectId),
      heldBy: async (principalIds) => {
        const held = new Map(principalIds.map((id) => [id, edges.heldBy(id)]));
        return (id) => held.get(id) ?? [];
      },
      membersWalk: async () => (id) => edges.membersOf(id),
      groupsWalk: async () => (id) => edges.groupsOf(id),
      typeOf: async (id) => this.#typeOf(id),
      namesOf: async (ids) =>
        ids.flatMap((id) =>
          db.all<{ kind: ResourceKind; id: string; name: string | null }>(
            "SELECT kind, id, coalesce(display_name, principal_name) AS name FROM resources WHERE id = ? ORDER BY kind",
            id,
          ),
        ),
      appRolesOf: async (appIds) => {
        const roles = new Map<string, unknown>();
        for (const appId of appIds) {
          const row = db.get<{ roles: string | null }>(
            "SELECT json_extract(data, '$.appRoles') AS roles FROM resources WHERE kind = 'app' AND id = ?",
            appId,
          );
          if (row) roles.set(appId, row.roles ? JSON.parse(row.roles) : undefined);
        }
        return roles;
      },
    });
  }

  async diff(runA: string, runB: string): Promise<ChangeEvent[]> {
    const runs = new SqliteRunLog(this.#db);
    const [a, b] = await Promise.all([runs.get(runA), runs.get(runB)]);
    if (!a) throw new StoreError("STORE_RUN_NOT_FOUND", { run: runA });
    if (!b) throw new StoreError("STORE_RUN_NOT_FOUND", { run: runB });
    const [first, second] = a.number <= b.number ? [a, b] : [b, a];
    const from = runOutboxRange(this.#db, first).to;
    const to = runOutboxRange(this.#db, second).to;
    const events = eventsBetween(this.#db, from, to, Number.MAX_SAFE_INTEGER);
    return first === a ? events : events.reverse().map(undone);
  }

  async exportColumns(kind: ExportKind): Promise<string[]> {
    return exportColumns(this.#db, kind);
  }

  async *export(kind: ExportKind): AsyncIterable<Record<string, unknown>> {
    yield* exportRows(this.#db, kind);
  }

  /**
   * Refuses a filter on a property no stored object of the kind has, which would silently match
   * nothing (a typo, or a property `--properties` left out). Objects are stored with every selected
   * property (null when unset), so the first object answers for a known one.
   */
  #checkProperty(kind: ResourceKind, property: string): void {
    const top = property.split(".")[0] as string;
    const found = this.#db.get<{ found: number }>(
      "SELECT 1 AS found FROM resources WHERE kind = ? AND json_type(data, ?) IS NOT NULL LIMIT 1",
      kind,
      `$.${top}`,
    );
    if (found) return;
    const known = this.#db
      .all<{ key: string }>(
        "SELECT DISTINCT j.key AS key FROM resources r, json_each(r.data) j WHERE r.kind = ? ORDER BY j.key",
        kind,
      )
      .map((row) => row.key);
    // Nothing of the kind is stored yet: every filter matches nothing, and there is nothing to list.
    if (known.length === 0) return;
    throw invalidInput(
      `filter "${property}"`,
      `names no property of the stored ${kind} objects: use one of ${known.join(", ")}`,
    );
  }

  #typeOf(id: string): string {
    const type = this.#edges.typeOf(id);
    if (type) return type;
    const kind = this.#db.get<{ kind: ResourceKind }>(
      "SELECT kind FROM resources WHERE id = ? LIMIT 1",
      id,
    )?.kind;
    return kind === "app" ? "servicePrincipal" : (kind ?? "unknown");
  }
}

function toResource(row: ResourceRow): Resource {
  return { kind: row.kind, id: row.id, data: JSON.parse(row.data) as Record<string, unknown> };
}
