import type {
  AuditLog,
  MappingStore,
  Outbox,
  Queries,
  RunLog,
  Store,
  Subscriptions,
  SyncWriter,
} from "../types.ts";
import { PgAuditLog } from "./audit.ts";
import { PgDatabase, type PgLocation, parsePostgresUrl } from "./database.ts";
import { PgMappings } from "./mappings.ts";
import type { PgMigration } from "./migrations.ts";
import { PgOutbox } from "./outbox.ts";
import { PgQueries } from "./queries.ts";
import { ensureReadIndexes } from "./read-indexes.ts";
import { PgRunLog } from "./runs.ts";
import { PgSubscriptions } from "./subscriptions.ts";
import { PgSyncWriter } from "./sync-writer.ts";

/**
 * The networked store: one schema of a PostgreSQL database, reached through a connection pool.
 * Several processes (and hosts) may use it at once; runs, leases and the outbox are safe between them.
 */
export class PostgresStore implements Store {
  readonly location: string;
  readonly sync: SyncWriter;
  readonly runs: RunLog;
  readonly outbox: Outbox;
  readonly audit: AuditLog;
  readonly query: Queries;
  readonly subscriptions: Subscriptions;
  readonly mappings: MappingStore;
  readonly db: PgDatabase;

  private constructor(db: PgDatabase) {
    this.db = db;
    this.location = db.location.display;
    this.sync = new PgSyncWriter(db);
    this.runs = new PgRunLog(db);
    this.outbox = new PgOutbox(db);
    this.audit = new PgAuditLog(db);
    this.query = new PgQueries(db);
    this.subscriptions = new PgSubscriptions(db);
    this.mappings = new PgMappings(db);
  }

  /** `mustExist`: a schema this connector never created is STORE_NOT_FOUND; `readOnly`: no writes, no migrations. */
  static async open(
    url: string | PgLocation,
    options: { mustExist?: boolean; readOnly?: boolean; migrations?: readonly PgMigration[] } = {},
  ): Promise<PostgresStore> {
    const location = typeof url === "string" ? parsePostgresUrl(url) : url;
    const db = await PgDatabase.open(location, options);
    if (!options.readOnly && !options.migrations) {
      try {
        await ensureReadIndexes(db);
      } catch (error) {
        await db.close();
        throw db.translate(error);
      }
    }
    return new PostgresStore(db);
  }

  /** Nothing to check: a database is no file that could be replaced under this process. */
  async verifyFile(): Promise<void> {}

  async close(): Promise<void> {
    await this.db.close();
  }
}
