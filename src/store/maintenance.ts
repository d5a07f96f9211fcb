/**
 * Store maintenance behind `entra-connector store`: applying migrations, and copying a SQLite store
 * into PostgreSQL with everything it holds (objects, tombstones, relationships, checkpoints, runs,
 * the outbox with its seqs and consumer positions, subscriptions, dead letters, leases, audit), so a
 * sync moved to the new store resumes where the old one stopped.
 */
import { existsSync } from "node:fs";
import { invalidInput, StoreError } from "./errors.ts";
import { isPostgresUrl, type PgDatabase, parsePostgresUrl, type Sql } from "./postgres/database.ts";
import { PostgresStore } from "./postgres/store.ts";
import { SqliteDatabase } from "./sqlite/database.ts";
import { allEvents } from "./sqlite/outbox.ts";
import { SqliteStore } from "./sqlite/store.ts";

export interface MigrationVersion {
  version: number;
  name: string;
  appliedAt: string;
}

/** Applies the migrations the store at `location` lacks (creating it when new) and lists its versions. */
export async function migrateStore(
  location: string,
): Promise<{ location: string; versions: MigrationVersion[] }> {
  if (isPostgresUrl(location)) {
    const store = await PostgresStore.open(location);
    try {
      return { location: store.location, versions: await store.db.versions() };
    } finally {
      await store.close();
    }
  }
  const path = sqlitePath(location);
  // SqliteStore creates a new file private to its owner and migrates it; the versions are read after.
  await new SqliteStore(path).close();
  const db = openSqlite(path, true);
  try {
    return {
      location: path,
      versions: db.all<MigrationVersion>(
        "SELECT version, name, applied_at AS appliedAt FROM schema_migrations ORDER BY version",
      ),
    };
  } finally {
    db.close();
  }
}

/**
 * A table copied as it is: the SQLite query reading it (or, for rows SQLite stores compactly, what
 * reads them whole), and its PostgreSQL columns with their types.
 */
interface TableCopy {
  table: string;
  select: string | ((source: SqliteDatabase) => Iterable<Record<string, unknown>>);
  columns: [name: string, type: "text" | "bigint" | "integer" | "float8"][];
}

