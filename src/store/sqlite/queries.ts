import { type ConnectorError, createError } from "../../errors.ts";
import { invalidInput, StoreError } from "../errors.ts";
import { type Member, transitiveGroups, transitiveMembers } from "../grants.ts";
import { entitlementOf, inheritsThroughGroups, objectKindOf } from "../model.ts";
import {
  type ChangeEvent,
  type ChangeType,
  type ExportKind,
  type Grant,
  type GrantPath,
  type Queries,
  RESOURCE_KINDS,
  type Resource,
  type ResourceKind,
  type ResourceQuery,
} from "../types.ts";
import type { SqliteDatabase } from "./database.ts";
import { type EdgeRow, EdgeTable } from "./edges.ts";
import { exportColumns, exportRows } from "./export.ts";
import { eventsBetween } from "./outbox.ts";
import { runOutboxRange, SqliteRunLog } from "./runs.ts";

interface ResourceRow {
  kind: ResourceKind;
  id: string;
  data: string;
}

const PROPERTY = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

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
      if (!PROPERTY.test(property)) {
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
    const names = new NameCache(this.#db);
    const grants: Grant[] = [];
    const add = (edge: EdgeRow, principal: Member, path: GrantPath): void => {
      // A path back through the object itself exists only because of a membership cycle: not a grant.
      if (principal.id === edge.object_id || path.via.includes(edge.object_id)) return;
      const entitlement = entitlementOf(edge.relation, edge.qualifier);
      const appRoleName = entitlement.startsWith("app:role:")
        ? names.appRole(edge.object_id, edge.qualifier)
        : undefined;
      grants.push({
        relation: edge.relation,
        entitlement,
        objectKind: objectKindOf(edge.relation),
        objectId: edge.object_id,
        objectName: names.of(edge.object_id, objectKindOf(edge.relation)),
        principalId: principal.id,
        principalType: principal.type,
        principalName: names.of(principal.id),
        qualifier: edge.qualifier,
        ...(appRoleName === undefined ? {} : { appRoleName }),
        path,
      });
    };
    if ("objectId" in filter) {
      for (const edge of this.#edges.on(filter.objectId)) {
        add(edge, { id: edge.principal_id, type: edge.principal_type }, { how: "direct", via: [] });
        if (edge.principal_type !== "group" || !inheritsThroughGroups(edge.relation)) continue;
        for (const member of transitiveMembers(edge.principal_id, (id) => this.#edges.membersOf(id))) {
          add(edge, member, { how: "group", via: member.via });
        }
      }
      return grants;
    }
    const principalId = filter.principalId;
    const principal = { id: principalId, type: this.#typeOf(principalId) };
    for (const edge of this.#edges.heldBy(principalId)) add(edge, principal, { how: "direct", via: [] });
    for (const group of transitiveGroups(principalId, (id) => this.#edges.groupsOf(id))) {
      for (const edge of this.#edges.heldBy(group.id)) {
        if (inheritsThroughGroups(edge.relation))
          add(edge, principal, { how: "group", via: [...group.via, group.id] });
      }
    }
    return grants;
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

/** Display names for ids and app roles, looked up once per query. */
class NameCache {
  readonly #db: SqliteDatabase;
  readonly #names = new Map<string, string | undefined>();
  readonly #appRoles = new Map<string, Map<string, string>>();

  constructor(db: SqliteDatabase) {
    this.#db = db;
  }

  of(id: string, kind?: ResourceKind): string | undefined {
    if (this.#names.has(id)) return this.#names.get(id);
    const row = kind
      ? this.#db.get<{ name: string | null }>(
          "SELECT coalesce(display_name, principal_name) AS name FROM resources WHERE kind = ? AND id = ?",
          kind,
          id,
        )
      : this.#db.get<{ name: string | null }>(
          "SELECT coalesce(display_name, principal_name) AS name FROM resources WHERE id = ? LIMIT 1",
          id,
        );
    const name = row?.name ?? undefined;
    this.#names.set(id, name);
    return name;
  }

  /** An app role's display name (else its value) from the app's synced `appRoles`. */
  appRole(appId: string, roleId: string): string | undefined {
    let roles = this.#appRoles.get(appId);
    if (!roles) {
      roles = new Map();
      const row = this.#db.get<{ roles: string | null }>(
        "SELECT json_extract(data, '$.appRoles') AS roles FROM resources WHERE kind = 'app' AND id = ?",
        appId,
      );
      const list: unknown = row?.roles ? JSON.parse(row.roles) : [];
      for (const role of Array.isArray(list) ? list : []) {
        const { id, displayName, value } = (role ?? {}) as Record<string, unknown>;
        const name = [displayName, value].find((v) => typeof v === "string" && v !== "");
        if (typeof id === "string" && typeof name === "string") roles.set(id, name);
      }
      this.#appRoles.set(appId, roles);
    }
    return roles.get(roleId);
  }
}

const UNDONE: Record<ChangeType, ChangeType> = {
  created: "deleted",
  deleted: "created",
  added: "removed",
  removed: "added",
  updated: "updated",
};

/** The change that takes the store back over `event`: its opposite, with the data as it was before. */
function undone(event: ChangeEvent): ChangeEvent {
  const data = { ...event.data };
  if (event.type === "deleted") delete data["@removed"];
  const reversed: ChangeEvent = { ...event, type: UNDONE[event.type], data };
  if (event.changes) {
    for (const change of event.changes) {
      if (change.old === null) delete data[change.property];
      else data[change.property] = change.old;
    }
    reversed.changes = event.changes.map((c) => ({ property: c.property, old: c.new, new: c.old }));
  }
  return reversed;
}

interface CandidateRow extends ResourceRow {
  display_name: string | null;
  principal_name: string | null;
}

/** How many of the objects an ambiguous name matches are listed (as the actions list them). */
const AMBIGUOUS_SHOWN = 10;

/** The error the actions give for a name several objects share, listing each by id and principal name. */
function ambiguous(ref: string, rows: CandidateRow[]): ConnectorError {
  return createError("OBJECT_AMBIGUOUS", {
    kind: [...new Set(rows.map((r) => r.kind))].join(" or "),
    ref,
    count: rows.length === AMBIGUOUS_SHOWN ? `${AMBIGUOUS_SHOWN} or more` : rows.length,
    candidates: rows
      .map((r) => `${r.display_name ?? ""}${r.principal_name ? ` <${r.principal_name}>` : ""} (id ${r.id})`)
      .join("; "),
  });
}

function toResource(row: ResourceRow): Resource {
  return { kind: row.kind, id: row.id, data: JSON.parse(row.data) as Record<string, unknown> };
}
