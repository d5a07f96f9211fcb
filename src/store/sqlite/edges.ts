import { relationsOn } from "../model.ts";
import type { EdgeKey, EdgeRow } from "../page-changes.ts";
import { RELATIONS, type Relation, type ResourceKind } from "../types.ts";
import type { SqliteDatabase } from "./database.ts";

/** Edges with their Graph ids: joins the id dictionary on both ends. */
export const EDGE_SELECT = `SELECT e.relation AS relation, o.id AS object_id, p.id AS principal_id,
  e.qualifier AS qualifier, e.principal_type AS principal_type
  FROM edges e JOIN ids o ON o.n = e.object_n JOIN ids p ON p.n = e.principal_n`;

/** Dictionary numbers kept in memory: every user and group of an xl tenant. */
const KNOWN_IDS = 150_000;

/**
 * The relationship table. Graph ids are interned to integers (the `ids` dictionary) because a
 * million edges keyed by two 36-character GUIDs make every insert a random write into a large
 * principal index; with integers that index is a tenth of the size and bulk inserts mostly append.
 * Lookups by GUID go through the dictionary's unique index.
 */
export class EdgeTable {
  readonly #db: SqliteDatabase;
  /** Ids interned in the current transaction only: a rollback must not leave stale numbers cached. */
  #interned = new Map<string, number>();
  /** The database's transaction generation `#interned` belongs to. */
  #generation = -1;
  /**
   * Numbers read back from the dictionary, which never renumbers or forgets an id, so they stay true
   * across transactions (and other writers). A membership load looks up each user once per group it
   * is in: this saves ~900k indexed reads at xl. Bounded, oldest first out (~100 bytes an entry).
   */
  readonly #known = new Map<string, number>();

  constructor(db: SqliteDatabase) {
    this.#db = db;
  }

