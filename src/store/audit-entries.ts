/** Audit entries as every adapter checks, masks and reads them back. */
import { maskSecrets } from "./changes.ts";
import { invalidInput } from "./errors.ts";
import type { AuditEntry, AuditInput } from "./types.ts";

export interface AuditRow {
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

/** Checks an entry and masks it: the entry without its seq, ready to write. */
export function auditToWrite(entry: AuditInput): Omit<AuditEntry, "seq"> {
  if (typeof entry.action !== "string" || entry.action === "") {
    throw invalidInput("action", "must name the action audited");
  }
  if (typeof entry.target !== "string") throw invalidInput("target", "must be a string");
  if (!RESULTS.includes(entry.result)) {
    throw invalidInput("result", `must be one of ${RESULTS.join(", ")}`);
  }
  // Callers remove secrets; masking again here keeps one forgotten field from reaching disk.
  const saved: Omit<AuditEntry, "seq"> = {
    at: entry.at ?? new Date().toISOString(),
    action: entry.action,
    target: entry.target,
    input: maskSecrets(entry.input ?? null),
    result: entry.result,
  };
  if (entry.detail !== undefined) saved.detail = maskSecrets(entry.detail);
  if (entry.requestId) saved.requestId = entry.requestId;
  return saved;
}

/** The row's column values for an entry from `auditToWrite`, in the table's order after seq. */
export function auditColumns(entry: Omit<AuditEntry, "seq">): (string | null)[] {
  return [
    entry.at,
    entry.action,
    entry.target,
    JSON.stringify(entry.input),
    entry.result,
    entry.detail === undefined ? null : JSON.stringify(entry.detail),
    entry.requestId ?? null,
  ];
}

export function auditFromRow(row: AuditRow): AuditEntry {
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
}
