import { randomUUID } from "node:crypto";
import { StoreError } from "../errors.ts";
import type {
  MappingCommit,
  MappingLink,
  MappingLogEntry,
  MappingQuarantine,
  MappingResult,
  MappingRetry,
  MappingRun,
  MappingRunKind,
  MappingStore,
  MappingSubject,
} from "../types.ts";
import type { SqliteDatabase } from "./database.ts";

interface RunRow {
  number: number;
  id: string;
  mapping: string;
  kind: MappingRunKind;
  status: MappingRun["status"];
  started_at: string;
  finished_at: string | null;
  error: string | null;
}

interface LogRow {
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

/** SQLite's limit on bound parameters is far above this; chunks keep each statement small. */
const IN_CHUNK = 500;

export class SqliteMappings implements MappingStore {
  readonly #db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.#db = db;
  }

  async startRun(input: { mapping: string; kind: MappingRunKind }): Promise<MappingRun> {
    const id = randomUUID();
    this.#db.run(
      "INSERT INTO mapping_runs (id, mapping, kind, status, started_at) VALUES (?, ?, ?, 'running', ?)",
      id,
      input.mapping,
      input.kind,
      new Date().toISOString(),
    );
    return (await this.run(id)) as MappingRun;
  }

  async finishRun(
    runId: string,
    outcome: { status: Exclude<MappingRun["status"], "running">; error?: string },
  ): Promise<MappingRun> {
    this.#db.run(
      "UPDATE mapping_runs SET status = ?, finished_at = ?, error = ? WHERE id = ?",
      outcome.status,
      new Date().toISOString(),
      outcome.error ?? null,
      runId,
    );
    const run = await this.run(runId);
    if (!run) throw new StoreError("STORE_RUN_NOT_FOUND", { run: runId });
    return run;
  }

  async run(idOrNumber: string): Promise<MappingRun | undefined> {
    const row = /^\d+$/.test(idOrNumber)
      ? this.#db.get<RunRow>("SELECT * FROM mapping_runs WHERE number = ?", Number(idOrNumber))
      : this.#db.get<RunRow>("SELECT * FROM mapping_runs WHERE id = ?", idOrNumber);
    return row ? this.#runFromRow(row) : undefined;
  }

  async runs(mapping: string, options: { limit?: number } = {}): Promise<MappingRun[]> {
    return this.#db
      .all<RunRow>(
        "SELECT * FROM mapping_runs WHERE mapping = ? ORDER BY number DESC LIMIT ?",
        mapping,
        options.limit ?? 20,
      )
      .map((row) => this.#runFromRow(row));
  }

  async commit(input: MappingCommit): Promise<void> {
    const at = new Date().toISOString();
    this.#db.transaction(() => {
      for (const e of input.entries) {
        this.#db.run(
          `INSERT INTO mapping_log (mapping, run_id, user_id, action, result, reason, target_id, changes, detail, at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          input.mapping,
          input.runId,
          e.userId,
          e.action,
          e.result,
          e.reason,
          e.targetId ?? null,
          e.changes ? JSON.stringify(e.changes) : null,
          e.detail ?? null,
          at,
        );
      }
      for (const link of input.links ?? []) {
        if (link.targetId === null) {
          this.#db.run(
            "DELETE FROM mapping_links WHERE mapping = ? AND user_id = ?",
            input.mapping,
            link.userId,
          );
        } else {
          this.#db.run(
            `INSERT INTO mapping_links (mapping, user_id, target_id, attributes) VALUES (?, ?, ?, ?)
             ON CONFLICT (mapping, user_id) DO UPDATE SET target_id = excluded.target_id, attributes = excluded.attributes`,
            input.mapping,
            link.userId,
            link.targetId,
            JSON.stringify(link.attributes ?? {}),
          );
        }
      }
      for (const retry of input.retries ?? []) {
        if (retry.attempts === 0) {
          this.#db.run(
            "DELETE FROM mapping_retries WHERE mapping = ? AND user_id = ?",
            input.mapping,
            retry.userId,
          );
        } else {
          this.#db.run(
            `INSERT INTO mapping_retries (mapping, user_id, attempts, next_attempt_at, error) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (mapping, user_id) DO UPDATE SET attempts = excluded.attempts,
               next_attempt_at = excluded.next_attempt_at, error = excluded.error`,
            input.mapping,
            retry.userId,
            retry.attempts,
            retry.nextAttemptAt,
            retry.error,
          );
        }
      }
      if (input.cursor !== undefined) {
        this.#db.run(
          `INSERT INTO mapping_state (mapping, cursor) VALUES (?, ?)
           ON CONFLICT (mapping) DO UPDATE SET cursor = max(cursor, excluded.cursor)`,
          input.mapping,
          input.cursor,
        );
      }
    });
  }

  async cursor(mapping: string): Promise<number> {
    return (
      this.#db.get<{ cursor: number }>("SELECT cursor FROM mapping_state WHERE mapping = ?", mapping)
        ?.cursor ?? 0
    );
  }

  async links(mapping: string, userIds?: readonly string[]): Promise<MappingLink[]> {
    type Row = { user_id: string; target_id: string; attributes: string };
    const rows: Row[] = [];
    if (userIds === undefined) {
      rows.push(
        ...this.#db.all<Row>("SELECT * FROM mapping_links WHERE mapping = ? ORDER BY user_id", mapping),
      );
    } else {
      for (let i = 0; i < userIds.length; i += IN_CHUNK) {
        const ids = userIds.slice(i, i + IN_CHUNK);
        rows.push(
          ...this.#db.all<Row>(
            `SELECT * FROM mapping_links WHERE mapping = ? AND user_id IN (${ids.map(() => "?").join(", ")})`,
            mapping,
            ...ids,
          ),
        );
      }
    }
    return rows.map((row) => ({
      userId: row.user_id,
      targetId: row.target_id,
      attributes: JSON.parse(row.attributes) as Record<string, unknown>,
    }));
  }

  async linkCount(mapping: string): Promise<number> {
    return (
      this.#db.get<{ n: number }>("SELECT count(*) AS n FROM mapping_links WHERE mapping = ?", mapping)?.n ??
      0
    );
  }

  async retries(mapping: string, dueBy?: number): Promise<MappingRetry[]> {
    type Row = { user_id: string; attempts: number; next_attempt_at: number; error: string };
    return this.#db
      .all<Row>(
        "SELECT * FROM mapping_retries WHERE mapping = ? AND next_attempt_at <= ? ORDER BY user_id",
        mapping,
        dueBy ?? Number.MAX_SAFE_INTEGER,
      )
      .map((row) => ({
        userId: row.user_id,
        attempts: row.attempts,
        nextAttemptAt: row.next_attempt_at,
        error: row.error,
      }));
  }

  async quarantine(mapping: string): Promise<MappingQuarantine | undefined> {
    const row = this.#db.get<{ quarantine: string | null }>(
      "SELECT quarantine FROM mapping_state WHERE mapping = ?",
      mapping,
    );
    return row?.quarantine ? (JSON.parse(row.quarantine) as MappingQuarantine) : undefined;
  }

  async setQuarantine(mapping: string, quarantine: MappingQuarantine | undefined): Promise<void> {
    this.#db.run(
      `INSERT INTO mapping_state (mapping, quarantine) VALUES (?, ?)
       ON CONFLICT (mapping) DO UPDATE SET quarantine = excluded.quarantine`,
      mapping,
      quarantine ? JSON.stringify(quarantine) : null,
    );
  }

  async log(
    mapping: string,
    options: { runId?: string; userId?: string; result?: MappingResult; limit?: number } = {},
  ): Promise<MappingLogEntry[]> {
    const conditions = ["mapping = ?"];
    const params: (string | number)[] = [mapping];
    if (options.runId !== undefined) {
      conditions.push("run_id = ?");
      params.push(options.runId);
    }
    if (options.userId !== undefined) {
      conditions.push("user_id = ?");
      params.push(options.userId);
    }
    if (options.result !== undefined) {
      conditions.push("result = ?");
      params.push(options.result);
    }
    params.push(options.limit ?? -1);
    return this.#db
      .all<LogRow>(
        `SELECT * FROM mapping_log WHERE ${conditions.join(" AND ")} ORDER BY seq LIMIT ?`,
        ...params,
      )
      .map((row) => {
        const entry: MappingLogEntry = {
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
      });
  }

  async users(ids: readonly string[]): Promise<MappingSubject[]> {
    const out: MappingSubject[] = [];
    for (let i = 0; i < ids.length; i += IN_CHUNK) {
      const chunk = ids.slice(i, i + IN_CHUNK);
      const rows = this.#db.all<{ id: string; data: string; deleted_at: string | null }>(
        `SELECT id, data, deleted_at FROM resources WHERE kind = 'user' AND id IN (${chunk.map(() => "?").join(", ")})`,
        ...chunk,
      );
      for (const row of rows) {
        const subject: MappingSubject = { id: row.id, data: JSON.parse(row.data) as Record<string, unknown> };
        if (row.deleted_at !== null) subject.deleted = "soft";
        out.push(subject);
      }
    }
    return out;
  }

  #runFromRow(row: RunRow): MappingRun {
    const counts: Record<string, number> = {};
    for (const c of this.#db.all<{ key: string; n: number }>(
      "SELECT action || '.' || result AS key, count(*) AS n FROM mapping_log WHERE run_id = ? GROUP BY key",
      row.id,
    )) {
      counts[c.key] = c.n;
    }
    const run: MappingRun = {
      id: row.id,
      number: row.number,
      mapping: row.mapping,
      kind: row.kind,
      status: row.status,
      startedAt: row.started_at,
      counts,
    };
    if (row.finished_at !== null) run.finishedAt = row.finished_at;
    if (row.error !== null) run.error = row.error;
    return run;
  }
}
