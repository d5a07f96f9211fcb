import { randomUUID } from "node:crypto";
import type { NewEvent } from "../page-changes.ts";
import type { ChangeEvent, Outbox, PropertyChange, ResourceKind } from "../types.ts";
import type { SqliteDatabase } from "./database.ts";

interface EventRow {
  seq: number;
  id: string;
  type: ChangeEvent["type"];
  kind: ResourceKind;
  resource_id: string;
  data: string;
  changes: string | null;
  run_id: string;
  tenant_id: string;
  detected_at: string;
}

/** Writes change events for one run inside the caller's transaction. */
export class EventAppender {
  readonly events: ChangeEvent[] = [];
  readonly #db: SqliteDatabase;
  readonly #runId: string;
  readonly #tenantId: string;
  readonly #at = new Date().toISOString();

  constructor(db: SqliteDatabase, runId: string, tenantId: string) {
    this.#db = db;
    this.#runId = runId;
    this.#tenantId = tenantId;
  }

  /** `dataJson`: `event.data` already serialised by the caller (saves a second stringify per object). */
  append(event: NewEvent, dataJson?: string): void {
    const id = randomUUID();
    const { lastInsertRowid } = this.#db.run(
      `INSERT INTO change_events (id, type, kind, resource_id, data, changes, run_id, tenant_id, detected_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      id,
      event.type,
      event.kind,
      event.resourceId,
      dataJson ?? JSON.stringify(event.data),
      event.changes ? JSON.stringify(event.changes) : null,
      this.#runId,
      this.#tenantId,
      this.#at,
    );
    this.events.push({
      ...event,
      seq: lastInsertRowid,
      id,
      runId: this.#runId,
      tenantId: this.#tenantId,
      detectedAt: this.#at,
    });
  }
}

export function eventFromRow(row: EventRow): ChangeEvent {
  const event: ChangeEvent = {
    seq: row.seq,
    id: row.id,
    type: row.type,
    kind: row.kind,
    resourceId: row.resource_id,
    data: JSON.parse(row.data) as Record<string, unknown>,
    runId: row.run_id,
    tenantId: row.tenant_id,
    detectedAt: row.detected_at,
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
  return db
    .all<EventRow>(
      "SELECT * FROM change_events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?",
      afterSeq,
      untilSeq,
      limit,
    )
    .map(eventFromRow);
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
