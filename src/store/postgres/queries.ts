import { invalidInput, StoreError } from "../errors.ts";
import { type EdgeExport, edgeExport, OBJECT_EXPORTS } from "../export-kinds.ts";
import type { Member } from "../grants.ts";
import type { EdgeRow } from "../page-changes.ts";
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
import { one, type PgDatabase } from "./database.ts";
import { eventsBetween } from "./outbox.ts";
import { PgRunLog, runOutboxRange } from "./runs.ts";

interface ResourceRow {
  kind: ResourceKind;
  id: string;
  data: string;
}

const EDGE_READ = "SELECT relation, object_id, principal_id, qualifier, principal_type FROM edges";

/**
 * Group memberships reachable from groups downwards (or one principal upwards), read with one
 * recursive query; the walk itself (shortest paths, cycles) is the shared one in grants.ts.
 * UNION (not UNION ALL) ends the recursion at a membership cycle. Each step is a lateral subquery
 * fenced with OFFSET 0, so it stays an index lookup per group reached: joined as a whole, the planner
 * guessed the walk large and hashed the entire edge table on every step.
 */
const MEMBERS_OF = `SELECT e.principal_id AS id, e.principal_type AS type FROM edges e
  WHERE e.relation = 'group:member' AND e.object_id = w.id OFFSET 0`;
const MEMBERS_BELOW = `WITH RECURSIVE walk(id) AS (
    SELECT g COLLATE "C" FROM unnest($1::text[]) g
    UNION SELECT m.id FROM walk w CROSS JOIN LATERAL (${MEMBERS_OF}) m WHERE m.type = 'group')
  SELECT w.id AS "group", m.id, m.type FROM walk w CROSS JOIN LATERAL (${MEMBERS_OF}) m
  ORDER BY w.id, m.id`;

const GROUPS_OF = `SELECT e.object_id AS id FROM edges e
  WHERE e.principal_id = w.id AND e.relation = 'group:member' OFFSET 0`;
const GROUPS_ABOVE = `WITH RECURSIVE walk(id) AS (
    SELECT $1::text COLLATE "C"
    UNION SELECT g.id FROM walk w CROSS JOIN LATERAL (${GROUPS_OF}) g)
  SELECT w.id AS member, g.id AS "group" FROM walk w CROSS JOIN LATERAL (${GROUPS_OF}) g
  ORDER BY w.id, g.id`;

export class PgQueries implements Queries {
  readonly #db: PgDatabase;

  constructor(db: PgDatabase) {
    this.#db = db;
  }

