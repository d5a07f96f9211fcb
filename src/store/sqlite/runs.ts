import { randomUUID } from "node:crypto";
import { invalidInput, StoreError } from "../errors.ts";
import { describeOwner, leaseOwner, ownerIsDeadHere } from "../lease-owner.ts";
import {
  RUN_LEASE_MS,
  type RunKind,
  type RunLog,
  type RunRecord,
  type RunStatus,
  type StreamStats,
} from "../types.ts";
import type { SqliteDatabase } from "./database.ts";
import { outboxHead } from "./outbox.ts";

interface RunRow {
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
const OWNER = leaseOwner();

/**
 * Why a run still marked `running` cannot be running any more, or undefined while it may be. A live
 * run renews its lease (the sync engine does, every third of it), so a lapsed lease means its process
 * died, hung or was suspended; a pid that is gone on this host says so without waiting for the lease.
 */
function staleReason(row: RunRow, now: number): string | undefined {
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

function running(row: RunRow): StoreError<"STORE_SYNC_RUNNING"> {
  return new StoreError("STORE_SYNC_RUNNING", {
    run: row.number,
    holder: describeOwner(row.owner ?? ""),
    startedAt: row.started_at,
    until: new Date(row.lease_expires_at ?? 0).toISOString(),
    ttl: `${Math.round(RUN_LEASE_MS / 1000)} s`,
  });
}

function checkLease(leaseMs: number): number {
  if (!Number.isFinite(leaseMs) || leaseMs <= 0) throw invalidInput("leaseMs", "must be a positive number");
  return leaseMs;
}

interface StatsRow {
  stream: string;
  objects: number;
  changes: number;
  requests: number;
  resource_units: number;
  throttle_wait_ms: number;
  errors: number;
}

/** Adds figures to a run's per-stream stats (inside the caller's transaction when there is one). */
export function addRunStats(
  db: SqliteDatabase,
  runId: string,
  stream: string,
  stats: Partial<StreamStats>,
): void {
  db.run(
    `INSERT INTO run_stats (run_id, stream, objects, changes, requests, resource_units, throttle_wait_ms, errors)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (run_id, stream) DO UPDATE SET
       objects = objects + excluded.objects, changes = changes + excluded.changes,
       requests = requests + excluded.requests, resource_units = resource_units + excluded.resource_units,
       throttle_wait_ms = throttle_wait_ms + excluded.throttle_wait_ms, errors = errors + excluded.errors`,
    runId,
    stream,
    stats.objects ?? 0,
    stats.changes ?? 0,
    stats.requests ?? 0,
    stats.resourceUnits ?? 0,
    stats.throttleWaitMs ?? 0,
    stats.errors ?? 0,
  );
}

/** The tenant a run syncs; change events carry it. */
export function runTenant(db: SqliteDatabase, runId: string): string {
  const row = db.get<{ tenant_id: string }>("SELECT tenant_id FROM runs WHERE id = ?", runId);
  if (!row) throw new StoreError("STORE_RUN_NOT_FOUND", { run: runId });
  return row.tenant_id;
}

/** Outbox positions bounding what a run produced: after `from`, up to and including `to`. */
export function runOutboxRange(db: SqliteDatabase, run: RunRecord): { from: number; to: number } {
  const row = db.get<{ start_seq: number; end_seq: number | null }>(
    "SELECT start_seq, end_seq FROM runs WHERE id = ?",
    run.id,
  );
  return { from: row?.start_seq ?? 0, to: row?.end_seq ?? outboxHead(db) };
}

export class SqliteRunLog implements RunLog {
  readonly #db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.#db = db;
  }

  async start(input: {
    kind: RunKind;
    tenantId: string;
    streams?: string[];
    leaseMs?: number;
  }): Promise<RunRecord> {
    if (input.kind !== "full" && input.kind !== "incremental") {
      throw invalidInput("kind", "must be full or incremental");
    }
    if (typeof input.tenantId !== "string" || input.tenantId === "") {
      throw invalidInput("tenantId", "must be the tenant's id");
    }
    const leaseMs = checkLease(input.leaseMs ?? RUN_LEASE_MS);
    const id = randomUUID();
    // One write transaction (BEGIN IMMEDIATE): of two runs starting at once, the second sees the
    // first's row and is refused, so two syncs never write the same store together.
    this.#db.transaction(() => {
      const now = Date.now();
      const noticed = new Date(now).toISOString();
      const resumed: string[] = [];
      for (const row of this.#db.all<RunRow>("SELECT * FROM runs WHERE status = 'running' ORDER BY number")) {
        const reason = staleReason(row, now);
        if (reason === undefined) throw running(row);
        this.#db.run(
          `UPDATE runs SET status = 'interrupted', interrupted_at = ?, error = coalesce(error, ?),
             end_seq = coalesce(end_seq, ?)
           WHERE id = ? AND status = 'running'`,
          noticed,
          `interrupted: ${reason} (noticed by run ${id})`,
          outboxHead(this.#db),
          row.id,
        );
        resumed.push(row.id);
      }
      this.#db.run(
        `INSERT INTO runs (id, kind, status, tenant_id, streams, started_at, start_seq, owner, lease_expires_at, resumed_from)
         VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?, ?)`,
        id,
        input.kind,
        input.tenantId,
        input.streams ? JSON.stringify(input.streams) : null,
        noticed,
        outboxHead(this.#db),
        OWNER,
        now + leaseMs,
        resumed.length > 0 ? JSON.stringify(resumed) : null,
      );
    });
    return this.#require(id);
  }

  async renew(runId: string, leaseMs: number = RUN_LEASE_MS): Promise<void> {
    checkLease(leaseMs);
    // A run already marked interrupted (its process was suspended past the lease) stays so until it
    // finishes: the run that noticed it has gone on from the same checkpoints.
    this.#db.run(
      "UPDATE runs SET lease_expires_at = ? WHERE id = ? AND status = 'running'",
      Date.now() + leaseMs,
      runId,
    );
  }

  async record(runId: string, stream: string, stats: Partial<StreamStats>): Promise<void> {
    this.#db.transaction(() => {
      runTenant(this.#db, runId);
      addRunStats(this.#db, runId, stream, stats);
    });
  }

  async finish(
    runId: string,
    outcome: { status: Exclude<RunStatus, "running" | "interrupted">; error?: string },
  ): Promise<RunRecord> {
    if (!["succeeded", "failed", "cancelled"].includes(outcome.status)) {
      throw invalidInput("status", "must be succeeded, failed or cancelled");
    }
    this.#db.transaction(() => {
      runTenant(this.#db, runId);
      this.#db.run(
        "UPDATE runs SET status = ?, error = ?, finished_at = ?, end_seq = ? WHERE id = ?",
        outcome.status,
        outcome.error ?? null,
        new Date().toISOString(),
        outboxHead(this.#db),
        runId,
      );
    });
    return this.#require(runId);
  }

  async get(idOrNumber: string): Promise<RunRecord | undefined> {
    const row = /^\d+$/.test(idOrNumber)
      ? this.#db.get<RunRow>("SELECT * FROM runs WHERE number = ?", Number(idOrNumber))
      : this.#db.get<RunRow>("SELECT * FROM runs WHERE id = ?", idOrNumber);
    return row ? this.#record(row) : undefined;
  }

  async list(options: { limit?: number; before?: number } = {}): Promise<RunRecord[]> {
    return this.#db
      .all<RunRow>(
        "SELECT * FROM runs WHERE number < ? ORDER BY number DESC LIMIT ?",
        options.before ?? Number.MAX_SAFE_INTEGER,
        options.limit ?? 50,
      )
      .map((row) => this.#record(row));
  }

  #require(id: string): RunRecord {
    const row = this.#db.get<RunRow>("SELECT * FROM runs WHERE id = ?", id);
    if (!row) throw new StoreError("STORE_RUN_NOT_FOUND", { run: id });
    return this.#record(row);
  }

  #record(row: RunRow): RunRecord {
    const stats: Record<string, StreamStats> = {};
    for (const s of this.#db.all<StatsRow>(
      "SELECT * FROM run_stats WHERE run_id = ? ORDER BY stream",
      row.id,
    )) {
      stats[s.stream] = {
        objects: s.objects,
        changes: s.changes,
        requests: s.requests,
        resourceUnits: s.resource_units,
        throttleWaitMs: s.throttle_wait_ms,
        errors: s.errors,
      };
    }
    const seqs = this.#db.get<{ first: number | null; last: number | null }>(
      "SELECT min(seq) AS first, max(seq) AS last FROM change_events WHERE run_id = ?",
      row.id,
    );
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
}
