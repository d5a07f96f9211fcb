import pg from "pg";
import { StoreError } from "../errors.ts";
import { PG_MIGRATIONS, type PgMigration } from "./migrations.ts";

/** A query runner: the pool itself, or one client inside a transaction. */
export interface Sql {
  query<T>(text: string, params?: unknown[]): Promise<T[]>;
}

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

  /** Runs `work` in one transaction on one client; rolls back on throw. */
  async transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T> {
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

  /** The server unreachable becomes STORE_UNREACHABLE (naming the URL without its password). */
  translate(error: unknown): unknown {
    if (error instanceof StoreError || !connectionLost(error)) return error;
    return new StoreError(
      "STORE_UNREACHABLE",
      { location: this.location.display, reason: (error as Error).message },
      { cause: error },
    );
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }
}

function clientSql(client: pg.PoolClient): Sql {
  return {
    async query<T>(text: string, params: unknown[] = []): Promise<T[]> {
      return (await client.query(text, params)).rows as T[];
    },
  };
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
