import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { StoreError } from "../errors.ts";
import { PG_MIGRATIONS, type PgMigration } from "./migrations.ts";

/** A query runner: the pool itself, or one client inside a transaction. */
export interface Sql {
  query<T>(text: string, params?: unknown[]): Promise<T[]>;
}

/** One client inside a transaction. */
export interface Tx extends Sql {
  /**
   * Appends rows with `COPY … FROM STDIN`: the cheapest way in for a page's new rows, but with no
   * ON CONFLICT, so only for rows known to be absent (a duplicate fails the statement).
   */
  copy(table: string, columns: readonly string[], rows: readonly (readonly CopyValue[])[]): Promise<void>;
}

export type CopyValue = string | number | null;

export interface PgLocation {
  /** The URL without its password, for messages and `Store.location`. */
  display: string;
  schema: string;
  config: pg.PoolConfig;
}

/** The schema a URL names with `?schema=`; `public` when it names none. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Whether a store location is a PostgreSQL URL. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/**
 * Reads a `postgres://user:password@host:port/database?schema=name&statement_timeout=ms` URL. The
 * schema is this store's own (several stores, or test files, share one database that way); every other
 * query parameter is node-postgres's (sslmode, application_name, …).
 */
export function parsePostgresUrl(location: string): PgLocation {
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    throw new StoreError("STORE_LOCATION_INVALID", {
      location: `${location.split(":")[0]}://…`,
      reason: "it is not a valid URL (postgres://user@host:5432/database?schema=name)",
    });
  }
  const schema = url.searchParams.get("schema") ?? "public";
  url.searchParams.delete("schema");
  const shown = new URL(url.href);
  if (shown.password) shown.password = "";
  shown.searchParams.set("schema", schema);
  const display = shown.href;
  if (!SCHEMA_NAME.test(schema)) {
    throw new StoreError("STORE_LOCATION_INVALID", {
      location: display,
      reason: "its schema must be a lower-case SQL name (letters, digits, _)",
    });
  }
  return {
    display,
    schema,
    config: {
      connectionString: url.href,
      // A URL's own statement_timeout wins (node-postgres reads it from the query string).
      statement_timeout: 60_000,
      max: 8,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 10_000,
      options: `-c search_path=${schema}`,
    },
  };
}

/** bigint and numeric as numbers: sequence numbers and counters stay far below 2^53. */
const TYPES = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC) return Number;
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

/** How long a retried transaction keeps trying (a server restart takes seconds), and its pauses. */
const RETRY_FOR_MS = 30_000;
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 5_000;

/**
 * Failures that running the same transaction again can cure: the connection (a restart, a terminated
 * backend), a deadlock or serialization failure, or a row another writer inserted first.
 */
function retryable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return connectionLost(error) || code === "40001" || code === "40P01" || code === "23505";
}

/** Errors that mean the server is gone or unreachable, not that a statement was wrong. */
function connectionLost(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== "string") return error instanceof Error && /Connection terminated/i.test(error.message);
  return (
    /^(08|57P0)/.test(code) ||
    ["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "ETIMEDOUT", "EPIPE"].includes(code)
  );
}

/**
 * A pool of connections to one schema. A client whose connection broke is discarded rather than
 * returned to the pool, so after a server restart the next call connects afresh.
 */
export class PgDatabase implements Sql {
  readonly pool: pg.Pool;
  readonly location: PgLocation;

  private constructor(location: PgLocation, readOnly: boolean) {
    this.location = location;
    const options = readOnly
      ? `${location.config.options} -c default_transaction_read_only=on`
      : location.config.options;
    this.pool = new pg.Pool({ ...location.config, options, types: TYPES });
    // An idle client's connection dropping (a server restart) must not end the process: the pool
    // removes that client, and a checked-out one reports the failure to the query that uses it.
    this.pool.on("error", () => {});
    this.pool.on("connect", (client) => client.on("error", () => {}));
  }

