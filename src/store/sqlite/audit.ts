import { type AuditRow, auditColumns, auditFromRow, auditToWrite } from "../audit-entries.ts";
import type { AuditEntry, AuditInput, AuditLog } from "../types.ts";
import type { SqliteDatabase } from "./database.ts";

export class SqliteAuditLog implements AuditLog {
  readonly #db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.#db = db;
  }

  async record(entry: AuditInput): Promise<AuditEntry> {
    const saved = auditToWrite(entry);
    const { lastInsertRowid } = this.#db.run(
      `INSERT INTO audit (at, action, target, input, result, detail, request_id) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ...auditColumns(saved),
    );
    return { seq: lastInsertRowid, ...saved };
  }

  async list(options: { afterSeq?: number; limit?: number; action?: string } = {}): Promise<AuditEntry[]> {
    const rows = this.#db.all<AuditRow>(
      `SELECT * FROM audit WHERE seq > ? AND (?2 IS NULL OR action = ?2) ORDER BY seq LIMIT ?`,
      options.afterSeq ?? 0,
      options.action ?? null,
      options.limit ?? 1000,
    );
    return rows.map(auditFromRow);
  }
}
