import { maskSecrets } from "../changes.ts";
import { invalidInput } from "../errors.ts";
import type { AuditEntry, AuditInput, AuditLog } from "../types.ts";
import type { SqliteDatabase } from "./database.ts";

interface AuditRow {
  seq: number;
  at: string;
  action: string;
  target: string;
  input: string;
  result: AuditEntry["result"];
  detail: string | null;
  request_id: string | null;
}

const RESULTS = ["succeeded", "failed", "dry-run"];

export class SqliteAuditLog implements AuditLog {
  readonly #db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.#db = db;
  }

  async record(entry: AuditInput): Promise<AuditEntry> {
    if (typeof entry.action !== "string" || entry.action === "") {
      throw invalidInput("action", "must name the action audited");
    }
    if (typeof entry.target !== "string") throw invalidInput("target", "must be a string");
    if (!RESULTS.includes(entry.result)) {
      throw invalidInput("result", `must be one of ${RESULTS.join(", ")}`);
    }
    const at = entry.at ?? new Date().toISOString();
    // Callers remove secrets; masking again here keeps one forgotten field from reaching disk.
    const input = maskSecrets(entry.input ?? null);
    const detail = entry.detail === undefined ? undefined : maskSecrets(entry.detail);
    const { lastInsertRowid } = this.#db.run(
      `INSERT INTO audit (at, action, target, input, result, detail, request_id) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      at,
      entry.action,
      entry.target,
      JSON.stringify(input),
      entry.result,
      detail === undefined ? null : JSON.stringify(detail),
      entry.requestId ?? null,
    );
    const saved: AuditEntry = {
      seq: lastInsertRowid,
      at,
      action: entry.action,
      target: entry.target,
      input,
      result: entry.result,
    };
    if (detail !== undefined) saved.detail = detail;
    if (entry.requestId) saved.requestId = entry.requestId;
    return saved;
  }

  async list(options: { afterSeq?: number; limit?: number; action?: string } = {}): Promise<AuditEntry[]> {
    const rows = this.#db.all<AuditRow>(
      `SELECT * FROM audit WHERE seq > ? AND (?2 IS NULL OR action = ?2) ORDER BY seq LIMIT ?`,
      options.afterSeq ?? 0,
      options.action ?? null,
      options.limit ?? 1000,
    );
    return rows.map((row) => {
      const entry: AuditEntry = {
        seq: row.seq,
        at: row.at,
        action: row.action,
        target: row.target,
        input: JSON.parse(row.input),
        result: row.result,
      };
      if (row.detail !== null) entry.detail = JSON.parse(row.detail);
      if (row.request_id !== null) entry.requestId = row.request_id;
      return entry;
    });
  }
}
