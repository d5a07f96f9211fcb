/** Run rows and leases as every adapter reads them. */
import { invalidInput, StoreError } from "./errors.ts";
import { describeOwner, leaseOwner, ownerIsDeadHere } from "./lease-owner.ts";
import { RUN_LEASE_MS, type RunKind, type RunRecord, type RunStatus, type StreamStats } from "./types.ts";

export interface RunRow {
  number: number;
  id: string;
  kind: RunKind;
  status: RunStatus;
  tenant_id: string;
  started_at: string;
  finished_at: string | null;
  error: string | null;
  start_seq: number;
  end_seq: number | null;
  owner: string | null;
  lease_expires_at: number | null;
  interrupted_at: string | null;
  resumed_from: string | null;
}

/** The process holding a run, named as trigger leases name theirs. */
export const OWNER = leaseOwner();

/**
 * Why a run still marked `running` cannot be running any more, or undefined while it may be. A live
 * run renews its lease (the sync engine does, every third of it), so a lapsed lease means its process
 * died, hung or was suspended; a pid that is gone on this host says so without waiting for the lease.
 */
export function staleReason(row: RunRow, now: number): string | undefined {
  // Rows from before migration 4 have no lease: the connector that wrote them is no longer the one
  // opening this store, and nothing could ever finish them.
  if (row.owner === null) return "it was started by a connector version that kept no run lease";
  if (ownerIsDeadHere(row.owner)) return `${describeOwner(row.owner)} no longer runs`;
  if (row.lease_expires_at !== null && row.lease_expires_at <= now) {
    const lapsed = new Date(row.lease_expires_at).toISOString();
    return `${describeOwner(row.owner)} stopped renewing its lease, which lapsed at ${lapsed}`;
  }
  return undefined;
}

export function running(row: RunRow): StoreError<"STORE_SYNC_RUNNING"> {
  return new StoreError("STORE_SYNC_RUNNING", {
    run: row.number,
    holder: describeOwner(row.owner ?? ""),
    startedAt: row.started_at,
    until: new Date(row.lease_expires_at ?? 0).toISOString(),
    ttl: `${Math.round(RUN_LEASE_MS / 1000)} s`,
  });
}

export function checkLease(leaseMs: number): number {
  if (!Number.isFinite(leaseMs) || leaseMs <= 0) throw invalidInput("leaseMs", "must be a positive number");
  return leaseMs;
}

export interface StatsRow {
  stream: string;
  objects: number;
  changes: number;
  requests: number;
  resource_units: number;
  throttle_wait_ms: number;
  errors: number;
}

/** The record of a run from its row, its per-stream figures and the outbox range of its events. */
export function runRecord(
  row: RunRow,
  statsRows: StatsRow[],
  seqs: { first: number | null; last: number | null } | undefined,
): RunRecord {
  const stats: Record<string, StreamStats> = {};
  for (const s of statsRows) {
    stats[s.stream] = {
      objects: s.objects,
      changes: s.changes,
      requests: s.requests,
      resourceUnits: s.resource_units,
      throttleWaitMs: s.throttle_wait_ms,
      errors: s.errors,
    };
  }
  const run: RunRecord = {
    id: row.id,
    number: row.number,
    kind: row.kind,
    status: row.status,
    tenantId: row.tenant_id,
    startedAt: row.started_at,
    stats,
  };
  if (row.finished_at) run.finishedAt = row.finished_at;
  if (row.error) run.error = row.error;
  if (seqs?.first != null) run.firstSeq = seqs.first;
  if (seqs?.last != null) run.lastSeq = seqs.last;
  if (row.interrupted_at) run.interruptedAt = row.interrupted_at;
  if (row.resumed_from) run.resumedFrom = JSON.parse(row.resumed_from) as string[];
  return run;
}

/** Checks `start`'s input, returning the lease length. */
export function checkRunStart(input: { kind: RunKind; tenantId: string; leaseMs?: number }): number {
  if (input.kind !== "full" && input.kind !== "incremental") {
    throw invalidInput("kind", "must be full or incremental");
  }
  if (typeof input.tenantId !== "string" || input.tenantId === "") {
    throw invalidInput("tenantId", "must be the tenant's id");
  }
  return checkLease(input.leaseMs ?? RUN_LEASE_MS);
}

export function checkFinish(status: string): void {
  if (!["succeeded", "failed", "cancelled"].includes(status)) {
    throw invalidInput("status", "must be succeeded, failed or cancelled");
  }
}

/** The error text a run gets when a later one finds it interrupted. */
export function interruptedError(reason: string, by: string): string {
  return `interrupted: ${reason} (noticed by run ${by})`;
}
