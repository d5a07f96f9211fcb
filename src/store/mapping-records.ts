/**
 * Row shapes and row-to-record mapping shared by the SQLite and PostgreSQL mapping stores and
 * delivery attempts: both adapters keep the same columns, so only the SQL differs between them.
 */
import type {
  DeliveryAttempt,
  MappingDefinition,
  MappingLink,
  MappingLogEntry,
  MappingResult,
  MappingRetry,
  MappingRun,
  MappingRunKind,
  MappingSubject,
} from "./types.ts";

export interface MappingRunRow {
  number: number;
  id: string;
  mapping: string;
  kind: MappingRunKind;
  status: MappingRun["status"];
  started_at: string;
  finished_at: string | null;
  error: string | null;
}

export interface MappingLogRow {
  seq: number | string;
  run_id: string;
  user_id: string;
  action: MappingLogEntry["action"];
  result: MappingResult;
  reason: string;
  target_id: string | null;
  changes: string | null;
  detail: string | null;
  at: string;
}

export interface MappingLinkRow {
  user_id: string;
  target_id: string;
  attributes: string;
}

export interface MappingRetryRow {
  user_id: string;
  attempts: number;
  next_attempt_at: number;
  error: string;
}

export interface AttemptRow {
  subscription: string;
  seq: number;
  event_id: string;
  event_type: string;
  status: DeliveryAttempt["status"];
  http_status: number | null;
  attempt: number;
  error: string | null;
  at: string;
}

/** Attempts kept per subscription: enough to see a failing receiver's recent history. */
export const ATTEMPTS_KEPT = 100;

/** Mapping-log rows counted per `action.result`, as a run reports them. */
export function mappingRun(row: MappingRunRow, counts: readonly { key: string; n: number }[]): MappingRun {
  const run: MappingRun = {
    id: row.id,
    number: row.number,
    mapping: row.mapping,
    kind: row.kind,
    status: row.status,
    startedAt: row.started_at,
    counts: Object.fromEntries(counts.map((c) => [c.key, c.n])),
  };
  if (row.finished_at !== null) run.finishedAt = row.finished_at;
  if (row.error !== null) run.error = row.error;
  return run;
}

export function mappingLogEntry(row: MappingLogRow): MappingLogEntry {
  const entry: MappingLogEntry = {
    seq: Number(row.seq),
    runId: row.run_id,
    userId: row.user_id,
    action: row.action,
    result: row.result,
    reason: row.reason,
    at: row.at,
  };
  if (row.target_id !== null) entry.targetId = row.target_id;
  if (row.changes !== null) entry.changes = JSON.parse(row.changes) as MappingLogEntry["changes"];
  if (row.detail !== null) entry.detail = row.detail;
  return entry;
}

export function mappingLink(row: MappingLinkRow): MappingLink {
  return {
    userId: row.user_id,
    targetId: row.target_id,
    attributes: JSON.parse(row.attributes) as Record<string, unknown>,
  };
}

export function mappingRetry(row: MappingRetryRow): MappingRetry {
  return {
    userId: row.user_id,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    error: row.error,
  };
}

export function mappingSubject(row: { id: string; data: string; deleted_at: string | null }): MappingSubject {
  const subject: MappingSubject = { id: row.id, data: JSON.parse(row.data) as Record<string, unknown> };
  if (row.deleted_at !== null) subject.deleted = "soft";
  return subject;
}

/** The log's filters as conditions; `placeholder(i)` writes the adapter's i-th (1-based) parameter. */
export function mappingLogFilter(
  mapping: string,
  options: { runId?: string; userId?: string; result?: MappingResult; afterSeq?: number },
  placeholder: (i: number) => string,
): { where: string; params: (string | number)[] } {
  const params: (string | number)[] = [mapping];
  const conditions = [`mapping = ${placeholder(1)}`];
  for (const [column, value] of [
    ["run_id", options.runId],
    ["user_id", options.userId],
    ["result", options.result],
  ] as const) {
    if (value === undefined) continue;
    params.push(value);
    conditions.push(`${column} = ${placeholder(params.length)}`);
  }
  if (options.afterSeq !== undefined) {
    params.push(options.afterSeq);
    conditions.push(`seq > ${placeholder(params.length)}`);
  }
  return { where: conditions.join(" AND "), params };
}

export interface MappingDefinitionRow {
  name: string;
  data: string;
  created_at: string;
  updated_at: string;
}

export function mappingDefinition(row: MappingDefinitionRow): MappingDefinition {
  return {
    name: row.name,
    data: JSON.parse(row.data) as Record<string, unknown>,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function deliveryAttempt(row: AttemptRow): DeliveryAttempt {
  return {
    subscription: row.subscription,
    seq: row.seq,
    eventId: row.event_id,
    eventType: row.event_type,
    status: row.status,
    ...(row.http_status === null ? {} : { httpStatus: row.http_status }),
    attempt: row.attempt,
    ...(row.error === null ? {} : { error: row.error }),
    at: row.at,
  };
}
