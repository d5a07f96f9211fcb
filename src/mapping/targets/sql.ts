/**
 * A database table as a mapping target (SQLite through node:sqlite, or PostgreSQL through `pg`): one row per
 * record, keyed by the mapping's first match attribute, with a column per mapped attribute for whoever
 * reads the table, and the record itself as JSON so lookups give back exactly what was written. Every row
 * written carries the run that wrote it; disabling sets `_disabled` (and `active` false), deleting removes
 * the row.
 */
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import pg from "pg";
import { createError } from "../../errors.ts";
import { redactString, redactUrl } from "../../log/redact.ts";
import { getPath, setPath } from "../path.ts";
import { type AttributeChange, matchKey, type TargetRecord } from "../plan.ts";
import type { MappingTarget, MatchKey } from "./target.ts";

export interface SqlTargetOptions {
  /** An SQLite file, created when missing; or `url`. */
  path?: string;
  /** A PostgreSQL URL (`postgres://user@host/db`). */
  url?: string;
  /** `name` or `schema.name`. */
  table: string;
  /** The mapping's match attributes; the first is the key a row is known by. */
  match: readonly string[];
  /** The mapping's attribute paths: one column each, added to the table when missing. */
  columns: readonly string[];
  runId?: string;
}

type Attributes = Record<string, unknown>;
type Row = Record<string, unknown>;

/** Every name is quoted, with quotes doubled, so no attribute path can end the identifier. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** What the target needs of a database; SQL is written with `?` and each driver numbers it as it must. */
interface Driver {
  run(sql: string, params?: SQLInputValue[]): Promise<void>;
  all(sql: string, params?: SQLInputValue[]): Promise<Row[]>;
  /** Column names of the table (schema-qualified or not). */
  columns(schema: string | undefined, table: string): Promise<Set<string>>;
  /** The column type for attribute columns. */
  readonly attributeType: string;
  /** A value as the attribute columns keep it. */
  cell(value: unknown): SQLInputValue;
  close(): Promise<void>;
}

function sqliteDriver(path: string): Driver {
  const db = new DatabaseSync(path);
  db.exec("PRAGMA busy_timeout = 10000");
  return {
    async run(sql, params = []) {
      db.prepare(sql).run(...params);
    },
    async all(sql, params = []) {
      return db.prepare(sql).all(...params) as Row[];
    },
    async columns(schema, table) {
      const info = schema
        ? `PRAGMA ${quoteIdentifier(schema)}.table_info(${quoteIdentifier(table)})`
        : `PRAGMA table_info(${quoteIdentifier(table)})`;
      return new Set(
        db
          .prepare(info)
          .all()
          .map((row) => String(row.name)),
      );
    },
    // No type: SQLite keeps each value as given (text, number).
    attributeType: "",
    cell(value) {
      if (value === undefined || value === null) return null;
      if (typeof value === "boolean") return value ? 1 : 0;
      if (typeof value === "number" || typeof value === "string") return value;
      return JSON.stringify(value);
    },
    async close() {
      db.close();
    },
  };
}

async function postgresDriver(url: string): Promise<Driver> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  // Quoted identifiers (attribute paths) may hold a `?`; only the ones outside them are parameters.
  const numbered = (sql: string) => {
    let n = 0;
    return sql.replace(/"(?:[^"]|"")*"|\?/g, (token) => (token === "?" ? `$${++n}` : token));
  };
  return {
    async run(sql, params = []) {
      await client.query(numbered(sql), params);
    },
    async all(sql, params = []) {
      return (await client.query(numbered(sql), params)).rows as Row[];
    },
    async columns(schema, table) {
      const { rows } = await client.query(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = coalesce($1, current_schema()) AND table_name = $2",
        [schema ?? null, table],
      );
      return new Set(rows.map((row: Row) => String(row.column_name)));
    },
    attributeType: " TEXT",
    cell(value) {
      if (value === undefined || value === null) return null;
      return typeof value === "object" ? JSON.stringify(value) : String(value);
    },
    async close() {
      await client.end();
    },
  };
}

const SYSTEM = ["_key", "_record", "_disabled", "_run_id", "_updated_at"];

