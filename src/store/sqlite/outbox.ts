import { edgeEvent, type NewEvent } from "../page-changes.ts";
import type { ChangeEvent, Outbox, PropertyChange, Relation, ResourceKind } from "../types.ts";
import type { SqliteDatabase } from "./database.ts";

/** A row as stored (see migration 8): ids, runs and relationship events kept compactly. */
interface EventRow {
  seq: number;
  id: string | null;
  type: ChangeEvent["type"];
  kind: ResourceKind;
  resource_id: string;
  data: string | null;
  changes: string | null;
  run_id: string;
  tenant_id: string;
  /** Milliseconds since the epoch; ISO text in rows written before migration 8. */
  detected_at: number | string;
  relation: Relation | null;
  principal_id: string | null;
  principal_type: string | null;
  qualifier: string | null;
}

/** Every column a reader needs, the run's id and tenant joined in. */
const EVENT_SELECT = `SELECT e.seq, e.id, e.type, e.kind, e.resource_id, e.data, e.changes, r.id AS run_id,
  r.tenant_id, e.detected_at, e.relation, e.principal_id, e.principal_type, e.qualifier
  FROM change_events e JOIN runs r ON r.number = e.run_n`;

/**
 * Ids of events stored without one: the store's random prefix (made by migration 8) with the seq as
 * the last 12 hex digits, shaped as a version-4 UUID. Unique within the store by seq and across
 * stores by the prefix; the same event always reads with the same id.
 */
export class EventIds {
  readonly #head: string;

  constructor(db: SqliteDatabase) {
    const prefix = db.get<{ value: string }>("SELECT value FROM meta WHERE key = 'event_id_prefix'")?.value;
    if (!prefix || !/^[0-9a-f]{24}$/.test(prefix)) throw new Error("the store has no event id prefix");
    const variant = ((Number.parseInt(prefix[16] as string, 16) & 3) | 8).toString(16);
    this.#head = `${prefix.slice(0, 8)}-${prefix.slice(8, 12)}-4${prefix.slice(13, 16)}-${variant}${prefix.slice(17, 20)}-`;
  }

  of(seq: number): string {
    return this.#head + seq.toString(16).padStart(12, "0");
  }
}

/**
 * Writes change events for one run inside the caller's transaction; keeps them for the page's result
 * unless told not to (`PageInput.returnEvents`), counting them either way.
 */
export class EventAppender {
  readonly events: ChangeEvent[] = [];
  count = 0;
  readonly #keep: boolean;
  readonly #db: SqliteDatabase;
  readonly #ids: EventIds;
  readonly #runId: string;
  readonly #runNumber: number;
  readonly #tenantId: string;
  readonly #atMs = Date.now();
  readonly #at = new Date(this.#atMs).toISOString();

  constructor(
    db: SqliteDatabase,
    ids: EventIds,
    run: { id: string; number: number; tenantId: string },
    keep = true,
  ) {
    this.#db = db;
    this.#keep = keep;
    this.#ids = ids;
    this.#runId = run.id;
    this.#runNumber = run.number;
    this.#tenantId = run.tenantId;
  }

  /** `dataJson`: `event.data` already serialised by the caller (saves a second stringify per object). */
  append(event: NewEvent, dataJson?: string): void {
    const { lastInsertRowid: seq } = this.#db.run(
      `INSERT INTO change_events (type, kind, resource_id, data, changes, run_n, detected_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      event.type,
      event.kind,
      event.resourceId,
      dataJson ?? JSON.stringify(event.data),
      event.changes ? JSON.stringify(event.changes) : null,
      this.#runNumber,
      this.#atMs,
    );
    this.#push(event, seq);
  }

  /** A relationship's event, `edgeEvent(type, key, principalType)`: stored as its key, not its data. */
  appendEdge(type: "added" | "removed", key: Parameters<typeof edgeEvent>[1], principalType: string): void {
    const event = edgeEvent(type, key, principalType);
    const { lastInsertRowid: seq } = this.#db.run(
      `INSERT INTO change_events (type, kind, resource_id, run_n, detected_at, relation, principal_id, principal_type, qualifier)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      type,
      event.kind,
      key.objectId,
      this.#runNumber,
      this.#atMs,
      key.relation,
      key.principalId,
      principalType,
      key.qualifier,
    );
    this.#push(event, seq);
  }

  #push(event: NewEvent, seq: number): void {
    this.count++;
    if (!this.#keep) return;
    this.events.push({
      ...event,
      seq,
      id: this.#ids.of(seq),
      runId: this.#runId,
      tenantId: this.#tenantId,
      detectedAt: this.#at,
    });
  }
}

export function eventFromRow(row: EventRow, ids: EventIds): ChangeEvent {
  const data =
    row.data !== null
      ? (JSON.parse(row.data) as Record<string, unknown>)
      : edgeEvent(
          row.type as "added" | "removed",
          {
            relation: row.relation as Relation,
            objectId: row.resource_id,
            principalId: row.principal_id as string,
            qualifier: row.qualifier ?? "",
          },
          row.principal_type as string,
        ).data;
  const event: ChangeEvent = {
    seq: row.seq,
    id: row.id ?? ids.of(row.seq),
    type: row.type,
    kind: row.kind,
    resourceId: row.resource_id,
    data,
    runId: row.run_id,
    tenantId: row.tenant_id,
    detectedAt:
      typeof row.detected_at === "number" ? new Date(row.detected_at).toISOString() : row.detected_at,
  };
  if (row.changes) event.changes = JSON.parse(row.changes) as PropertyChange[];
  return event;
}

export function outboxHead(db: SqliteDatabase): number {
  return db.get<{ seq: number | null }>("SELECT max(seq) AS seq FROM change_events")?.seq ?? 0;
}

export function eventsBetween(
  db: SqliteDatabase,
  afterSeq: number,
  untilSeq: number,
  limit: number,
): ChangeEvent[] {
  const ids = new EventIds(db);
  return db
    .all<EventRow>(
      `${EVENT_SELECT} WHERE e.seq > ? AND e.seq <= ? ORDER BY e.seq LIMIT ?`,
      afterSeq,
      untilSeq,
      limit,
    )
    .map((row) => eventFromRow(row, ids));
}

/** Every event in order, a chunk at a time (for copying a store). */
export function* allEvents(db: SqliteDatabase, chunk = 5000): Generator<ChangeEvent> {
  for (let after = 0; ; ) {
    const events = eventsBetween(db, after, Number.MAX_SAFE_INTEGER, chunk);
    yield* events;
    const last = events.at(-1);
    if (!last || events.length < chunk) return;
    after = last.seq;
  }
}

export class SqliteOutbox implements Outbox {
  readonly #db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.#db = db;
  }

  async read(options: { afterSeq?: number; limit?: number; untilSeq?: number }): Promise<ChangeEvent[]> {
    return eventsBetween(
      this.#db,
      options.afterSeq ?? 0,
      options.untilSeq ?? Number.MAX_SAFE_INTEGER,
      options.limit ?? 1000,
    );
  }

  async head(): Promise<number> {
    return outboxHead(this.#db);
  }

  async position(consumer: string): Promise<number> {
    return (
      this.#db.get<{ position: number }>("SELECT position FROM outbox_consumers WHERE consumer = ?", consumer)
        ?.position ?? 0
    );
  }

  async commit(consumer: string, seq: number): Promise<void> {
    this.#db.run(
      `INSERT INTO outbox_consumers (consumer, position) VALUES (?, ?)
       ON CONFLICT (consumer) DO UPDATE SET position = max(position, excluded.position)`,
      consumer,
      seq,
    );
  }
}
