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
import { one, type PgDatabase, type Sql } from "./database.ts";
import { outboxHead } from "./outbox.ts";

/** Adds figures to a run's per-stream stats (inside the caller's transaction). */
export async function addRunStats(
  tx: Sql,
  runId: string,
  stream: string,
  stats: Partial<StreamStats>,
): Promise<void> {
  await tx.query(
    `INSERT INTO run_stats (run_id, stream, objects, changes, requests, resource_units, throttle_wait_ms, errors)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (run_id, stream) DO UPDATE SET
       objects = run_stats.objects + excluded.objects, changes = run_stats.changes + excluded.changes,
       requests = run_stats.requests + excluded.requests,
       resource_units = run_stats.resource_units + excluded.resource_units,
       throttle_wait_ms = run_stats.throttle_wait_ms + excluded.throttle_wait_ms,
       errors = run_stats.errors + excluded.errors`,
    [
      runId,
      stream,
      stats.objects ?? 0,
      stats.changes ?? 0,
      stats.requests ?? 0,
      stats.resourceUnits ?? 0,
      stats.throttleWaitMs ?? 0,
      stats.errors ?? 0,
    ],
  );
}

/** The tenant a run syncs; change events carry it. */
export async function runTenant(sql: Sql, runId: string): Promise<string> {
  const row = await one<{ tenant_id: string }>(sql, "SELECT tenant_id FROM runs WHERE id = $1", [runId]);
  if (!row) throw new StoreError("STORE_RUN_NOT_FOUND", { run: runId });
  return row.tenant_id;
}

/** Outbox positions bounding what a run produced: after `from`, up to and including `to`. */
export async function runOutboxRange(sql: Sql, run: RunRecord): Promise<{ from: number; to: number }> {
  const row = await one<{ start_seq: number; end_seq: number | null }>(
    sql,
    "SELECT start_seq, end_seq FROM runs WHERE id = $1",
    [run.id],
  );
  return { from: row?.start_seq ?? 0, to: row?.end_seq ?? (await outboxHead(sql)) };
}

export class PgRunLog implements RunLog {
  readonly #db: PgDatabase;

  constructor(db: PgDatabase) {
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
    // The run-lock row, held until commit, serialises starts across processes and hosts: of two runs
    // starting at once the second waits, then sees the first's row and is refused.
    await this.#db.transaction(async (tx) => {
      await tx.query("SELECT value FROM counters WHERE name = 'run-lock' FOR UPDATE");
      const now = Date.now();
      const noticed = new Date(now).toISOString();
      const resumed: string[] = [];
      const head = await outboxHead(tx);
      for (const row of await tx.query<RunRow>(
        "SELECT * FROM runs WHERE status = 'running' ORDER BY number",
      )) {
        const reason = staleReason(row, now);
        if (reason === undefined) throw running(row);
        await tx.query(
          `UPDATE runs SET status = 'interrupted', interrupted_at = $1, error = coalesce(error, $2),
             end_seq = coalesce(end_seq, $3)
           WHERE id = $4 AND status = 'running'`,
          [noticed, interruptedError(reason, id), head, row.id],
        );
        resumed.push(row.id);
      }
      await tx.query(
        `INSERT INTO runs (id, kind, status, tenant_id, streams, started_at, start_seq, owner, lease_expires_at, resumed_from)
         VALUES ($1, $2, 'running', $3, $4, $5, $6, $7, $8, $9)`,
        [
          id,
          input.kind,
          input.tenantId,
          input.streams ? JSON.stringify(input.streams) : null,
          noticed,
          head,
          OWNER,
          now + leaseMs,
          resumed.length > 0 ? JSON.stringify(resumed) : null,
        ],
      );
    });
    return this.#require(id);
  }

  async renew(runId: string, leaseMs: number = RUN_LEASE_MS): Promise<void> {
    checkLease(leaseMs);
    // A run already marked interrupted stays so until it finishes (see SqliteRunLog.renew).
    await this.#db.query("UPDATE runs SET lease_expires_at = $1 WHERE id = $2 AND status = 'running'", [
      Date.now() + leaseMs,
      runId,
    ]);
  }

  async record(runId: string, stream: string, stats: Partial<StreamStats>): Promise<void> {
    await this.#db.transaction(async (tx) => {
      await runTenant(tx, runId);
      await addRunStats(tx, runId, stream, stats);
    });
  }

  async finish(
    runId: string,
    outcome: { status: Exclude<RunStatus, "running" | "interrupted">; error?: string },
  ): Promise<RunRecord> {
    checkFinish(outcome.status);
    await this.#db.transaction(async (tx) => {
      await runTenant(tx, runId);
      await tx.query(
        "UPDATE runs SET status = $1, error = $2, finished_at = $3, end_seq = $4 WHERE id = $5",
        [outcome.status, outcome.error ?? null, new Date().toISOString(), await outboxHead(tx), runId],
      );
    });
    return this.#require(runId);
  }

  async get(idOrNumber: string): Promise<RunRecord | undefined> {
    const row = /^\d+$/.test(idOrNumber)
      ? await one<RunRow>(this.#db, "SELECT * FROM runs WHERE number = $1", [Number(idOrNumber)])
      : await one<RunRow>(this.#db, "SELECT * FROM runs WHERE id = $1", [idOrNumber]);
    return row ? this.#record(row) : undefined;
  }

  async list(options: { limit?: number } = {}): Promise<RunRecord[]> {
    const rows = await this.#db.query<RunRow>("SELECT * FROM runs ORDER BY number DESC LIMIT $1", [
      options.limit ?? 50,
    ]);
    return Promise.all(rows.map((row) => this.#record(row)));
  }

  async #require(id: string): Promise<RunRecord> {
    const row = await one<RunRow>(this.#db, "SELECT * FROM runs WHERE id = $1", [id]);
    if (!row) throw new StoreError("STORE_RUN_NOT_FOUND", { run: id });
    return this.#record(row);
  }

  async #record(row: RunRow): Promise<RunRecord> {
    return runRecord(
      row,
      await this.#db.query<StatsRow>("SELECT * FROM run_stats WHERE run_id = $1 ORDER BY stream", [row.id]),
      await one(this.#db, "SELECT min(seq) AS first, max(seq) AS last FROM change_events WHERE run_id = $1", [
        row.id,
      ]),
    );
  }
}