export function sqlTarget(options: SqlTargetOptions): MappingTarget {
  const first = options.match[0];
  if (first === undefined)
    throw createError("TARGET_CONFIG_INVALID", { field: "match", problem: "is empty" });
  const keyPath: string = first;
  if (Boolean(options.path) === Boolean(options.url))
    throw createError("TARGET_CONFIG_INVALID", { field: "url", problem: "give exactly one of url or path" });
  if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/.test(options.table))
    throw createError("TARGET_CONFIG_INVALID", { field: "table", problem: "must be a plain table name" });
  const clash = options.columns.find((c) => SYSTEM.includes(c));
  if (clash)
    throw createError("TARGET_CONFIG_INVALID", {
      field: `attributes.${clash}`,
      problem: "is a column the SQL target keeps for itself; rename the attribute",
    });
  const [schema, name] = options.table.includes(".")
    ? (options.table.split(".") as [string, string])
    : [undefined, options.table];
  const table = options.table.split(".").map(quoteIdentifier).join(".");
  // A database URL may carry a password: errors name it without.
  const shown = `${options.path ?? redactUrl(options.url!)}#${options.table}`;
  let opening: Promise<Driver> | undefined;

  const fail = (err: unknown): never => {
    throw createError(
      "TARGET_WRITE_FAILED",
      { target: shown, reason: redactString((err as Error).message) },
      { cause: err },
    );
  };

  // Lookups never create anything, so a dry run leaves the database as it found it: the table is made
  // (and columns added) before the first write only.
  let ready: Promise<void> | undefined;
  let existing: Promise<Set<string>> | undefined;

  async function db(): Promise<Driver> {
    opening ??= (
      options.path ? Promise.resolve(sqliteDriver(options.path)) : postgresDriver(options.url!)
    ).catch((err) => {
      opening = undefined;
      return fail(err);
    });
    return opening;
  }

  async function ensureTable(driver: Driver): Promise<void> {
    await driver.run(`CREATE TABLE IF NOT EXISTS ${table} (
      "_key" TEXT PRIMARY KEY NOT NULL,
      "_record" TEXT NOT NULL,
      "_disabled" INTEGER NOT NULL DEFAULT 0,
      "_run_id" TEXT,
      "_updated_at" TEXT NOT NULL
    )`);
    const have = await driver.columns(schema, name);
    // A mapping that gained attributes gains columns; columns it dropped stay for their old values.
    for (const column of options.columns)
      if (!have.has(column))
        await driver.run(`ALTER TABLE ${table} ADD COLUMN ${quoteIdentifier(column)}${driver.attributeType}`);
    existing = Promise.resolve(new Set([...have, ...options.columns]));
  }

  async function writable(): Promise<Driver> {
    const driver = await db();
    ready ??= ensureTable(driver).catch((err) => {
      ready = undefined;
      return fail(err);
    });
    await ready;
    return driver;
  }

  /** The table's columns as they are; empty when there is no table yet. */
  async function columnsNow(): Promise<Set<string>> {
    existing ??= db()
      .then((driver) => driver.columns(schema, name))
      .catch((err) => {
        existing = undefined;
        return fail(err);
      });
    return existing;
  }

  async function query(sql: string, params: SQLInputValue[] = [], write = false): Promise<Row[]> {
    if (!write && (await columnsNow()).size === 0) return [];
    const driver = write ? await writable() : await db();
    try {
      return await driver.all(sql, params);
    } catch (err) {
      return fail(err);
    }
  }

  const idOf = (attributes: Attributes) => matchKey(keyPath, getPath(attributes, keyPath));
  const toRecord = (row: Row): TargetRecord => ({
    id: String(row._key),
    attributes: JSON.parse(String(row._record)) as Attributes,
  });

  async function read(id: string): Promise<TargetRecord | undefined> {
    const [row] = await query(`SELECT "_key", "_record" FROM ${table} WHERE "_key" = ?`, [id]);
    return row ? toRecord(row) : undefined;
  }

  async function write(attributes: Attributes, disabled: boolean, replacing?: string): Promise<TargetRecord> {
    const id = idOf(attributes);
    if (id === undefined)
      throw createError("TARGET_CONFIG_INVALID", {
        field: keyPath,
        problem: "is blank; the table keys rows by it",
      });
    const driver = await writable();
    const columns = [...SYSTEM, ...options.columns].map(quoteIdentifier);
    const values = [
      id,
      JSON.stringify(attributes),
      disabled ? 1 : 0,
      options.runId ?? null,
      new Date().toISOString(),
      ...options.columns.map((c) => driver.cell(getPath(attributes, c))),
    ];
    const updates = columns.slice(1).map((c) => `${c} = excluded.${c}`);
    const upsert = `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})
      ON CONFLICT ("_key") DO UPDATE SET ${updates.join(", ")}`;
    try {
      if (replacing === undefined || replacing === id) await driver.run(upsert, values);
      else {
        // A changed key moves the row: both statements or neither.
        await driver.run("BEGIN");
        try {
          await driver.run(`DELETE FROM ${table} WHERE "_key" = ?`, [replacing]);
          await driver.run(upsert, values);
          await driver.run("COMMIT");
        } catch (err) {
          await driver.run("ROLLBACK").catch(() => {});
          throw err;
        }
      }
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
          const found = await read(wanted);
          if (found) return found;
          continue;
        }
        if (!options.columns.includes(path) || !(await columnsNow()).has(path)) continue;
        // Compared as the planner compares: case-insensitively where it lowers the value.
        const column = quoteIdentifier(path);
        const test = wanted === value ? `${column} = ?` : `lower(${column}) = ?`;
        const rows = await query(`SELECT "_key", "_record" FROM ${table} WHERE ${test} LIMIT 2`, [wanted]);
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
      const current = await read(id);
      if (!current) return write(attributes, false);
      const next = structuredClone(current.attributes);
      for (const change of changes) setPath(next, change.path, change.new);
      return write(next, false, id);
    },
    async disable(id) {
      const current = await read(id);
      if (!current) return;
      await write(setPath(current.attributes, "active", false), true);
    },
    async delete(id) {
      if ((await columnsNow()).size > 0) await query(`DELETE FROM ${table} WHERE "_key" = ?`, [id], true);
    },
    async *list() {
      for (const row of await query(`SELECT "_key", "_record" FROM ${table} ORDER BY "_key"`))
        yield toRecord(row);
    },
    async close() {
      const driver = opening;
      opening = undefined;
      ready = undefined;
      existing = undefined;
      if (driver) await (await driver.catch(() => undefined))?.close();
    },
  };
}
