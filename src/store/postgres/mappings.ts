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
import { one, type PgDatabase } from "./database.ts";

export class PgMappings implements MappingStore {
  readonly #db: PgDatabase;

  constructor(db: PgDatabase) {
    this.#db = db;
  }

  async startRun(input: { mapping: string; kind: MappingRunKind }): Promise<MappingRun> {
    const id = randomUUID();
    await this.#db.query(
      "INSERT INTO mapping_runs (id, mapping, kind, status, started_at) VALUES ($1, $2, $3, 'running', $4)",
      [id, input.mapping, input.kind, new Date().toISOString()],
    );
    return (await this.run(id)) as MappingRun;
  }

  async finishRun(
    runId: string,
    outcome: { status: Exclude<MappingRun["status"], "running">; error?: string },
  ): Promise<MappingRun> {
    await this.#db.query("UPDATE mapping_runs SET status = $1, finished_at = $2, error = $3 WHERE id = $4", [
      outcome.status,
      new Date().toISOString(),
      outcome.error ?? null,
      runId,
    ]);
    const run = await this.run(runId);
    if (!run) throw new StoreError("STORE_RUN_NOT_FOUND", { run: runId });
    return run;
  }

  async run(idOrNumber: string): Promise<MappingRun | undefined> {
    const row = /^\d+$/.test(idOrNumber)
      ? await one<MappingRunRow>(this.#db, "SELECT * FROM mapping_runs WHERE number = $1", [
          Number(idOrNumber),
        ])
      : await one<MappingRunRow>(this.#db, "SELECT * FROM mapping_runs WHERE id = $1", [idOrNumber]);
    return row ? this.#runFromRow(row) : undefined;
  }

  async runs(mapping: string, options: { limit?: number } = {}): Promise<MappingRun[]> {
    const rows = await this.#db.query<MappingRunRow>(
      "SELECT * FROM mapping_runs WHERE mapping = $1 ORDER BY number DESC LIMIT $2",
      [mapping, options.limit ?? 20],
    );
    return Promise.all(rows.map((row) => this.#runFromRow(row)));
  }

  async commit(input: MappingCommit): Promise<void> {
    const at = new Date().toISOString();
    await this.#db.transaction(async (tx) => {
      for (const e of input.entries) {
        await tx.query(
          `INSERT INTO mapping_log (mapping, run_id, user_id, action, result, reason, target_id, changes, detail, at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
          [
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
          ],
        );
      }
      for (const link of input.links ?? []) {
        if (link.targetId === null) {
          await tx.query("DELETE FROM mapping_links WHERE mapping = $1 AND user_id = $2", [
            input.mapping,
            link.userId,
          ]);
        } else {
          await tx.query(
            `INSERT INTO mapping_links (mapping, user_id, target_id, attributes) VALUES ($1, $2, $3, $4)
             ON CONFLICT (mapping, user_id) DO UPDATE SET target_id = excluded.target_id, attributes = excluded.attributes`,
            [input.mapping, link.userId, link.targetId, JSON.stringify(link.attributes ?? {})],
          );
        }
      }
      for (const retry of input.retries ?? []) {
        if (retry.attempts === 0) {
          await tx.query("DELETE FROM mapping_retries WHERE mapping = $1 AND user_id = $2", [
            input.mapping,
            retry.userId,
          ]);
        } else {
          await tx.query(
            `INSERT INTO mapping_retries (mapping, user_id, attempts, next_attempt_at, error) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (mapping, user_id) DO UPDATE SET attempts = excluded.attempts,
               next_attempt_at = excluded.next_attempt_at, error = excluded.error`,
            [input.mapping, retry.userId, retry.attempts, retry.nextAttemptAt, retry.error],
          );
        }
      }
      if (input.cursor !== undefined) {
        await tx.query(
          `INSERT INTO mapping_state AS s (mapping, cursor) VALUES ($1, $2)
           ON CONFLICT (mapping) DO UPDATE SET cursor = greatest(s.cursor, excluded.cursor)`,
          [input.mapping, input.cursor],
        );
      }
    });
  }

  async cursor(mapping: string): Promise<number> {
    return (
      (
        await one<{ cursor: number }>(this.#db, "SELECT cursor FROM mapping_state WHERE mapping = $1", [
          mapping,
        ])
      )?.cursor ?? 0
    );
  }

  async links(mapping: string, userIds?: readonly string[]): Promise<MappingLink[]> {
    const rows =
      userIds === undefined
        ? await this.#db.query<MappingLinkRow>(
            "SELECT * FROM mapping_links WHERE mapping = $1 ORDER BY user_id",
            [mapping],
          )
        : await this.#db.query<MappingLinkRow>(
            "SELECT * FROM mapping_links WHERE mapping = $1 AND user_id = ANY($2::text[])",
            [mapping, userIds],
          );
    return rows.map(mappingLink);
  }

  async linkCount(mapping: string): Promise<number> {
    return (
      (
        await one<{ n: number }>(this.#db, "SELECT count(*) AS n FROM mapping_links WHERE mapping = $1", [
          mapping,
        ])
      )?.n ?? 0
    );
  }

  async retries(mapping: string, dueBy?: number): Promise<MappingRetry[]> {
    const rows = await this.#db.query<MappingRetryRow>(
      "SELECT * FROM mapping_retries WHERE mapping = $1 AND next_attempt_at <= $2 ORDER BY user_id",
      [mapping, dueBy ?? Number.MAX_SAFE_INTEGER],
    );
    return rows.map(mappingRetry);
  }

  async quarantine(mapping: string): Promise<MappingQuarantine | undefined> {
    const row = await one<{ quarantine: string | null }>(
      this.#db,
      "SELECT quarantine FROM mapping_state WHERE mapping = $1",
      [mapping],
    );
    return row?.quarantine ? (JSON.parse(row.quarantine) as MappingQuarantine) : undefined;
  }

  async setQuarantine(mapping: string, quarantine: MappingQuarantine | undefined): Promise<void> {
    await this.#db.query(
      `INSERT INTO mapping_state (mapping, quarantine) VALUES ($1, $2)
       ON CONFLICT (mapping) DO UPDATE SET quarantine = excluded.quarantine`,
      [mapping, quarantine ? JSON.stringify(quarantine) : null],
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
    const { where, params } = mappingLogFilter(mapping, options, (i) => `$${i}`);
    // LIMIT NULL is no limit.
    const rows = await this.#db.query<MappingLogRow>(
      `SELECT * FROM mapping_log WHERE ${where} ORDER BY seq LIMIT $${params.length + 1}`,
      [...params, options.limit ?? null],
    );
    return rows.map(mappingLogEntry);
  }

  async users(ids: readonly string[]): Promise<MappingSubject[]> {
    const rows = await this.#db.query<{ id: string; data: string; deleted_at: string | null }>(
      "SELECT id, data, deleted_at FROM resources WHERE kind = 'user' AND id = ANY($1::text[])",
      [ids],
    );
    return rows.map(mappingSubject);
  }

  async definitions(): Promise<MappingDefinition[]> {
    const rows = await this.#db.query<MappingDefinitionRow>(
      "SELECT * FROM mapping_definitions ORDER BY name",
    );
    return rows.map(mappingDefinition);
  }

  async definition(name: string): Promise<MappingDefinition | undefined> {
    const row = await one<MappingDefinitionRow>(
      this.#db,
      "SELECT * FROM mapping_definitions WHERE name = $1",
      [name],
    );
    return row ? mappingDefinition(row) : undefined;
  }

  async putDefinition(name: string, data: Record<string, unknown>): Promise<MappingDefinition> {
    const at = new Date().toISOString();
    await this.#db.query(
      `INSERT INTO mapping_definitions (name, data, created_at, updated_at) VALUES ($1, $2, $3, $3)
       ON CONFLICT (name) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`,
      [name, JSON.stringify(data), at],
    );
    return (await this.definition(name)) as MappingDefinition;
  }

  async removeDefinition(name: string): Promise<boolean> {
    const rows = await this.#db.query("DELETE FROM mapping_definitions WHERE name = $1 RETURNING name", [
      name,
    ]);
    return rows.length > 0;
  }

  async #runFromRow(row: MappingRunRow): Promise<MappingRun> {
    return mappingRun(
      row,
      await this.#db.query<{ key: string; n: number }>(
        "SELECT action || '.' || result AS key, count(*) AS n FROM mapping_log WHERE run_id = $1 GROUP BY key",
        [row.id],
      ),
    );
  }
}
