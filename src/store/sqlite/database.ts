import { resolve } from "node:path";
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { pathToFileURL } from "node:url";
import { StoreError } from "../errors.ts";
import { MIGRATIONS, type Migration } from "./migrations.ts";

export interface StoreOpenOptions {
  /** Page cache (MB); 32 by default. */
  cacheMb?: number;
  readOnly?: boolean;
  /**
   * WAL pages after which a commit copies the log into the file (SQLite's default: 1,000). Each copy
   * syncs both files to disk: a writer committing parts of megabytes does it at nearly every commit
   * with the default, so the sync's writer asks for a longer log (truncated back to it after).
   */
  checkpointPages?: number;
}

/**
 * One SQLite connection: pragmas for a write-heavy embedded store, a prepared-statement cache and
 * transactions. Synchronous underneath (node:sqlite); the Store facade is async.
 */
export class SqliteDatabase {
  readonly db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  #depth = 0;
  #generation = 0;

  constructor(path: string, migrations: readonly Migration[] = MIGRATIONS, options: StoreOpenOptions = {}) {
    if (options.readOnly) {
      this.db = openReadOnly(path);
      this.db.exec(`PRAGMA cache_size = ${-1024 * (options.cacheMb ?? 32)}; PRAGMA temp_store = MEMORY;`);
      checkVersion(this.db, migrations, path);
      return;
    }
    this.db = new DatabaseSync(path);
    // WAL lets readers (CLI queries, exports) run while a sync writes; NORMAL is durable at each
    // checkpoint of the WAL and loses at most the last transactions on power loss, never corrupts.
    // A 32 MB page cache by default: with interned edge ids the hot indexes fit, so more gains nothing,
    // while exports (two dictionary joins a row) slow down with less. The sync's writer thread asks for
    // less (src/store/thread).
    // secure_delete FAST zeroes what a row update or delete leaves behind in the pages it writes anyway
    // (no extra I/O), so a secret re-sealed in place leaves no clear copy in the file.
    // busy_timeout comes first: switching a new file to WAL takes a lock that another process opening
    // it at the same moment may hold, and without a timeout that is an immediate "database is locked".
    this.db.exec(`
      PRAGMA busy_timeout = 10000;
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = NORMAL;
      PRAGMA foreign_keys = ON;
      PRAGMA cache_size = ${-1024 * (options.cacheMb ?? 32)};
      PRAGMA temp_store = MEMORY;
      PRAGMA secure_delete = FAST;
    `);
    if (options.checkpointPages) {
      this.db.exec(
        `PRAGMA wal_autocheckpoint = ${options.checkpointPages}; PRAGMA journal_size_limit = ${options.checkpointPages * 4096};`,
      );
    }
    migrate(this.db, migrations);
  }

  /** A cached prepared statement for `sql`. */
  statement(sql: string): StatementSync {
    let stmt = this.#statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.#statements.set(sql, stmt);
    }
    return stmt;
  }

  get<T>(sql: string, ...params: SQLInputValue[]): T | undefined {
    return this.statement(sql).get(...params) as T | undefined;
  }

  all<T>(sql: string, ...params: SQLInputValue[]): T[] {
    return this.statement(sql).all(...params) as T[];
  }

  run(sql: string, ...params: SQLInputValue[]): { changes: number; lastInsertRowid: number } {
    const result = this.statement(sql).run(...params);
    return { changes: Number(result.changes), lastInsertRowid: Number(result.lastInsertRowid) };
  }

  /** Streams rows without holding them all (a fresh statement, so two iterations can overlap). */
  *iterate<T>(sql: string, ...params: SQLInputValue[]): Generator<T> {
    yield* this.db.prepare(sql).iterate(...params) as IterableIterator<T>;
  }

  /**
   * Changes whenever a write transaction starts or ends: what was learnt inside one (ids interned by
   * it) is to be trusted only while this stays the same.
   */
  get generation(): number {
    return this.#generation;
  }

  /** Runs `work` in one write transaction (nested calls join the outer one); rolls back on throw. */
  transaction<T>(work: () => T): T {
    if (this.#depth > 0) return work();
    this.db.exec("BEGIN IMMEDIATE");
    this.#generation++;
    this.#depth++;
    try {
      const result = work();
      this.db.exec("COMMIT");
      return result;
    } catch (error) {
      this.db.exec("ROLLBACK");
      throw error;
    } finally {
      this.#depth--;
      this.#generation++;
    }
  }

  close(): void {
    this.#statements.clear();
    if (this.db.isOpen) this.db.close();
  }
}

/**
 * A connection that never writes, for queries on a file this user may not write (a 0444 backup, a
 * folder it cannot write). SQLite reads a WAL store through its -shm file, which it cannot create in
 * such a folder; then the file is opened as immutable (no locks, no WAL), which is exact for a copy
 * that nothing writes.
 */
function openReadOnly(path: string): DatabaseSync {
  try {
    const db = new DatabaseSync(path, { readOnly: true });
    db.prepare("SELECT count(*) FROM sqlite_schema").get();
    return db;
  } catch {
    return new DatabaseSync(pathToFileURL(resolve(path)).href.concat("?immutable=1"), { readOnly: true });
  }
}

function schemaVersion(db: DatabaseSync): number {
  const exists = db.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'schema_migrations'").get();
  if (!exists) return 0;
  return (db.prepare("SELECT max(version) AS v FROM schema_migrations").get() as { v: number | null }).v ?? 0;
}

/** Read-only: the file must already have this version's schema, since upgrading it means writing. */
function checkVersion(db: DatabaseSync, migrations: readonly Migration[], path: string): void {
  const current = schemaVersion(db);
  const known = migrations.at(-1)?.version ?? 0;
  if (current > known) throw new StoreError("STORE_SCHEMA_TOO_NEW", { found: current, known });
  if (current < known) {
    throw new StoreError("STORE_READ_ONLY", {
      location: path,
      reason: `it has schema version ${current} and this connector must upgrade it to ${known} first`,
    });
  }
}

/** Applies the migrations newer than the file's version; refuses a file written by a newer version. */
export function migrate(db: DatabaseSync, migrations: readonly Migration[]): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const version = (): number => schemaVersion(db);
  const current = version();
  const known = migrations.at(-1)?.version ?? 0;
  if (current > known) {
    throw new StoreError("STORE_SCHEMA_TOO_NEW", { found: current, known });
  }
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    db.exec("BEGIN IMMEDIATE");
    try {
      // Another process may have migrated while we waited for the write lock.
      if (migration.version <= version()) {
        db.exec("COMMIT");
        continue;
      }
      db.exec(migration.sql);
      db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(
        migration.version,
        migration.name,
        new Date().toISOString(),
      );
      db.exec("COMMIT");
    } catch (error) {
      db.exec("ROLLBACK");
      throw error;
    }
  }
}
