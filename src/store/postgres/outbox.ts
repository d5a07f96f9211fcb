import { randomUUID } from "node:crypto";
import type { NewEvent } from "../page-changes.ts";
import type { ChangeEvent, Outbox, PropertyChange, ResourceKind } from "../types.ts";
import { one, type Sql, type Tx } from "./database.ts";

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

/**
 * Writes a page's events inside its transaction. Their seqs come from the outbox counter row, which
 * the update locks until the transaction ends: pages writing at once take their seqs one after the
 * other, a rollback gives its seqs back, and no reader sees a seq before every lower one is committed.
 */
export async function appendEvents(
  tx: Tx,
  events: NewEvent[],
  runId: string,
  tenantId: string,
): Promise<ChangeEvent[]> {
  if (events.length === 0) return [];
  const counter = await one<{ value: number }>(
    tx,
    "UPDATE counters SET value = value + $1 WHERE name = 'outbox' RETURNING value",
    [events.length],
  );
  const first = (counter?.value ?? events.length) - events.length + 1;
  const at = new Date().toISOString();
  const saved: ChangeEvent[] = events.map((event, i) => ({
    ...event,
    seq: first + i,
    id: randomUUID(),
    runId,
    tenantId,
    detectedAt: at,
  }));
  // No conflict is possible (the seqs are this transaction's own), so COPY, the cheapest way in.
  await tx.copy(
    "change_events",
    ["seq", "id", "type", "kind", "resource_id", "data", "changes", "run_id", "tenant_id", "detected_at"],
    saved.map((e) => [
      e.seq,
      e.id,
      e.type,
      e.kind,
      e.resourceId,
      JSON.stringify(e.data),
      e.changes ? JSON.stringify(e.changes) : null,
      runId,
      tenantId,
      at,
    ]),
  );
  return saved;
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

export async function outboxHead(sql: Sql): Promise<number> {
  return (await one<{ seq: number | null }>(sql, "SELECT max(seq) AS seq FROM change_events"))?.seq ?? 0;
}

export async function eventsBetween(
  sql: Sql,
  afterSeq: number,
  untilSeq: number,
  limit: number,
): Promise<ChangeEvent[]> {
  const rows = await sql.query<EventRow>(
    "SELECT * FROM change_events WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3",
    [afterSeq, untilSeq, limit],
  );
  return rows.map(eventFromRow);
}

export class PgOutbox implements Outbox {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async read(options: { afterSeq?: number; limit?: number; untilSeq?: number }): Promise<ChangeEvent[]> {
    return eventsBetween(
      this.#sql,
      options.afterSeq ?? 0,
      options.untilSeq ?? Number.MAX_SAFE_INTEGER,
      options.limit ?? 1000,
    );
  }

  async head(): Promise<number> {
    return outboxHead(this.#sql);
  }

  async position(consumer: string): Promise<number> {
    const row = await one<{ position: number }>(
      this.#sql,
      "SELECT position FROM outbox_consumers WHERE consumer = $1",
      [consumer],
    );
    return row?.position ?? 0;
  }

  async commit(consumer: string, seq: number): Promise<void> {
    await this.#sql.query(
      `INSERT INTO outbox_consumers (consumer, position) VALUES ($1, $2)
       ON CONFLICT (consumer) DO UPDATE SET position = greatest(outbox_consumers.position, excluded.position)`,
      [consumer, seq],
    );
  }
}