const TABLES: TableCopy[] = [
  {
    table: "resources",
    select:
      "SELECT kind, id, display_name, principal_name, data, deleted_at, seen_round, updated_at FROM resources ORDER BY kind, id",
    columns: [
      ["kind", "text"],
      ["id", "text"],
      ["display_name", "text"],
      ["principal_name", "text"],
      ["data", "text"],
      ["deleted_at", "text"],
      ["seen_round", "bigint"],
      ["updated_at", "text"],
    ],
  },
  {
    table: "edges",
    select: `SELECT e.relation, o.id AS object_id, p.id AS principal_id, e.qualifier, e.principal_type, e.data, e.seen_round
      FROM edges e JOIN ids o ON o.n = e.object_n JOIN ids p ON p.n = e.principal_n`,
    columns: [
      ["relation", "text"],
      ["object_id", "text"],
      ["principal_id", "text"],
      ["qualifier", "text"],
      ["principal_type", "text"],
      ["data", "text"],
      ["seen_round", "bigint"],
    ],
  },
  {
    table: "cursors",
    select: "SELECT stream, version, data, revision, updated_at FROM cursors",
    columns: [
      ["stream", "text"],
      ["version", "integer"],
      ["data", "text"],
      ["revision", "integer"],
      ["updated_at", "text"],
    ],
  },
  {
    table: "runs",
    select: `SELECT number, id, kind, status, tenant_id, streams, started_at, finished_at, error, start_seq, end_seq,
      owner, lease_expires_at, interrupted_at, resumed_from FROM runs ORDER BY number`,
    columns: [
      ["number", "bigint"],
      ["id", "text"],
      ["kind", "text"],
      ["status", "text"],
      ["tenant_id", "text"],
      ["streams", "text"],
      ["started_at", "text"],
      ["finished_at", "text"],
      ["error", "text"],
      ["start_seq", "bigint"],
      ["end_seq", "bigint"],
      ["owner", "text"],
      ["lease_expires_at", "bigint"],
      ["interrupted_at", "text"],
      ["resumed_from", "text"],
    ],
  },
  {
    table: "run_stats",
    select:
      "SELECT run_id, stream, objects, changes, requests, resource_units, throttle_wait_ms, errors FROM run_stats",
    columns: [
      ["run_id", "text"],
      ["stream", "text"],
      ["objects", "bigint"],
      ["changes", "bigint"],
      ["requests", "bigint"],
      ["resource_units", "float8"],
      ["throttle_wait_ms", "float8"],
      ["errors", "bigint"],
    ],
  },
  {
    table: "change_events",
    *select(source) {
      for (const e of allEvents(source)) {
        yield {
          seq: e.seq,
          id: e.id,
          type: e.type,
          kind: e.kind,
          resource_id: e.resourceId,
          data: JSON.stringify(e.data),
          changes: e.changes ? JSON.stringify(e.changes) : null,
          run_id: e.runId,
          tenant_id: e.tenantId,
          detected_at: e.detectedAt,
        };
      }
    },
    columns: [
      ["seq", "bigint"],
      ["id", "text"],
      ["type", "text"],
      ["kind", "text"],
      ["resource_id", "text"],
      ["data", "text"],
      ["changes", "text"],
      ["run_id", "text"],
      ["tenant_id", "text"],
      ["detected_at", "text"],
    ],
  },
  {
    table: "outbox_consumers",
    select: "SELECT consumer, position FROM outbox_consumers",
    columns: [
      ["consumer", "text"],
      ["position", "bigint"],
    ],
  },
  {
    table: "audit",
    select: "SELECT seq, at, action, target, input, result, detail, request_id FROM audit ORDER BY seq",
    columns: [
      ["seq", "bigint"],
      ["at", "text"],
      ["action", "text"],
      ["target", "text"],
      ["input", "text"],
      ["result", "text"],
      ["detail", "text"],
      ["request_id", "text"],
    ],
  },
  {
    table: "subscriptions",
    select: "SELECT id, data, created_at, updated_at FROM subscriptions",
    columns: [
      ["id", "text"],
      ["data", "text"],
      ["created_at", "text"],
      ["updated_at", "text"],
    ],
  },
  {
    // In replay order: PostgreSQL numbers them as they come, which is the order dead letters tie-break on.
    table: "dead_letters",
    select:
      "SELECT subscription, seq, event_id, event, error, at FROM dead_letters ORDER BY subscription, seq, rowid",
    columns: [
      ["subscription", "text"],
      ["seq", "bigint"],
      ["event_id", "text"],
      ["event", "text"],
      ["error", "text"],
      ["at", "text"],
    ],
  },
  {
    table: "subscription_leases",
    select: "SELECT subscription, owner, acquired_at, expires_at FROM subscription_leases",
    columns: [
      ["subscription", "text"],
      ["owner", "text"],
      ["acquired_at", "text"],
      ["expires_at", "bigint"],
    ],
  },
  {
    table: "delivery_attempts",
    select: `SELECT n, subscription, seq, event_id, event_type, status, http_status, attempt, error, at
      FROM delivery_attempts ORDER BY n`,
    columns: [
      ["n", "bigint"],
      ["subscription", "text"],
      ["seq", "bigint"],
      ["event_id", "text"],
      ["event_type", "text"],
      ["status", "text"],
      ["http_status", "integer"],
      ["attempt", "integer"],
      ["error", "text"],
      ["at", "text"],
    ],
  },
  {
    table: "mapping_runs",
    select:
      "SELECT number, id, mapping, kind, status, started_at, finished_at, error FROM mapping_runs ORDER BY number",
    columns: [
      ["number", "bigint"],
      ["id", "text"],
      ["mapping", "text"],
      ["kind", "text"],
      ["status", "text"],
      ["started_at", "text"],
      ["finished_at", "text"],
      ["error", "text"],
    ],
  },
  {
    table: "mapping_log",
    select: `SELECT seq, mapping, run_id, user_id, action, result, reason, target_id, changes, detail, at
      FROM mapping_log ORDER BY seq`,
    columns: [
      ["seq", "bigint"],
      ["mapping", "text"],
      ["run_id", "text"],
      ["user_id", "text"],
      ["action", "text"],
      ["result", "text"],
      ["reason", "text"],
      ["target_id", "text"],
      ["changes", "text"],
      ["detail", "text"],
      ["at", "text"],
    ],
  },
  {
    table: "mapping_links",
    select: "SELECT mapping, user_id, target_id, attributes FROM mapping_links",
    columns: [
      ["mapping", "text"],
      ["user_id", "text"],
      ["target_id", "text"],
      ["attributes", "text"],
    ],
  },
  {
    table: "mapping_retries",
    select: "SELECT mapping, user_id, attempts, next_attempt_at, error FROM mapping_retries",
    columns: [
      ["mapping", "text"],
      ["user_id", "text"],
      ["attempts", "integer"],
      ["next_attempt_at", "bigint"],
      ["error", "text"],
    ],
  },
  {
    table: "mapping_state",
    select: "SELECT mapping, cursor, quarantine FROM mapping_state",
    columns: [
      ["mapping", "text"],
      ["cursor", "bigint"],
      ["quarantine", "text"],
    ],
  },
  {
    table: "mapping_definitions",
    select: "SELECT name, data, created_at, updated_at FROM mapping_definitions",
    columns: [
      ["name", "text"],
      ["data", "text"],
      ["created_at", "text"],
      ["updated_at", "text"],
    ],
  },
];