  /** Connects, applies pending migrations (unless read-only) and checks the schema's version. */
  static async open(
    location: PgLocation,
    options: { mustExist?: boolean; readOnly?: boolean; migrations?: readonly PgMigration[] } = {},
  ): Promise<PgDatabase> {
    const db = new PgDatabase(location, options.readOnly === true);
    try {
      const migrations = options.migrations ?? PG_MIGRATIONS;
      const current = await db.version();
      const known = migrations.at(-1)?.version ?? 0;
      if (current > known) throw new StoreError("STORE_SCHEMA_TOO_NEW", { found: current, known });
      if (current === 0 && options.mustExist) {
        throw new StoreError("STORE_NOT_FOUND", { location: location.display });
      }
      if (current < known) {
        if (options.readOnly) {
          throw new StoreError("STORE_READ_ONLY", {
            location: location.display,
            reason: `it has schema version ${current} and this connector must upgrade it to ${known} first`,
          });
        }
        await db.migrate(migrations);
      }
      return db;
    } catch (error) {
      await db.close();
      throw db.translate(error);
    }
  }

  /** The schema's migration version (0 when the store was never created there). */
  async version(): Promise<number> {
    const [found] = await this.query<{ table: string | null }>("SELECT to_regclass($1)::text AS table", [
      `${this.location.schema}.schema_migrations`,
    ]);
    if (!found?.table) return 0;
    const [row] = await this.query<{ v: number | null }>("SELECT max(version) AS v FROM schema_migrations");
    return row?.v ?? 0;
  }

  /** Versions applied, oldest first. */
  async versions(): Promise<{ version: number; name: string; appliedAt: string }[]> {
    if ((await this.version()) === 0) return [];
    return this.query(
      'SELECT version, name, applied_at AS "appliedAt" FROM schema_migrations ORDER BY version',
    );
  }

  /**
   * Applies the migrations the schema lacks, each in its own transaction. An advisory lock keyed by
   * the schema serialises migrators: of two processes opening a new store at once, the second waits,
   * then finds the versions applied and applies nothing.
   */
  async migrate(migrations: readonly PgMigration[] = PG_MIGRATIONS): Promise<void> {
    const client = await this.pool.connect();
    const key = `entra-connector migrate ${this.location.schema}`;
    let broken: Error | undefined;
    try {
      await client.query("SELECT pg_advisory_lock(hashtextextended($1, 0))", [key]);
      try {
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.location.schema}`);
        await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
          version integer PRIMARY KEY, name text NOT NULL, applied_at text NOT NULL)`);
        const { rows } = await client.query<{ v: number | null }>(
          "SELECT max(version) AS v FROM schema_migrations",
        );
        const current = rows[0]?.v ?? 0;
        const known = migrations.at(-1)?.version ?? 0;
        if (current > known) throw new StoreError("STORE_SCHEMA_TOO_NEW", { found: current, known });
        for (const migration of migrations) {
          if (migration.version <= current) continue;
          await client.query("BEGIN");
          try {
            await client.query(migration.sql);
            await client.query(
              "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
              [migration.version, migration.name, new Date().toISOString()],
            );
            await client.query("COMMIT");
          } catch (error) {
            await client.query("ROLLBACK");
            throw error;
          }
        }
      } finally {
        await client.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [key]);
      }
    } catch (error) {
      if (connectionLost(error)) broken = error as Error;
      throw this.translate(error);
    } finally {
      client.release(broken);
    }
  }

  async query<T>(text: string, params: unknown[] = []): Promise<T[]> {
    try {
      return (await this.pool.query(text, params)).rows as T[];
    } catch (error) {
      throw this.translate(error);
    }
  }

  /**
   * Runs `work` in one transaction on one client; rolls back on throw. With `retry`, a transaction the
   * server broke off (connection lost, a restart, a deadlock, a row another writer inserted first) runs
   * again from the start on a fresh connection, after a growing pause, for up to RETRY_FOR_MS: only for
   * work that gives the same result when run twice, as a page does (its change detection finds what
   * a commit whose answer was lost already wrote).
   */
  async transaction<T>(work: (tx: Tx) => Promise<T>, options: { retry?: boolean } = {}): Promise<T> {
    const started = Date.now();
    for (let pause = RETRY_FIRST_MS; ; pause = Math.min(pause * 2, RETRY_MAX_MS)) {
      try {
        return await this.#transactionOnce(work);
      } catch (error) {
        const cause = error instanceof StoreError ? error.cause : error;
        if (!options.retry || !retryable(cause) || Date.now() - started + pause > RETRY_FOR_MS) throw error;
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
  }

  async #transactionOnce<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    const client = await this.#connect();
    let broken: Error | undefined;
    try {
      await client.query("BEGIN");
      const result = await work(clientSql(client));
      await client.query("COMMIT");
      return result;
    } catch (error) {
      try {
        await client.query("ROLLBACK");
      } catch (rollback) {
        broken = rollback as Error;
      }
      if (connectionLost(error)) broken = error as Error;
      throw this.translate(error);
    } finally {
      client.release(broken);
    }
  }

  /**
   * Streams a query's rows through a cursor, `chunk` at a time, in one read-only transaction (one
   * snapshot): nothing is held beyond a chunk, and stopping early closes the cursor.
   */
  async *stream<T>(text: string, params: unknown[] = [], chunk = 1000): AsyncGenerator<T> {
    const client = await this.#connect();
    let broken: Error | undefined;
    try {
      await client.query("BEGIN READ ONLY");
      await client.query(`DECLARE rows NO SCROLL CURSOR FOR ${text}`, params);
      for (;;) {
        const { rows } = await client.query(`FETCH ${chunk} FROM rows`);
        yield* rows as T[];
        if (rows.length < chunk) break;
      }
    } catch (error) {
      if (connectionLost(error)) broken = error as Error;
      throw this.translate(error);
    } finally {
      if (!broken) {
        try {
          await client.query("ROLLBACK");
        } catch (error) {
          broken = error as Error;
        }
      }
      client.release(broken);
    }
  }

  async #connect(): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (error) {
      throw this.translate(error);
    }
  }

  /**
   * The server unreachable becomes STORE_UNREACHABLE (naming the URL without its password), a statement
   * cancelled by statement_timeout STORE_TIMEOUT.
   */
  translate(error: unknown): unknown {
    if (error instanceof StoreError) return error;
    if (
      (error as { code?: unknown } | undefined)?.code === "57014" &&
      /statement timeout/.test(String(error))
    ) {
      return new StoreError(
        "STORE_TIMEOUT",
        { location: this.location.display, timeout: this.#statementTimeout() },
        { cause: error },
      );
    }
    if (!connectionLost(error)) return error;
    return new StoreError(
      "STORE_UNREACHABLE",
      { location: this.location.display, reason: (error as Error).message },
      { cause: error },
    );
  }

  /** The statement_timeout in force: the URL's own, else the default this adapter sets. */
  #statementTimeout(): number {
    const fromUrl = new URL(this.location.config.connectionString as string).searchParams.get(
      "statement_timeout",
    );
    return Number(fromUrl ?? this.location.config.statement_timeout);
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }
}

