import { displayColumns } from "../model.ts";
import {
  deleteOutcome,
  type EdgeKey,
  type EdgeRow,
  keyOf,
  keyOfRow,
  learntPrincipalType,
  pageOperations,
  upsertOutcome,
} from "../page-changes.ts";
import type {
  Checkpoint,
  Deletion,
  Edge,
  PageInput,
  PageResult,
  ReconcileInput,
  Resource,
  ResourceKind,
  StoredCheckpoint,
  SyncWriter,
} from "../types.ts";
import { validatePage, validateReconcile } from "../validate.ts";
import type { SqliteDatabase } from "./database.ts";
import { EdgeTable } from "./edges.ts";
import { EventAppender, EventIds } from "./outbox.ts";
import { deferReadIndexes, ensureReadIndexes } from "./read-indexes.ts";
import { addRunStats, runOf } from "./runs.ts";

interface ResourceRow {
  data: string;
  deleted_at: string | null;
}

/** Rows swept per statement, so a large reconciliation never holds its whole result in memory. */
const SWEEP_CHUNK = 1000;

/** One page = one transaction: objects, relationships, checkpoint, change events and run stats. */
export class SqliteSyncWriter implements SyncWriter {
  readonly #db: SqliteDatabase;
  readonly #edges: EdgeTable;
  #eventIds: EventIds | undefined;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    this.#edges = new EdgeTable(db);
  }

  #ids(): EventIds {
    this.#eventIds ??= new EventIds(this.#db);
    return this.#eventIds;
  }

  async applyPage(page: PageInput): Promise<PageResult> {
    validatePage(page);
    return this.#db.transaction(() => this.#apply(page));
  }

  /**
   * Several pages in one transaction (a group commit): all of them or none, each with its own events
   * and result as if applied alone, in order. A commit rewrites every index page its rows touched, so
   * pages waiting together cost far less as one. A page that fails rolls back the whole group.
   */
  async applyPages(pages: readonly PageInput[]): Promise<PageResult[]> {
    for (const page of pages) validatePage(page);
    return this.#db.transaction(() => pages.map((page) => this.#apply(page)));
  }

  #apply(page: PageInput): PageResult {
    const work = new PageWork(
      this.#db,
      this.#edges,
      this.#ids(),
      page.runId,
      page.round,
      page.returnEvents !== false,
    );
    const merge = page.merge === true;
    const ops = pageOperations(page);
    for (const d of ops.deletes) work.delete(d.kind, d.id, d);
    for (const r of ops.upserts) work.upsert(r, merge);
    for (const e of ops.removes) work.removeEdge(e);
    for (const e of ops.adds) work.addEdge(e);
    return this.#finish(work, page.runId, page.stream, page.checkpoint, page.stats);
  }

  async reconcile(input: ReconcileInput): Promise<PageResult> {
    validateReconcile(input);
    return this.#db.transaction(() => {
      const work = new PageWork(this.#db, this.#edges, this.#ids(), input.runId, input.round);
      for (const kind of input.kinds ?? []) {
        // Keyset chunks by id: each chunk is read, then deleted, then the next one starts after it.
        let after = "";
        for (;;) {
          const ids = this.#db.all<{ id: string }>(
            "SELECT id FROM resources WHERE kind = ? AND id > ? AND seen_round < ? ORDER BY id LIMIT ?",
            kind,
            after,
            input.round,
            SWEEP_CHUNK,
          );
          for (const { id } of ids) work.delete(kind, id, {});
          const last = ids.at(-1);
          if (!last || ids.length < SWEEP_CHUNK) break;
          after = last.id;
        }
      }
      for (const relation of input.relations ?? []) {
        for (const row of this.#edges.unseen(relation, input.round, input.objectIds, SWEEP_CHUNK)) {
          work.removeEdgeRow(row);
        }
      }
      return this.#finish(work, input.runId, input.stream, input.checkpoint, undefined);
    });
  }

  async checkpoint(stream: string): Promise<StoredCheckpoint | undefined> {
    const row = this.#db.get<CursorRow>("SELECT * FROM cursors WHERE stream = ?", stream);
    return row ? checkpointFromRow(row) : undefined;
  }

  async checkpoints(): Promise<StoredCheckpoint[]> {
    return this.#db.all<CursorRow>("SELECT * FROM cursors ORDER BY stream").map(checkpointFromRow);
  }

  async deferReadIndexes(): Promise<boolean> {
    return deferReadIndexes(this.#db);
  }

  async restoreReadIndexes(): Promise<void> {
    ensureReadIndexes(this.#db);
  }

  async newRound(): Promise<number> {
    return this.#db.transaction(() => {
      this.#db.run(
        `INSERT INTO meta (key, value) VALUES ('round', '1')
         ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1`,
      );
      return currentRound(this.#db);
    });
  }

  #finish(
    work: PageWork,
    runId: string,
    stream: string,
    checkpoint: Checkpoint | undefined,
    stats: PageInput["stats"],
  ): PageResult {
    if (checkpoint) saveCheckpoint(this.#db, stream, checkpoint);
    const changes = work.events.count;
    addRunStats(this.#db, runId, stream, { ...stats, objects: work.objects, changes });
    return { events: work.events.events, changes, objects: work.objects };
  }
}

/** The writes of one page, inside its transaction. */
class PageWork {
  readonly events: EventAppender;
  objects = 0;
  readonly #db: SqliteDatabase;
  readonly #edges: EdgeTable;
  /** Round stamped on the rows this page names; outside a round, new rows join the latest round. */
  readonly #round: number | null;
  readonly #insertRound: number;
  readonly #now = new Date().toISOString();

  constructor(
    db: SqliteDatabase,
    edges: EdgeTable,
    ids: EventIds,
    runId: string,
    round: number | undefined,
    keepEvents = true,
  ) {
    this.#db = db;
    this.#edges = edges;
    this.events = new EventAppender(db, ids, runOf(db, runId), keepEvents);
    this.#round = round ?? null;
    this.#insertRound = round ?? currentRound(db);
  }

  upsert(resource: Resource, merge: boolean): void {
    this.objects++;
    const { kind, id } = resource;
    const row = this.#row(kind, id);
    const outcome = upsertOutcome(resource, row && { data: row.data, deletedAt: row.deleted_at }, merge);
    if (outcome.write === "none") {
      if (this.#round !== null) {
        this.#db.run("UPDATE resources SET seen_round = ? WHERE kind = ? AND id = ?", this.#round, kind, id);
      }
      return;
    }
    if (outcome.write === "insert") this.#insertResource(kind, id, outcome.data, outcome.json, null);
    else this.#updateResource(kind, id, outcome.data, outcome.json, null);
    if (outcome.event) this.events.append(outcome.event, outcome.json);
  }

  /** `deletion.data` (soft only): the object as deleted items hold it, written as the tombstone's data. */
  delete(kind: ResourceKind, id: string, deletion: Pick<Deletion, "soft" | "data">): void {
    this.objects++;
    const row = this.#row(kind, id);
    const outcome = deleteOutcome(kind, id, row && { data: row.data, deletedAt: row.deleted_at }, deletion);
    const write = outcome.write;
    if (write.type === "insert-tombstone") {
      this.#insertResource(kind, id, JSON.parse(write.json), write.json, this.#now);
    } else if (write.type === "tombstone") {
      this.#updateResource(kind, id, JSON.parse(write.json), write.json, row?.deleted_at ?? this.#now);
    } else if (write.type === "soft") {
      this.#db.run(
        `UPDATE resources SET deleted_at = coalesce(deleted_at, ?), seen_round = coalesce(?, seen_round)
         WHERE kind = ? AND id = ?`,
        this.#now,
        this.#round,
        kind,
        id,
      );
    } else if (write.type === "hard") {
      this.#db.run("DELETE FROM resources WHERE kind = ? AND id = ?", kind, id);
    }
    if (outcome.event) this.events.append(outcome.event);
    if (outcome.cascade) this.#removeEdgesNaming(kind, id);
  }

  #row(kind: ResourceKind, id: string): ResourceRow | undefined {
    return this.#db.get<ResourceRow>(
      "SELECT data, deleted_at FROM resources WHERE kind = ? AND id = ?",
      kind,
      id,
    );
  }

  addEdge(edge: Edge): void {
    this.objects++;
    const key = keyOf(edge);
    const principalType = edge.principalType ?? "unknown";
    const data = edge.data ? JSON.stringify(edge.data) : null;
    const known = learntPrincipalType(principalType);
    if (this.#edges.insert(key, principalType, data, this.#insertRound)) {
      this.#edgeEvent("added", key, principalType);
    } else if (this.#round !== null || data !== null || known !== null) {
      this.#edges.touch(key, this.#round, data, known);
    }
  }

  removeEdge(edge: Edge): void {
    this.objects++;
    this.#deleteEdge(keyOf(edge));
  }

  removeEdgeRow(row: EdgeRow): void {
    this.objects++;
    this.#deleteEdge(keyOfRow(row));
  }

  #deleteEdge(key: EdgeKey): void {
    const principalType = this.#edges.delete(key);
    if (principalType !== undefined) this.#edgeEvent("removed", key, principalType);
  }

  /** A deleted object takes its relationships with it, as object (its members) and as principal. */
  #removeEdgesNaming(kind: ResourceKind, id: string): void {
    for (const row of this.#edges.naming(kind, id)) this.#deleteEdge(keyOfRow(row));
  }

  #edgeEvent(type: "added" | "removed", key: EdgeKey, principalType: string): void {
    this.events.appendEdge(type, key, principalType);
  }

  /** `deletedAt`: null for a live object, the deletion time for a tombstone. */
  #insertResource(
    kind: ResourceKind,
    id: string,
    data: Record<string, unknown>,
    json: string,
    deletedAt: string | null,
  ): void {
    const { displayName, principalName } = displayColumns(kind, data);
    this.#db.run(
      `INSERT INTO resources (kind, id, display_name, principal_name, data, deleted_at, seen_round, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      kind,
      id,
      displayName,
      principalName,
      json,
      deletedAt,
      this.#insertRound,
      this.#now,
    );
  }

  #updateResource(
    kind: ResourceKind,
    id: string,
    data: Record<string, unknown>,
    json: string,
    deletedAt: string | null,
  ): void {
    const { displayName, principalName } = displayColumns(kind, data);
    this.#db.run(
      `UPDATE resources SET display_name = ?, principal_name = ?, data = ?, deleted_at = ?,
         seen_round = coalesce(?, seen_round), updated_at = ?
       WHERE kind = ? AND id = ?`,
      displayName,
      principalName,
      json,
      deletedAt,
      this.#round,
      this.#now,
      kind,
      id,
    );
  }
}

interface CursorRow {
  stream: string;
  version: number;
  data: string;
  revision: number;
  updated_at: string;
}

function checkpointFromRow(row: CursorRow): StoredCheckpoint {
  return {
    stream: row.stream,
    version: row.version,
    data: JSON.parse(row.data) as Record<string, unknown>,
    revision: row.revision,
    updatedAt: row.updated_at,
  };
}

function saveCheckpoint(db: SqliteDatabase, stream: string, checkpoint: Checkpoint): void {
  db.run(
    `INSERT INTO cursors (stream, version, data, revision, updated_at) VALUES (?, ?, ?, 1, ?)
     ON CONFLICT (stream) DO UPDATE SET version = excluded.version, data = excluded.data,
       revision = revision + 1, updated_at = excluded.updated_at`,
    stream,
    checkpoint.version,
    JSON.stringify(checkpoint.data),
    new Date().toISOString(),
  );
}

function currentRound(db: SqliteDatabase): number {
  const row = db.get<{ value: string }>("SELECT value FROM meta WHERE key = 'round'");
  return row ? Number(row.value) : 0;
}