/** Numbered columns copied as they are: numbering goes on after the copied rows. */
const NUMBERED: [table: string, column: string][] = [
  ["runs", "number"],
  ["audit", "seq"],
  ["delivery_attempts", "n"],
  ["mapping_runs", "number"],
  ["mapping_log", "seq"],
];

/** Rows sent per statement. */
const COPY_CHUNK = 5000;

export interface CopyResult {
  from: string;
  to: string;
  /** Rows copied per table. */
  rows: Record<string, number>;
}

/**
 * Copies the SQLite store at `from` into the PostgreSQL store at `to`, in one transaction on the
 * target: it holds all of the source or, on any failure, nothing new. A target that holds anything is
 * refused (STORE_NOT_EMPTY) unless `force`, which replaces what it holds.
 */
export async function copyStore(input: { from: string; to: string; force?: boolean }): Promise<CopyResult> {
  if (isPostgresUrl(input.from))
    throw invalidInput("--from", "must be a SQLite store file (the store to copy)");
  if (!isPostgresUrl(input.to)) {
    throw invalidInput("--to", "must be a postgres:// URL (the store to copy into)");
  }
  const path = sqlitePath(input.from);
  if (!existsSync(path)) throw new StoreError("STORE_NOT_FOUND", { location: path });
  const source = openSqlite(path, true);
  try {
    const target = await PostgresStore.open(parsePostgresUrl(input.to));
    try {
      const rows = await target.db.transaction((tx) => copyInto(source, tx, target.db, input.force === true));
      return { from: path, to: target.location, rows };
    } finally {
      await target.close();
    }
  } finally {
    source.close();
  }
}

async function copyInto(
  source: SqliteDatabase,
  tx: Sql,
  target: PgDatabase,
  force: boolean,
): Promise<Record<string, number>> {
  // Held to the end: no sync starts on the target while it is being filled.
  await tx.query("SELECT value FROM counters WHERE name = 'run-lock' FOR UPDATE");
  const held = [];
  for (const { table } of TABLES) {
    if ((await tx.query(`SELECT 1 FROM ${table} LIMIT 1`)).length > 0) held.push(table);
  }
  if (held.length > 0) {
    if (!force) {
      throw new StoreError("STORE_NOT_EMPTY", { location: target.location.display, tables: held.join(", ") });
    }
    await tx.query(`DELETE FROM ${held.join("; DELETE FROM ")}`);
  }
  const counts: Record<string, number> = {};
  for (const spec of TABLES) {
    const names = spec.columns.map(([name]) => name);
    const insert = `INSERT INTO ${spec.table} (${names.join(", ")})
      SELECT * FROM unnest(${spec.columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(", ")})`;
    let batch: Record<string, unknown>[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      await tx.query(
        insert,
        names.map((name) => batch.map((row) => row[name] ?? null)),
      );
      batch = [];
    };
    let count = 0;
    const rows =
      typeof spec.select === "string"
        ? source.iterate<Record<string, unknown>>(spec.select)
        : spec.select(source);
    for (const row of rows) {
      batch.push(row);
      count++;
      if (batch.length >= COPY_CHUNK) await flush();
    }
    await flush();
    counts[spec.table] = count;
  }
  // Numbering goes on after the copied rows: the next run, audit entry and outbox seq follow them.
  for (const [table, column] of NUMBERED) {
    await tx.query(
      `SELECT setval(pg_get_serial_sequence('${table}', '${column}'), coalesce(max(${column}), 0) + 1, false) FROM ${table}`,
    );
  }
  const round = source.get<{ value: string }>("SELECT value FROM meta WHERE key = 'round'")?.value ?? "0";
  // AUTOINCREMENT's high-water mark: seqs of pruned events are never given again.
  const issued =
    source.get<{ seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'change_events'")?.seq ?? 0;
  await tx.query("UPDATE counters SET value = $1 WHERE name = 'round'", [Number(round)]);
  await tx.query(
    "UPDATE counters SET value = greatest($1::bigint, (SELECT coalesce(max(seq), 0) FROM change_events)) WHERE name = 'outbox'",
    [issued],
  );
  return counts;
}

function sqlitePath(location: string): string {
  return location.replace(/^(sqlite|file):/i, "");
}

function openSqlite(path: string, readOnly: boolean): SqliteDatabase {
  try {
    return new SqliteDatabase(path, undefined, { readOnly });
  } catch (error) {
    if (error instanceof StoreError) throw error;
    throw new StoreError(
      "STORE_LOCATION_INVALID",
      { location: path, reason: (error as Error).message },
      { cause: error },
    );
  }
}
