/**
 * A table in an SQLite file as a mapping target: one row per record, keyed by the mapping's first match
 * attribute, with a column per mapped attribute for whoever reads the table, and the record itself as
 * JSON so lookups give back exactly what was written. Every row written carries the run that wrote it;
 * disabling sets `_disabled` (and `active` false), deleting removes the row.
 */
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import { createError } from "../../errors.ts";
import { getPath, setPath } from "../path.ts";
import { type AttributeChange, matchKey, type TargetRecord } from "../plan.ts";
import type { MappingTarget, MatchKey } from "./target.ts";

export interface SqlTargetOptions {
  /** The SQLite file, created when missing. */
  path: string;
  /** `name` or `schema.name`. */
  table: string;
  /** The mapping's match attributes; the first is the key a row is known by. */
  match: readonly string[];
  /** The mapping's attribute paths: one column each, added to the table when missing. */
  columns: readonly string[];
  runId?: string;
}

type Attributes = Record<string, unknown>;

/** Every name is quoted, with quotes doubled, so no attribute path can end the identifier. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A value as SQLite keeps it: booleans as 0/1, objects and lists as JSON. */
function cell(value: unknown): SQLInputValue {
  if (value === undefined || value === null) return null;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "number" || typeof value === "string") return value;
  return JSON.stringify(value);
}

const SYSTEM = ["_key", "_record", "_disabled", "_run_id", "_updated_at"];

export function sqlTarget(options: SqlTargetOptions): MappingTarget {
  const first = options.match[0];
  if (first === undefined)
    throw createError("TARGET_CONFIG_INVALID", { field: "match", problem: "is empty" });
  const keyPath: string = first;
  if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/.test(options.table))
    throw createError("TARGET_CONFIG_INVALID", { field: "table", problem: "must be a plain table name" });
  const clash = options.columns.find((c) => SYSTEM.includes(c));
  if (clash)
    throw createError("TARGET_CONFIG_INVALID", {
      field: `attributes.${clash}`,
      problem: "is a column the SQL target keeps for itself; rename the attribute",
    });
  const table = options.table.split(".").map(quoteIdentifier).join(".");
  const shown = `${options.path}#${options.table}`;
  let db: DatabaseSync | undefined;

  const fail = (err: unknown): never => {
    throw createError(
      "TARGET_WRITE_FAILED",
      { target: shown, reason: (err as Error).message },
      { cause: err },
    );
  };

  function open(): DatabaseSync {
    if (db) return db;
    try {
      const opened = new DatabaseSync(options.path);
      opened.exec("PRAGMA busy_timeout = 10000");
      opened.exec(`CREATE TABLE IF NOT EXISTS ${table} (
        "_key" TEXT PRIMARY KEY NOT NULL,
        "_record" TEXT NOT NULL,
        "_disabled" INTEGER NOT NULL DEFAULT 0,
        "_run_id" TEXT,
        "_updated_at" TEXT NOT NULL
      )`);
      const info = options.table.includes(".")
        ? `PRAGMA ${quoteIdentifier(options.table.split(".")[0]!)}.table_info(${quoteIdentifier(options.table.split(".")[1]!)})`
        : `PRAGMA table_info(${quoteIdentifier(options.table)})`;
      const have = new Set(
        opened
          .prepare(info)
          .all()
          .map((row) => String(row.name)),
      );
      // A mapping that gained attributes gains columns; columns it dropped stay for their old values.
      for (const column of options.columns)
        if (!have.has(column)) opened.exec(`ALTER TABLE ${table} ADD COLUMN ${quoteIdentifier(column)}`);
      db = opened;
      return opened;
    } catch (err) {
      return fail(err);
    }
  }

  const idOf = (attributes: Attributes) => matchKey(keyPath, getPath(attributes, keyPath));
  const toRecord = (row: Record<string, unknown>): TargetRecord => ({
    id: String(row._key),
    attributes: JSON.parse(String(row._record)) as Attributes,
  });

  function read(id: string): TargetRecord | undefined {
    const row = open().prepare(`SELECT "_key", "_record" FROM ${table} WHERE "_key" = ?`).get(id);
    return row ? toRecord(row) : undefined;
  }

  function write(attributes: Attributes, disabled: boolean): TargetRecord {
    const id = idOf(attributes);
    if (id === undefined)
      throw createError("TARGET_CONFIG_INVALID", {
        field: keyPath,
        problem: "is blank; the table keys rows by it",
      });
    const columns = [...SYSTEM, ...options.columns].map(quoteIdentifier);
    const values = [
      id,
      JSON.stringify(attributes),
      disabled ? 1 : 0,
      options.runId ?? null,
      new Date().toISOString(),
      ...options.columns.map((c) => cell(getPath(attributes, c))),
    ];
    const updates = columns.slice(1).map((c) => `${c} = excluded.${c}`);
    try {
      open()
        .prepare(
          `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})
           ON CONFLICT("_key") DO UPDATE SET ${updates.join(", ")}`,
        )
        .run(...values);
    } catch (err) {
      fail(err);
    }
    return { id, attributes };
  }

  return {
    capabilities: { disable: true, delete: true, groups: false, etags: false, patch: true },
    async lookup(keys: readonly MatchKey[]) {
      for (const { path, value } of keys) {
        const wanted = matchKey(path, value);
        if (wanted === undefined) continue;
        if (path === keyPath) {
          const found = read(wanted);
          if (found) return found;
          continue;
        }
        if (!options.columns.includes(path)) continue;
        // Compared as the planner compares: case-insensitively where it lowers the value.
        const column = quoteIdentifier(path);
        const test = wanted === value ? `${column} = ?` : `lower(${column}) = ?`;
        const rows = open()
          .prepare(`SELECT "_key", "_record" FROM ${table} WHERE ${test} LIMIT 2`)
          .all(wanted);
        if (rows.length > 1)
          throw createError("TARGET_REQUEST_FAILED", {
            method: "SELECT",
            url: shown,
            status: "-",
            scimType: "",
            detail: `several rows match ${path}; a match key must find at most one`,
          });
        if (rows[0]) return toRecord(rows[0]);
      }
      return undefined;
    },
    async create(attributes) {
      return write(attributes, false);
    },
    async update(id: string, changes: readonly AttributeChange[], attributes) {
      const current = read(id);
      if (!current) return write(attributes, false);
      const next = structuredClone(current.attributes);
      for (const change of changes) setPath(next, change.path, change.new);
      const moved = idOf(next) !== id;
      const database = open();
      database.exec("BEGIN");
      try {
        if (moved) database.prepare(`DELETE FROM ${table} WHERE "_key" = ?`).run(id);
        const record = write(next, false);
        database.exec("COMMIT");
        return record;
      } catch (err) {
        database.exec("ROLLBACK");
        throw err;
      }
    },
    async disable(id) {
      const current = read(id);
      if (!current) return;
      write(setPath(current.attributes, "active", false), true);
    },
    async delete(id) {
      try {
        open().prepare(`DELETE FROM ${table} WHERE "_key" = ?`).run(id);
      } catch (err) {
        fail(err);
      }
    },
    async *list() {
      for (const row of open().prepare(`SELECT "_key", "_record" FROM ${table} ORDER BY "_key"`).iterate())
        yield toRecord(row);
    },
    async close() {
      db?.close();
      db = undefined;
    },
  };
}
