import { displayColumns, relationsOn } from "../model.ts";
import {
  deleteOutcome,
  type EdgeKey,
  type EdgeRow,
  edgeEvent,
  edgeId,
  keyOf,
  keyOfRow,
  learntPrincipalType,
  type NewEvent,
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
import { type CopyValue, one, type PgDatabase, type Sql, type Tx } from "./database.ts";
import { appendEvents } from "./outbox.ts";
import { deferReadIndexes, ensureReadIndexes } from "./read-indexes.ts";
import { addRunStats, runTenant } from "./runs.ts";

/**
 * A page or sweep broken off by the server (a restart, a terminated connection) runs again: nothing
 * of it was committed, or, when only the commit's answer was lost, the rerun finds its rows written
 * and emits nothing twice (only the run's object counts may count that page twice).
 */
const RETRIED = { retry: true };

/** Rows swept per statement, so a large reconciliation never holds its whole result in memory. */
const SWEEP_CHUNK = 1000;

/**
 * One page = one transaction, as in SQLite, but in few round trips: the page's rows are read in one
 * query per table (locked FOR UPDATE), the page is applied to them in memory with the shared change
 * detection, and what changed is written back with one statement per table and kind of write: new
 * rows (and the events) by COPY, changed ones by an UPDATE over unnested arrays, gone ones by a DELETE.
 */
export class PgSyncWriter implements SyncWriter {
  readonly #db: PgDatabase;

  constructor(db: PgDatabase) {
    this.#db = db;
  }

  async applyPage(page: PageInput): Promise<PageResult> {
    validatePage(page);
    return this.#db.transaction(async (tx) => {
      const tenant = await runTenant(tx, page.runId);
      const work = new PageWork(tx, page.round ?? null, page.round ?? (await currentRound(tx)));
      const merge = page.merge === true;
      const ops = pageOperations(page);
      await work.loadResources([...ops.deletes, ...ops.upserts]);
      await work.loadEdgesNaming(ops.deletes);
      await work.loadEdges([...ops.removes, ...ops.adds].map(keyOf));
      for (const d of ops.deletes) work.delete(d.kind, d.id, d);
      for (const r of ops.upserts) work.upsert(r, merge);
      for (const e of ops.removes) work.removeEdge(e);
      for (const e of ops.adds) work.addEdge(e);
      await work.flush();
      const result = await this.#finish(
        tx,
        work,
        page.runId,
        tenant,
        page.stream,
        page.checkpoint,
        page.stats,
      );
      return page.returnEvents === false ? { ...result, events: [] } : result;
    }, RETRIED);
  }

  async reconcile(input: ReconcileInput): Promise<PageResult> {
    validateReconcile(input);
    return this.#db.transaction(async (tx) => {
      const tenant = await runTenant(tx, input.runId);
      const work = new PageWork(tx, input.round, input.round);
      for (const kind of input.kinds ?? []) {
        // Keyset chunks by id: each chunk is read, deleted and written, then the next one starts after it.
        let after = "";
        for (;;) {
          const ids = await tx.query<{ id: string }>(
            "SELECT id FROM resources WHERE kind = $1 AND id > $2 AND seen_round < $3 ORDER BY id LIMIT $4",
            [kind, after, input.round, SWEEP_CHUNK],
          );
          const deletes = ids.map(({ id }) => ({ kind, id }));
          await work.loadResources(deletes);
          await work.loadEdgesNaming(deletes);
          for (const { id } of ids) work.delete(kind, id, {});
          await work.flush();
          const last = ids.at(-1);
          if (!last || ids.length < SWEEP_CHUNK) break;
          after = last.id;
        }
      }
      for (const relation of input.relations ?? []) {
        // Locked as read: another stream's page deleting one of these rows meanwhile (a principal's
        // deletion takes its edges) would otherwise leave both transactions reporting its removal.
        let after = ["", "", ""];
        for (;;) {
          const rows = await tx.query<EdgeState["row"]>(
            `SELECT ${EDGE_COLUMNS} FROM edges
             WHERE relation = $1 AND ($2::text[] IS NULL OR object_id = ANY($2)) AND seen_round < $3
               AND (object_id, principal_id, qualifier) > ($4, $5, $6)
             ORDER BY object_id, principal_id, qualifier LIMIT $7 FOR UPDATE`,
            [relation, input.objectIds ?? null, input.round, ...after, SWEEP_CHUNK],
          );
          work.adoptEdges(rows);
          for (const row of rows) work.removeEdgeRow(row);
          await work.flush();
          const last = rows.at(-1);
          if (!last || rows.length < SWEEP_CHUNK) break;
          after = [last.object_id, last.principal_id, last.qualifier];
        }
      }
      return this.#finish(tx, work, input.runId, tenant, input.stream, input.checkpoint, undefined);
    }, RETRIED);
  }

  async checkpoint(stream: string): Promise<StoredCheckpoint | undefined> {
    const row = await one<CursorRow>(this.#db, "SELECT * FROM cursors WHERE stream = $1", [stream]);
    return row ? checkpointFromRow(row) : undefined;
  }

  async checkpoints(): Promise<StoredCheckpoint[]> {
    return (await this.#db.query<CursorRow>("SELECT * FROM cursors ORDER BY stream")).map(checkpointFromRow);
  }

  async deferReadIndexes(): Promise<boolean> {
    return deferReadIndexes(this.#db);
  }

  async restoreReadIndexes(): Promise<void> {
    await ensureReadIndexes(this.#db);
  }

  async newRound(): Promise<number> {
    const row = await one<{ value: number }>(
      this.#db,
      "UPDATE counters SET value = value + 1 WHERE name = 'round' RETURNING value",
    );
    return row?.value ?? 0;
  }

  async #finish(
    tx: Tx,
    work: PageWork,
    runId: string,
    tenantId: string,
    stream: string,
    checkpoint: Checkpoint | undefined,
    stats: PageInput["stats"],
  ): Promise<PageResult> {
    if (checkpoint) await saveCheckpoint(tx, stream, checkpoint);
    const events = await appendEvents(tx, work.events, runId, tenantId);
    await addRunStats(tx, runId, stream, { ...stats, objects: work.objects, changes: events.length });
    return { events, changes: events.length, objects: work.objects };
  }
}

const RESOURCE_COLUMNS = "kind, id, data, deleted_at, seen_round, updated_at";
const EDGE_COLUMNS = "relation, object_id, principal_id, qualifier, principal_type, data, seen_round";

/** A stored object as the page leaves it; `existed`: as it was read, before the page. */
interface ResourceState {
  kind: ResourceKind;
  id: string;
  present: boolean;
  existed: boolean;
  dirty: boolean;
  data: string;
  deletedAt: string | null;
  seenRound: number;
  updatedAt: string;
}

interface EdgeState {
  row: EdgeRow & { data: string | null; seen_round: number };
  present: boolean;
  existed: boolean;
  dirty: boolean;
}

/** The rows one page (or one sweep) names, changed in memory, then written back together. */
class PageWork {
  readonly events: NewEvent[] = [];
  objects = 0;
  readonly #tx: Tx;
  /** Round stamped on the rows this page names; outside a round, new rows join the latest round. */
  readonly #round: number | null;
  readonly #insertRound: number;
  readonly #now = new Date().toISOString();
  #resources = new Map<string, ResourceState>();
  #edges = new Map<string, EdgeState>();
  /** Edge ids by each id they name (as object or principal), for a deletion's cascade. */
  #naming = new Map<string, Set<string>>();

  constructor(tx: Tx, round: number | null, insertRound: number) {
    this.#tx = tx;
    this.#round = round;
    this.#insertRound = insertRound;
  }

  async loadResources(keys: { kind: ResourceKind; id: string }[]): Promise<void> {
    const wanted = keys.filter((k) => !this.#resources.has(resourceKey(k.kind, k.id)));
    if (wanted.length === 0) return;
    for (const k of wanted) {
      this.#resources.set(resourceKey(k.kind, k.id), {
        kind: k.kind,
        id: k.id,
        present: false,
        existed: false,
        dirty: false,
        data: "",
        deletedAt: null,
        seenRound: 0,
        updatedAt: "",
      });
    }
    const rows = await this.#tx.query<{
      kind: ResourceKind;
      id: string;
      data: string;
      deleted_at: string | null;
      seen_round: number;
      updated_at: string;
    }>(
      `SELECT ${RESOURCE_COLUMNS} FROM resources
       WHERE (kind, id) IN (SELECT * FROM unnest($1::text[], $2::text[])) FOR UPDATE`,
      [wanted.map((k) => k.kind), wanted.map((k) => k.id)],
    );
    for (const row of rows) {
      const state = this.#resources.get(resourceKey(row.kind, row.id)) as ResourceState;
      Object.assign(state, {
        present: true,
        existed: true,
        data: row.data,
        deletedAt: row.deleted_at,
        seenRound: row.seen_round,
        updatedAt: row.updated_at,
      });
    }
  }

  async loadEdges(keys: EdgeKey[]): Promise<void> {
    const wanted = keys.filter((k) => !this.#edges.has(edgeId(k)));
    if (wanted.length === 0) return;
    const rows = await this.#tx.query<EdgeState["row"]>(
      `SELECT ${EDGE_COLUMNS} FROM edges
       WHERE (relation, object_id, principal_id, qualifier) IN
         (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])) FOR UPDATE`,
      [
        wanted.map((k) => k.relation),
        wanted.map((k) => k.objectId),
        wanted.map((k) => k.principalId),
        wanted.map((k) => k.qualifier),
      ],
    );
    this.adoptEdges(rows);
  }

  /** Edges on the objects (their members, owners, assignees) and edges they hold as principal. */
  async loadEdgesNaming(objects: { kind: ResourceKind; id: string }[]): Promise<void> {
    if (objects.length === 0) return;
    const pairs = objects.flatMap((o) => relationsOn(o.kind).map((relation) => [relation, o.id] as const));
    const on = await this.#tx.query<EdgeState["row"]>(
      `SELECT ${EDGE_COLUMNS} FROM edges WHERE (relation, object_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
       ORDER BY relation, object_id, principal_id, qualifier FOR UPDATE`,
      [pairs.map((p) => p[0]), pairs.map((p) => p[1])],
    );
    const held = await this.#tx.query<EdgeState["row"]>(
      `SELECT ${EDGE_COLUMNS} FROM edges WHERE principal_id = ANY($1::text[])
       ORDER BY relation, object_id, qualifier FOR UPDATE`,
      [objects.map((o) => o.id)],
    );
    this.adoptEdges(on);
    this.adoptEdges(held);
  }

  /** Takes rows just read as the edges' state, unless this page already holds them. */
  adoptEdges(rows: EdgeState["row"][]): void {
    for (const row of rows) {
      const id = edgeId(keyOfRow(row));
      if (this.#edges.has(id)) continue;
      this.#edges.set(id, { row, present: true, existed: true, dirty: false });
      this.#index(id, row);
    }
  }

  #index(id: string, row: EdgeRow): void {
    for (const end of [row.object_id, row.principal_id]) {
      const set = this.#naming.get(end) ?? new Set<string>();
      set.add(id);
      this.#naming.set(end, set);
    }
  }

  upsert(resource: Resource, merge: boolean): void {
    this.objects++;
    const state = this.#resources.get(resourceKey(resource.kind, resource.id)) as ResourceState;
    const outcome = upsertOutcome(
      resource,
      state.present ? { data: state.data, deletedAt: state.deletedAt } : undefined,
      merge,
    );
    if (outcome.write === "none") {
      if (this.#round !== null && state.seenRound !== this.#round) {
        state.seenRound = this.#round;
        state.dirty = true;
      }
      return;
    }
    const inserted = outcome.write === "insert";
    Object.assign(state, {
      present: true,
      dirty: true,
      data: outcome.json,
      deletedAt: null,
      seenRound: inserted ? this.#insertRound : (this.#round ?? state.seenRound),
      updatedAt: this.#now,
    });
    if (outcome.event) this.events.push(outcome.event);
  }

  delete(kind: ResourceKind, id: string, deletion: Pick<Deletion, "soft" | "data">): void {
    this.objects++;
    const state = this.#resources.get(resourceKey(kind, id)) as ResourceState;
    const outcome = deleteOutcome(
      kind,
      id,
      state.present ? { data: state.data, deletedAt: state.deletedAt } : undefined,
      deletion,
    );
    const write = outcome.write;
    if (write.type === "insert-tombstone") {
      Object.assign(state, {
        present: true,
        data: write.json,
        deletedAt: this.#now,
        seenRound: this.#insertRound,
        updatedAt: this.#now,
      });
    } else if (write.type === "tombstone") {
      Object.assign(state, {
        data: write.json,
        deletedAt: state.deletedAt ?? this.#now,
        seenRound: this.#round ?? state.seenRound,
        updatedAt: this.#now,
      });
    } else if (write.type === "soft") {
      state.deletedAt ??= this.#now;
      state.seenRound = this.#round ?? state.seenRound;
    } else if (write.type === "hard") {
      state.present = false;
    }
    if (write.type !== "none") state.dirty = true;
    if (outcome.event) this.events.push(outcome.event);
    if (outcome.cascade) this.#removeEdgesNaming(kind, id);
  }

  addEdge(edge: Edge): void {
    this.objects++;
    const key = keyOf(edge);
    const id = edgeId(key);
    const principalType = edge.principalType ?? "unknown";
    const data = edge.data ? JSON.stringify(edge.data) : null;
    const known = learntPrincipalType(principalType);
    const state = this.#edges.get(id);
    if (!state?.present) {
      const row = {
        relation: key.relation,
        object_id: key.objectId,
        principal_id: key.principalId,
        qualifier: key.qualifier,
        principal_type: principalType,
        data,
        seen_round: this.#insertRound,
      };
      if (state) Object.assign(state, { row, present: true, dirty: true });
      else {
        this.#edges.set(id, { row, present: true, existed: false, dirty: true });
        this.#index(id, row);
      }
      this.events.push(edgeEvent("added", key, principalType));
    } else if (this.#round !== null || data !== null || known !== null) {
      const row = state.row;
      const next = {
        seen_round: this.#round ?? row.seen_round,
        data: data ?? row.data,
        principal_type: known ?? row.principal_type,
      };
      if (
        next.seen_round !== row.seen_round ||
        next.data !== row.data ||
        next.principal_type !== row.principal_type
      ) {
        Object.assign(row, next);
        state.dirty = true;
      }
    }
  }

  removeEdge(edge: Edge): void {
    this.objects++;
    this.#deleteEdge(edgeId(keyOf(edge)));
  }

  removeEdgeRow(row: EdgeRow): void {
    this.objects++;
    this.#deleteEdge(edgeId(keyOfRow(row)));
  }

  #deleteEdge(id: string): void {
    const state = this.#edges.get(id);
    if (!state?.present) return;
    state.present = false;
    state.dirty = true;
    this.events.push(edgeEvent("removed", keyOfRow(state.row), state.row.principal_type));
  }

  /** A deleted object takes its relationships with it: first those on it, then those it holds. */
  #removeEdgesNaming(kind: ResourceKind, id: string): void {
    const ids = [...(this.#naming.get(id) ?? [])];
    const on = new Set(relationsOn(kind));
    const edges = ids.map((edge) => [edge, (this.#edges.get(edge) as EdgeState).row] as const);
    for (const [edge, row] of edges) if (row.object_id === id && on.has(row.relation)) this.#deleteEdge(edge);
    for (const [edge, row] of edges) if (row.principal_id === id) this.#deleteEdge(edge);
  }

  /** Writes what changed, one statement per table and kind of write, and starts afresh. */
  async flush(): Promise<void> {
    const resources = [...this.#resources.values()].filter((s) => s.dirty);
    const gone = resources.filter((s) => !s.present && s.existed);
    if (gone.length > 0) {
      await this.#tx.query(
        "DELETE FROM resources WHERE (kind, id) IN (SELECT * FROM unnest($1::text[], $2::text[]))",
        [gone.map((s) => s.kind), gone.map((s) => s.id)],
      );
    }
    const kept = resources.filter((s) => s.present);
    const rows = kept.map((s): CopyValue[] => {
      const c = displayColumns(s.kind, JSON.parse(s.data) as Record<string, unknown>);
      return [s.kind, s.id, c.displayName, c.principalName, s.data, s.deletedAt, s.seenRound, s.updatedAt];
    });
    const changed = rows.filter((_, i) => kept[i]?.existed);
    if (changed.length > 0) {
      await this.#tx.query(
        `UPDATE resources r SET display_name = u.n, principal_name = u.p, data = u.d, deleted_at = u.del,
           seen_round = u.r, updated_at = u.at
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::text[])
           AS u(kind, id, n, p, d, del, r, at)
         WHERE r.kind = u.kind AND r.id = u.id`,
        columnsOf(changed),
      );
    }
    // Rows the page read as absent: should another writer add one meanwhile, the COPY fails on its key
    // and the page runs again (PgDatabase.transaction's retry), finding it present.
    await this.#tx.copy(
      "resources",
      ["kind", "id", "display_name", "principal_name", "data", "deleted_at", "seen_round", "updated_at"],
      rows.filter((_, i) => !kept[i]?.existed),
    );
    const edges = [...this.#edges.values()].filter((s) => s.dirty);
    const removed = edges.filter((s) => !s.present && s.existed).map((s) => s.row);
    if (removed.length > 0) {
      await this.#tx.query(
        `DELETE FROM edges WHERE (relation, object_id, principal_id, qualifier) IN
           (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]))`,
        [
          removed.map((r) => r.relation),
          removed.map((r) => r.object_id),
          removed.map((r) => r.principal_id),
          removed.map((r) => r.qualifier),
        ],
      );
    }
    // Rows it read are updated in place (most of a full-resync round: only their round mark changed),
    // which costs less than an insert that finds its conflict; new ones are inserted.
    const updated = edges.filter((s) => s.present && s.existed).map((s) => s.row);
    if (updated.length > 0) {
      await this.#tx.query(
        `UPDATE edges e SET principal_type = u.t, data = u.d, seen_round = u.r
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[])
           AS u(relation, o, p, q, t, d, r)
         WHERE e.relation = u.relation AND e.object_id = u.o AND e.principal_id = u.p AND e.qualifier = u.q`,
        columnsOf(updated.map(edgeValues)),
      );
    }
    const inserted = edges.filter((s) => s.present && !s.existed).map((s) => s.row);
    await this.#tx.copy("edges", EDGE_COLUMNS.split(", "), inserted.map(edgeValues));
    this.#resources = new Map();
    this.#edges = new Map();
    this.#naming = new Map();
  }
}

