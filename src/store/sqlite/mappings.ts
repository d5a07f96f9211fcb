import { randomUUID } from "node:crypto";
import { StoreError } from "../errors.ts";
import {
  type MappingDefinitionRow,
  type MappingLinkRow,
  type MappingLogRow,
  type MappingRetryRow,
  type MappingRunRow,
  mappingDefinition,
  mappingLink,
  mappingLogEntry,
  mappingLogFilter,
  mappingRetry,
  mappingRun,
  mappingSubject,
} from "../mapping-records.ts";
import type {
  MappingCommit,
  MappingDefinition,
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
      ? this.#db.get<MappingRunRow>("SELECT * FROM mapping_runs WHERE number = ?", Number(idOrNumber))
      : this.#db.get<MappingRunRow>("SELECT * FROM mapping_runs WHERE id = ?", idOrNumber);
    return row ? this.#runFromRow(row) : undefined;
  }

  async runs(mapping: string, options: { limit?: number } = {}): Promise<MappingRun[]> {
    return this.#db
      .all<MappingRunRow>(
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
    const rows: MappingLinkRow[] = [];
    if (userIds === undefined) {
      rows.push(
        ...this.#db.all<MappingLinkRow>(
          "SELECT * FROM mapping_links WHERE mapping = ? ORDER BY user_id",
          mapping,
        ),
      );
    } else {
      for (let i = 0; i < userIds.length; i += IN_CHUNK) {
        const ids = userIds.slice(i, i + IN_CHUNK);
        rows.push(
          ...this.#db.all<MappingLinkRow>(
            `SELECT * FROM mapping_links WHERE mapping = ? AND user_id IN (${ids.map(() => "?").join(", ")})`,
            mapping,
            ...ids,
          ),
        );
      }
    }
    return rows.map(mappingLink);
  }

  async linkCount(mapping: string): Promise<number> {
    return (
      this.#db.get<{ n: number }>("SELECT count(*) AS n FROM mapping_links WHERE mapping = ?", mapping)?.n ??
      0
    );
  }

  async retries(mapping: string, dueBy?: number): Promise<MappingRetry[]> {
    return this.#db
      .all<MappingRetryRow>(
        "SELECT * FROM mapping_retries WHERE mapping = ? AND next_attempt_at <= ? ORDER BY user_id",
        mapping,
        dueBy ?? Number.MAX_SAFE_INTEGER,
      )
      .map(mappingRetry);
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
    options: {
      runId?: string;
      userId?: string;
      result?: MappingResult;
      limit?: number;
      afterSeq?: number;
    } = {},
  ): Promise<MappingLogEntry[]> {
    const { where, params } = mappingLogFilter(mapping, options, () => "?");
    return this.#db
      .all<MappingLogRow>(
        `SELECT * FROM mapping_log WHERE ${where} ORDER BY seq LIMIT ?`,
        ...params,
        options.limit ?? -1,
      )
      .map(mappingLogEntry);
  }

  async users(ids: readonly string[]): Promise<MappingSubject[]> {
    const out: MappingSubject[] = [];
    for (let i = 0; i < ids.length; i += IN_CHUNK) {
      const chunk = ids.slice(i, i + IN_CHUNK);
      const rows = this.#db.all<{ id: string; data: string; deleted_at: string | null }>(
        `SELECT id, data, deleted_at FROM resources WHERE kind = 'user' AND id IN (${chunk.map(() => "?").join(", ")})`,
        ...chunk,
      );
      out.push(...rows.map(mappingSubject));
    }
    return out;
  }

  async definitions(): Promise<MappingDefinition[]> {
    return this.#db
      .all<MappingDefinitionRow>("SELECT * FROM mapping_definitions ORDER BY name")
      .map(mappingDefinition);
  }

  async definition(name: string): Promise<MappingDefinition | undefined> {
    const row = this.#db.get<MappingDefinitionRow>("SELECT * FROM mapping_definitions WHERE name = ?", name);
    return row ? mappingDefinition(row) : undefined;
  }

  async putDefinition(name: string, data: Record<string, unknown>): Promise<MappingDefinition> {
    const at = new Date().toISOString();
    this.#db.run(
      `INSERT INTO mapping_definitions (name, data, created_at, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`,
      name,
      JSON.stringify(data),
      at,
      at,
    );
    return (await this.definition(name)) as MappingDefinition;
  }

  async removeDefinition(name: string): Promise<boolean> {
    const before = this.#db.get("SELECT 1 AS found FROM mapping_definitions WHERE name = ?", name);
    this.#db.run("DELETE FROM mapping_definitions WHERE name = ?", name);
    return before !== undefined;
  }

  #runFromRow(row: MappingRunRow): MappingRun {
    return mappingRun(
      row,
      this.#db.all<{ key: string; n: number }>(
        "SELECT action || '.' || result AS key, count(*) AS n FROM mapping_log WHERE run_id = ? GROUP BY key",
        row.id,
      ),
    );
  }
}