  /** Ids this transaction interned; forgotten when it ends, committed or not. */
  #ours(): Map<string, number> {
    if (this.#generation !== this.#db.generation) {
      this.#interned = new Map();
      this.#generation = this.#db.generation;
    }
    return this.#interned;
  }

  numberOf(id: string): number | undefined {
    const cached = this.#ours().get(id) ?? this.#known.get(id);
    if (cached !== undefined) return cached;
    // Not interned by this transaction, so a row found here is committed.
    const n = this.#db.get<{ n: number }>("SELECT n FROM ids WHERE id = ?", id)?.n;
    if (n !== undefined) {
      if (this.#known.size >= KNOWN_IDS) this.#known.delete(this.#known.keys().next().value as string);
      this.#known.set(id, n);
    }
    return n;
  }

  #intern(id: string): number {
    const known = this.numberOf(id);
    if (known !== undefined) return known;
    const n = this.#db.run("INSERT INTO ids (id) VALUES (?)", id).lastInsertRowid;
    this.#ours().set(id, n);
    return n;
  }

  /** Inserts unless present; true when it was new. */
  insert(key: EdgeKey, principalType: string, data: string | null, round: number): boolean {
    const { changes } = this.#db.run(
      `INSERT OR IGNORE INTO edges (relation, object_n, principal_n, qualifier, principal_type, data, seen_round)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      key.relation,
      this.#intern(key.objectId),
      this.#intern(key.principalId),
      key.qualifier,
      principalType,
      data,
      round,
    );
    return changes > 0;
  }

  /**
   * Marks an existing edge seen in `round`, replaces its data and/or its principal's type (null
   * leaves each as is).
   */
  touch(key: EdgeKey, round: number | null, data: string | null, principalType: string | null = null): void {
    const [o, p] = [this.numberOf(key.objectId), this.numberOf(key.principalId)];
    if (o === undefined || p === undefined) return;
    this.#db.run(
      `UPDATE edges SET seen_round = coalesce(?, seen_round), data = coalesce(?, data),
         principal_type = coalesce(?, principal_type)
       WHERE relation = ? AND object_n = ? AND principal_n = ? AND qualifier = ?`,
      round,
      data,
      principalType,
      key.relation,
      o,
      p,
      key.qualifier,
    );
  }

  /** Deletes the edge; returns its principal type when it existed. */
  delete(key: EdgeKey): string | undefined {
    const [o, p] = [this.numberOf(key.objectId), this.numberOf(key.principalId)];
    if (o === undefined || p === undefined) return undefined;
    return this.#db.get<{ principal_type: string }>(
      `DELETE FROM edges WHERE relation = ? AND object_n = ? AND principal_n = ? AND qualifier = ?
       RETURNING principal_type`,
      key.relation,
      o,
      p,
      key.qualifier,
    )?.principal_type;
  }

  /** Edges on an object of `kind` (its members, owners, assignees) and edges it holds as principal. */
  naming(kind: ResourceKind, id: string): EdgeRow[] {
    const n = this.numberOf(id);
    if (n === undefined) return [];
    return this.#db.all<EdgeRow>(
      `${EDGE_SELECT} WHERE e.relation IN (${sqlList(relationsOn(kind))}) AND e.object_n = ?1
       UNION ALL ${EDGE_SELECT} WHERE e.principal_n = ?1`,
      n,
    );
  }

  /**
   * Edges of `relation` not seen in `round` (on `objectIds` only, when given), read `chunk` at a time
   * in key order so the caller may delete each chunk before the next is read and a large sweep
   * neither rescans the relation nor holds it in memory.
   */
  *unseen(
    relation: Relation,
    round: number,
    objectIds: string[] | undefined,
    chunk: number,
  ): Generator<EdgeRow> {
    const objects = objectIds
      ? objectIds.map((id) => this.numberOf(id)).filter((n): n is number => n !== undefined)
      : [null];
    for (const object of objects) {
      let after: [number, number, string] = [0, 0, ""];
      for (;;) {
        const rows = this.#db.all<EdgeRow & { object_n: number; principal_n: number }>(
          `${EDGE_SELECT.replace("SELECT", "SELECT e.object_n AS object_n, e.principal_n AS principal_n,")}
           WHERE e.relation = ? AND (?2 IS NULL OR e.object_n = ?2) AND e.seen_round < ?
             AND (e.object_n, e.principal_n, e.qualifier) > (?, ?, ?)
           ORDER BY e.object_n, e.principal_n, e.qualifier LIMIT ?`,
          relation,
          object,
          round,
          ...after,
          chunk,
        );
        yield* rows;
        const last = rows.at(-1);
        if (!last || rows.length < chunk) break;
        after = [last.object_n, last.principal_n, last.qualifier];
      }
    }
  }

  /** Every edge on an object, ordered. */
  on(objectId: string): EdgeRow[] {
    const n = this.numberOf(objectId);
    if (n === undefined) return [];
    return this.#db.all<EdgeRow>(
      `${EDGE_SELECT} WHERE e.relation IN (${sqlList(RELATIONS)}) AND e.object_n = ?
       ORDER BY e.relation, p.id, e.qualifier`,
      n,
    );
  }

  /** Every edge a principal holds directly, ordered. */
  heldBy(principalId: string): EdgeRow[] {
    const n = this.numberOf(principalId);
    if (n === undefined) return [];
    return this.#db.all<EdgeRow>(
      `${EDGE_SELECT} WHERE e.principal_n = ? ORDER BY e.relation, o.id, e.qualifier`,
      n,
    );
  }

  /** Direct members of a group with their types, ordered by id. */
  membersOf(groupId: string): { id: string; type: string }[] {
    const n = this.numberOf(groupId);
    if (n === undefined) return [];
    return this.#db.all<{ id: string; type: string }>(
      `SELECT p.id AS id, e.principal_type AS type FROM edges e JOIN ids p ON p.n = e.principal_n
       WHERE e.relation = 'group:member' AND e.object_n = ? ORDER BY p.id`,
      n,
    );
  }

  /** Groups a principal is a direct member of, ordered by id. */
  groupsOf(principalId: string): string[] {
    const n = this.numberOf(principalId);
    if (n === undefined) return [];
    return this.#db
      .all<{ id: string }>(
        `SELECT o.id AS id FROM edges e JOIN ids o ON o.n = e.object_n
         WHERE e.principal_n = ? AND e.relation = 'group:member' ORDER BY o.id`,
        n,
      )
      .map((row) => row.id);
  }

  /** The principal type recorded for an id on any edge it holds. */
  typeOf(principalId: string): string | undefined {
    const n = this.numberOf(principalId);
    if (n === undefined) return undefined;
    return this.#db.get<{ principal_type: string }>(
      "SELECT principal_type FROM edges WHERE principal_n = ? LIMIT 1",
      n,
    )?.principal_type;
  }
}

/**
 * Relations as an SQL literal list. They are constants of this module, never input; spelling them
 * out (instead of binding json_each) lets SQLite seek the (relation, object) key for each one.
 */
export function sqlList(relations: readonly Relation[]): string {
  return relations.map((r) => `'${r}'`).join(", ");
}
