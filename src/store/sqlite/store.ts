import { StoreError } from "../errors.ts";
import {
  checkFileIdentity,
  checkWritable,
  createPrivateFile,
  type FileIdentity,
  fileIdentity,
} from "../store-file.ts";
import type { AuditLog, MappingStore, Outbox, Queries, RunLog, Store, Subscriptions } from "../types.ts";
import { SqliteAuditLog } from "./audit.ts";
import { SqliteDatabase, type StoreOpenOptions } from "./database.ts";
import { SqliteMappings } from "./mappings.ts";
import type { Migration } from "./migrations.ts";
import { SqliteOutbox } from "./outbox.ts";
import { SqliteQueries } from "./queries.ts";
import { ensureAbandonedReadIndexes } from "./read-indexes.ts";
import { SqliteRunLog } from "./runs.ts";
import { SqliteSubscriptions } from "./subscriptions.ts";
import { SqliteSyncWriter } from "./sync-writer.ts";

/** The embedded store: one SQLite file (WAL), or ":memory:" in tests. */
export class SqliteStore implements Store {
  readonly location: string;
  /** With `applyPages`, the group commit the store's thread uses (src/store/thread). */
  readonly sync: SqliteSyncWriter;
  readonly runs: RunLog;
  readonly outbox: Outbox;
  readonly audit: AuditLog;
  readonly query: Queries;
  readonly subscriptions: Subscriptions;
  readonly mappings: MappingStore;
  readonly #db: SqliteDatabase;
  readonly #file: FileIdentity | undefined;

  /** `readOnly`: a connection that never writes (queries only), which also opens a file this user may not write. */
  constructor(path: string, migrations?: readonly Migration[], options: StoreOpenOptions = {}) {
    this.location = path;
    try {
      if (!options.readOnly) {
        checkWritable(path);
        // The store holds the directory's data and audit log: its owner's alone, as the key file is.
        createPrivateFile(path);
      }
      this.#db = new SqliteDatabase(path, migrations, options);
    } catch (error) {
      if (error instanceof StoreError) throw error;
      throw new StoreError(
        "STORE_LOCATION_INVALID",
        { location: path, reason: (error as Error).message },
        { cause: error },
      );
    }
    if (!options.readOnly) ensureAbandonedReadIndexes(this.#db);
    this.#file = fileIdentity(path);
    this.sync = new SqliteSyncWriter(this.#db);
    this.runs = new SqliteRunLog(this.#db);
    this.outbox = new SqliteOutbox(this.#db);
    this.audit = new SqliteAuditLog(this.#db);
    this.query = new SqliteQueries(this.#db);
    this.subscriptions = new SqliteSubscriptions(this.#db);
    this.mappings = new SqliteMappings(this.#db);
  }

  async verifyFile(): Promise<void> {
    checkFileIdentity(this.location, this.#file);
  }

  async close(): Promise<void> {
    this.#db.close();
  }
}