function clientSql(client: pg.PoolClient): Tx {
  return {
    async query<T>(text: string, params: unknown[] = []): Promise<T[]> {
      return (await client.query(text, params)).rows as T[];
    },
    async copy(table, columns, rows) {
      if (rows.length === 0) return;
      await pipeline(
        Readable.from(copyText(rows)),
        client.query(copyFrom(`COPY ${table} (${columns.join(", ")}) FROM STDIN`)),
      );
    },
  };
}

/** Rows this many at a time make one chunk of COPY's text stream. */
const COPY_CHUNK = 256;

/** COPY's text format: tab-separated, `\N` for NULL, backslash escapes for what would split a row. */
function* copyText(rows: readonly (readonly CopyValue[])[]): Generator<string> {
  for (let start = 0; start < rows.length; start += COPY_CHUNK) {
    let text = "";
    for (const row of rows.slice(start, start + COPY_CHUNK)) {
      text += `${row.map(copyField).join("\t")}\n`;
    }
    yield text;
  }
}

const COPY_ESCAPES: Record<string, string> = { "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function copyField(value: CopyValue): string {
  if (value === null) return "\\N";
  if (typeof value === "number") return String(value);
  return value.replace(/[\\\n\r\t]/g, (c) => COPY_ESCAPES[c] as string);
}

/** The first row, or undefined. */
export async function one<T>(sql: Sql, text: string, params: unknown[] = []): Promise<T | undefined> {
  return (await sql.query<T>(text, params))[0];
}

/** Drops the schema a URL names and all in it: a managed connection's store when the connection is removed. */
export async function dropSchema(location: PgLocation): Promise<void> {
  const client = new pg.Client({ connectionString: String(location.config.connectionString) });
  await client.connect();
  try {
    // The name passed SCHEMA_NAME in parsePostgresUrl, so it is safe to place in the statement.
    await client.query(`DROP SCHEMA IF EXISTS ${location.schema} CASCADE`);
  } finally {
    await client.end();
  }
}