/** An edge row's values in the table's order. */
function edgeValues(r: EdgeState["row"]): CopyValue[] {
  return [r.relation, r.object_id, r.principal_id, r.qualifier, r.principal_type, r.data, r.seen_round];
}

/** Rows as one array per column, for a statement over unnested arrays. */
function columnsOf(rows: readonly CopyValue[][]): CopyValue[][] {
  return (rows[0] ?? []).map((_, c) => rows.map((row) => row[c] ?? null));
}

function resourceKey(kind: string, id: string): string {
  return `${kind}\u0000${id}`;
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

async function saveCheckpoint(tx: Sql, stream: string, checkpoint: Checkpoint): Promise<void> {
  await tx.query(
    `INSERT INTO cursors (stream, version, data, revision, updated_at) VALUES ($1, $2, $3, 1, $4)
     ON CONFLICT (stream) DO UPDATE SET version = excluded.version, data = excluded.data,
       revision = cursors.revision + 1, updated_at = excluded.updated_at`,
    [stream, checkpoint.version, JSON.stringify(checkpoint.data), new Date().toISOString()],
  );
}

async function currentRound(tx: Sql): Promise<number> {
  return (await one<{ value: number }>(tx, "SELECT value FROM counters WHERE name = 'round'"))?.value ?? 0;
}
