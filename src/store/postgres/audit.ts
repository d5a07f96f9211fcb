import { type AuditRow, auditColumns, auditFromRow, auditToWrite } from "../audit-entries.ts";
import type { AuditEntry, AuditInput, AuditLog } from "../types.ts";
import { one, type Sql } from "./database.ts";

export class PgAuditLog implements AuditLog {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async record(entry: AuditInput): Promise<AuditEntry> {
    const saved = auditToWrite(entry);
    const row = await one<{ seq: number }>(
      this.#sql,
      `INSERT INTO audit (at, action, target, input, result, detail, request_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING seq`,
      auditColumns(saved),
    );
    return { seq: row?.seq ?? 0, ...saved };
  }

  async list(options: { afterSeq?: number; limit?: number; action?: string } = {}): Promise<AuditEntry[]> {
    const rows = await this.#sql.query<AuditRow>(
      "SELECT * FROM audit WHERE seq > $1 AND ($2::text IS NULL OR action = $2) ORDER BY seq LIMIT $3",
      [options.afterSeq ?? 0, options.action ?? null, options.limit ?? 1000],
    );
    return rows.map(auditFromRow);
  }
}