  async *resources(query: ResourceQuery): AsyncIterable<Resource> {
    const params: unknown[] = [query.kind];
    const param = (value: unknown): string => {
      params.push(value);
      return `$${params.length}`;
    };
    const conditions = ["kind = $1"];
    if (!query.includeDeleted) conditions.push("deleted_at IS NULL");
    if (query.text) {
      const like = param(`%${query.text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      conditions.push(
        `(lower(display_name) LIKE ${like} OR lower(principal_name) LIKE ${like} OR id = ${param(query.text)})`,
      );
    }
    for (const [property, value] of Object.entries(query.where ?? {})) {
      if (!PROPERTY_NAME.test(property)) {
        throw invalidInput(
          `filter "${property}"`,
          "is not a property name: use name=value, e.g. department=Sales",
        );
      }
      await this.#checkProperty(query.kind, property);
      // JSON booleans and null compare as the words a user types; other values as text.
      const path = param(property.split("."));
      conditions.push(`(CASE json_typeof(data::json #> ${path}) WHEN 'null' THEN 'null'
        ELSE data::json #>> ${path} END) = ${param(value)}`);
    }
    if (query.after) {
      // NULL names sort first; a page that ended on one continues among the NULLs, then the rest.
      if (query.after.displayName === null) {
        conditions.push(
          `((display_name IS NULL AND id > ${param(query.after.id)}) OR display_name IS NOT NULL)`,
        );
      } else {
        const name = param(query.after.displayName);
        conditions.push(
          `(lower(display_name) > lower(${name}) OR (lower(display_name) = lower(${name}) AND id > ${param(query.after.id)}))`,
        );
      }
    }
    const limit = query.limit === undefined || query.limit < 0 ? "" : ` LIMIT ${param(query.limit)}`;
    const sql = `SELECT kind, id, data FROM resources WHERE ${conditions.join(" AND ")}
      ORDER BY lower(display_name) NULLS FIRST, id${limit}`;
    for await (const row of this.#db.stream<ResourceRow>(sql, params)) yield toResource(row);
  }

  async resolve(ref: string, kind?: ResourceKind): Promise<Resource | undefined> {
    const kinds = kind ? [kind] : RESOURCE_KINDS;
    const select = "SELECT kind, id, data, display_name, principal_name FROM resources WHERE kind = ANY($1)";
    const live = `deleted_at IS NULL ORDER BY id LIMIT ${AMBIGUOUS_SHOWN}`;
    const lookups = [
      `${select} AND id = $2 AND ${live}`,
      `${select} AND lower(principal_name) = lower($2) AND ${live}`,
      `${select} AND lower(display_name) = lower($2) AND ${live}`,
    ];
    for (const sql of lookups) {
      const rows = await this.#db.query<CandidateRow>(sql, [kinds, ref]);
      if (rows.length > 1) throw ambiguous(ref, rows);
      if (rows[0]) return toResource(rows[0]);
    }
    return undefined;
  }

  /** A handful of queries whatever the answer's size: each of the walk's reads is one set-based query. */
  async grants(filter: { objectId: string } | { principalId: string }): Promise<Grant[]> {
    const db = this.#db;
    return effectiveGrants(filter, {
      on: (objectId) =>
        db.query<EdgeRow>(`${EDGE_READ} WHERE object_id = $1 ORDER BY relation, principal_id, qualifier`, [
          objectId,
        ]),
      heldBy: async (principalIds) => {
        const held = new Map<string, EdgeRow[]>();
        const rows = await db.query<EdgeRow>(
          `${EDGE_READ} WHERE principal_id = ANY($1::text[]) ORDER BY principal_id, relation, object_id, qualifier`,
          [principalIds],
        );
        for (const row of rows) held.set(row.principal_id, [...(held.get(row.principal_id) ?? []), row]);
        return (id) => held.get(id) ?? [];
      },
      membersWalk: async (groupIds) => {
        const below = new Map<string, Member[]>();
        for (const row of await db.query<{ group: string; id: string; type: string }>(MEMBERS_BELOW, [
          groupIds,
        ])) {
          below.set(row.group, [...(below.get(row.group) ?? []), { id: row.id, type: row.type }]);
        }
        return (id) => below.get(id) ?? [];
      },
      groupsWalk: async (principalId) => {
        const above = new Map<string, string[]>();
        for (const row of await db.query<{ member: string; group: string }>(GROUPS_ABOVE, [principalId])) {
          above.set(row.member, [...(above.get(row.member) ?? []), row.group]);
        }
        return (id) => above.get(id) ?? [];
      },
      typeOf: async (id) => {
        const found = await one<{ type: string | null; kind: ResourceKind | null }>(
          db,
          `SELECT (SELECT principal_type FROM edges WHERE principal_id = $1 LIMIT 1) AS type,
             (SELECT kind FROM resources WHERE id = $1 LIMIT 1) AS kind`,
          [id],
        );
        if (found?.type) return found.type;
        return found?.kind === "app" ? "servicePrincipal" : (found?.kind ?? "unknown");
      },
      namesOf: (ids) =>
        db.query(
          `SELECT kind, id, coalesce(display_name, principal_name) AS name FROM resources
           WHERE id = ANY($1::text[]) ORDER BY id, kind`,
          [ids],
        ),
      appRolesOf: async (appIds) =>
        new Map(
          (
            await db.query<{ id: string; roles: unknown }>(
              "SELECT id, data::json -> 'appRoles' AS roles FROM resources WHERE kind = 'app' AND id = ANY($1::text[])",
              [appIds],
            )
          ).map((row) => [row.id, row.roles ?? undefined]),
        ),
    });
  }

  async diff(runA: string, runB: string): Promise<ChangeEvent[]> {
    const runs = new PgRunLog(this.#db);
    const [a, b] = await Promise.all([runs.get(runA), runs.get(runB)]);
    if (!a) throw new StoreError("STORE_RUN_NOT_FOUND", { run: runA });
    if (!b) throw new StoreError("STORE_RUN_NOT_FOUND", { run: runB });
    const [first, second] = a.number <= b.number ? [a, b] : [b, a];
    const from = (await runOutboxRange(this.#db, first)).to;
    const to = (await runOutboxRange(this.#db, second)).to;
    const events = await eventsBetween(this.#db, from, to, Number.MAX_SAFE_INTEGER);
    return first === a ? events : events.reverse().map(undone);
  }

  async exportColumns(kind: ExportKind): Promise<string[]> {
    const objectKind = OBJECT_EXPORTS[kind];
    if (objectKind) {
      const keys = await this.#db.query<{ key: string }>(
        `SELECT DISTINCT k COLLATE "C" AS key FROM resources r, json_object_keys(r.data::json) k
         WHERE r.kind = $1 AND r.deleted_at IS NULL ORDER BY 1`,
        [objectKind],
      );
      return ["id", ...keys.map((row) => row.key).filter((key) => key !== "id")];
    }
    const result = await this.#db.pool.query(`${edgeExportSql(edgeExport(kind))} LIMIT 0`, [
      edgeExport(kind).relations,
    ]);
    return result.fields.map((field) => field.name);
  }

  async *export(kind: ExportKind): AsyncIterable<Record<string, unknown>> {
    const objectKind = OBJECT_EXPORTS[kind];
    if (objectKind) {
      const sql = "SELECT data FROM resources WHERE kind = $1 AND deleted_at IS NULL ORDER BY id";
      for await (const row of this.#db.stream<{ data: string }>(sql, [objectKind])) {
        yield JSON.parse(row.data) as Record<string, unknown>;
      }
      return;
    }
    const edges = edgeExport(kind);
    yield* this.#db.stream<Record<string, unknown>>(edgeExportSql(edges), [edges.relations]);
  }

  /**
   * Refuses a filter on a property no stored object of the kind has (see SqliteQueries): the first
   * object holding it answers for a known one.
   */
  async #checkProperty(kind: ResourceKind, property: string): Promise<void> {
    const top = property.split(".")[0] as string;
    const found = await one(
      this.#db,
      "SELECT 1 AS found FROM resources WHERE kind = $1 AND (data::json -> $2) IS NOT NULL LIMIT 1",
      [kind, top],
    );
    if (found) return;
    const known = (
      await this.#db.query<{ key: string }>(
        `SELECT DISTINCT k COLLATE "C" AS key FROM resources r, json_object_keys(r.data::json) k
         WHERE r.kind = $1 ORDER BY 1`,
        [kind],
      )
    ).map((row) => row.key);
    // Nothing of the kind is stored yet: every filter matches nothing, and there is nothing to list.
    if (known.length === 0) return;
    throw invalidInput(
      `filter "${property}"`,
      `names no property of the stored ${kind} objects: use one of ${known.join(", ")}`,
    );
  }
}

/**
 * An export's query. The shared select list names the object's and principal's ids `o.id` and
 * `p.id` (SQLite's id dictionary); here the two lateral one-column rows give the edge's own ids those
 * names, which the planner flattens away.
 */
function edgeExportSql(edges: EdgeExport): string {
  const tail = edges.tieBreak ? `, ${edges.tieBreak}` : "";
  const order = edges.by === "object" ? "o.id, p.id" : "p.id, o.id";
  return `SELECT ${edges.select} FROM edges e
    CROSS JOIN LATERAL (SELECT e.object_id AS id) o CROSS JOIN LATERAL (SELECT e.principal_id AS id) p
    WHERE e.relation = ANY($1) ORDER BY ${order}${tail}`;
}

function toResource(row: ResourceRow): Resource {
  return { kind: row.kind, id: row.id, data: JSON.parse(row.data) as Record<string, unknown> };
}
