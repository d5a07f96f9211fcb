import { randomUUID } from "node:crypto";
import { StoreError } from "../errors.ts";
import {
  checkFinish,
  checkLease,
  checkRunStart,
  interruptedError,
  OWNER,
  type RunRow,
  running,
  runRecord,
  type StatsRow,
  staleReason,
} from "../run-records.ts";
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
/** What a run's events carry: its id, its number (stored in place of the id) and its tenant. */
export function runOf(db: SqliteDatabase, runId: string): { id: string; number: number; tenantId: string } {
  const row = db.get<{ number: number; tenant_id: string }>(
    "SELECT number, tenant_id FROM runs WHERE id = ?",
    runId,
  );
  if (!row) throw new StoreError("STORE_RUN_NOT_FOUND", { run: runId });
  return { id: runId, number: row.number, tenantId: row.tenant_id };
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
    const leaseMs = checkRunStart(input);
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
          interruptedError(reason, id),
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
      runOf(this.#db, runId);
      addRunStats(this.#db, runId, stream, stats);
    });
  }

  async finish(
    runId: string,
    outcome: { status: Exclude<RunStatus, "running" | "interrupted">; error?: string },
  ): Promise<RunRecord> {
    checkFinish(outcome.status);
    this.#db.transaction(() => {
      runOf(this.#db, runId);
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
    return runRecord(
      row,
      this.#db.all<StatsRow>("SELECT * FROM run_stats WHERE run_id = ? ORDER BY stream", row.id),
      this.#db.get<{ first: number | null; last: number | null }>(
        "SELECT min(seq) AS first, max(seq) AS last FROM change_events WHERE run_n = ?",
        row.number,
      ),
    );
  }
}
