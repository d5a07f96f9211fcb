/**
 * Versioned schema. Migrations are numbered, applied in order, each in its own transaction, and only
 * ever appended: a released migration is never edited (write a new one instead).
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "identity model, cursors, runs, outbox, audit",
    sql: `
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

      -- Rows are JSON objects of ~1 kB: a rowid table with a unique index, not WITHOUT ROWID.
      CREATE TABLE resources (
        kind TEXT NOT NULL,
        id TEXT NOT NULL,
        display_name TEXT,
        principal_name TEXT,
        data TEXT NOT NULL,
        deleted_at TEXT,
        seen_round INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL
      );
      CREATE UNIQUE INDEX resources_key ON resources (kind, id);
      CREATE INDEX resources_by_display_name ON resources (kind, display_name COLLATE NOCASE);
      CREATE INDEX resources_by_principal_name ON resources (kind, principal_name COLLATE NOCASE);
      CREATE INDEX resources_by_id ON resources (id);

      -- Graph ids of everything edges name, as small integers (see sqlite/edges.ts for why).
      CREATE TABLE ids (n INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE);

      -- Direct relationships (memberships, owners, assignments, licences): small rows, keyed.
      CREATE TABLE edges (
        relation TEXT NOT NULL,
        object_n INTEGER NOT NULL,
        principal_n INTEGER NOT NULL,
        qualifier TEXT NOT NULL DEFAULT '',
        principal_type TEXT NOT NULL,
        data TEXT,
        seen_round INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (relation, object_n, principal_n, qualifier)
      ) WITHOUT ROWID;
      CREATE INDEX edges_by_principal ON edges (principal_n, relation);

      CREATE TABLE cursors (
        stream TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        data TEXT NOT NULL,
        revision INTEGER NOT NULL,
        updated_at TEXT NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE runs (
        number INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        status TEXT NOT NULL,
        tenant_id TEXT NOT NULL,
        streams TEXT,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        error TEXT,
        start_seq INTEGER NOT NULL,
        end_seq INTEGER
      );

      CREATE TABLE run_stats (
        run_id TEXT NOT NULL,
        stream TEXT NOT NULL,
        objects INTEGER NOT NULL DEFAULT 0,
        changes INTEGER NOT NULL DEFAULT 0,
        requests INTEGER NOT NULL DEFAULT 0,
        resource_units REAL NOT NULL DEFAULT 0,
        throttle_wait_ms REAL NOT NULL DEFAULT 0,
        errors INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (run_id, stream)
      ) WITHOUT ROWID;

      -- The outbox. AUTOINCREMENT: a sequence number is never reused, even after pruning. The event id
      -- (a random UUID) has no index: inserts stay appends, and readers go by seq.
      CREATE TABLE change_events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL,
        type TEXT NOT NULL,
        kind TEXT NOT NULL,
        resource_id TEXT NOT NULL,
        data TEXT NOT NULL,
        changes TEXT,
        run_id TEXT NOT NULL,
        tenant_id TEXT NOT NULL,
        detected_at TEXT NOT NULL
      );
      CREATE INDEX change_events_by_run ON change_events (run_id, seq);

      CREATE TABLE outbox_consumers (consumer TEXT PRIMARY KEY, position INTEGER NOT NULL) WITHOUT ROWID;

      CREATE TABLE audit (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        input TEXT NOT NULL,
        result TEXT NOT NULL,
        detail TEXT,
        request_id TEXT
      );
      CREATE INDEX audit_by_action ON audit (action, seq);
    `,
  },
  {
    version: 2,
    name: "trigger subscriptions and dead letters",
    sql: `
      CREATE TABLE subscriptions (
        id TEXT PRIMARY KEY,
        data TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE dead_letters (
        subscription TEXT NOT NULL,
        seq INTEGER NOT NULL,
        event_id TEXT NOT NULL,
        event TEXT NOT NULL,
        error TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (subscription, event_id)
      );
      CREATE INDEX dead_letters_by_seq ON dead_letters (subscription, seq);
    `,
  },
  {
    version: 3,
    name: "subscription leases (one watcher delivers a subscription at a time)",
    sql: `
      CREATE TABLE subscription_leases (
        subscription TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        acquired_at TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 4,
    name: "run leases (a killed run is recorded as interrupted by the next one)",
    sql: `
      ALTER TABLE runs ADD COLUMN owner TEXT;
      ALTER TABLE runs ADD COLUMN lease_expires_at INTEGER;
      ALTER TABLE runs ADD COLUMN interrupted_at TEXT;
      ALTER TABLE runs ADD COLUMN resumed_from TEXT;
    `,
  },
  {
    version: 5,
    name: "delivery attempts (the recent ones per subscription, for the service's deliveries view)",
    sql: `
      CREATE TABLE delivery_attempts (
        subscription TEXT NOT NULL,
        n INTEGER PRIMARY KEY AUTOINCREMENT,
        seq INTEGER NOT NULL,
        event_id TEXT NOT NULL,
        event_type TEXT NOT NULL,
        status TEXT NOT NULL,
        http_status INTEGER,
        attempt INTEGER NOT NULL,
        error TEXT,
        at TEXT NOT NULL
      );
      CREATE INDEX delivery_attempts_by_subscription ON delivery_attempts (subscription, n);
      `,
  },
  {
    version: 6,
    name: "mappings: runs, per-record log, links, retries, quarantine, outbox cursor",
    sql: `
      CREATE TABLE mapping_runs (
        number INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        mapping TEXT NOT NULL,
        kind TEXT NOT NULL,
        status TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        error TEXT
      );
      CREATE INDEX mapping_runs_by_mapping ON mapping_runs (mapping, number);

      CREATE TABLE mapping_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        mapping TEXT NOT NULL,
        run_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        action TEXT NOT NULL,
        result TEXT NOT NULL,
        reason TEXT NOT NULL,
        target_id TEXT,
        changes TEXT,
        detail TEXT,
        at TEXT NOT NULL
      );
      CREATE INDEX mapping_log_by_run ON mapping_log (run_id, seq);
      CREATE INDEX mapping_log_by_user ON mapping_log (mapping, user_id, seq);

      CREATE TABLE mapping_links (
        mapping TEXT NOT NULL,
        user_id TEXT NOT NULL,
        target_id TEXT NOT NULL,
        attributes TEXT NOT NULL,
        PRIMARY KEY (mapping, user_id)
      ) WITHOUT ROWID;

      CREATE TABLE mapping_retries (
        mapping TEXT NOT NULL,
        user_id TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        next_attempt_at INTEGER NOT NULL,
        error TEXT NOT NULL,
        PRIMARY KEY (mapping, user_id)
      ) WITHOUT ROWID;

      CREATE TABLE mapping_state (
        mapping TEXT PRIMARY KEY,
        cursor INTEGER NOT NULL DEFAULT 0,
        quarantine TEXT
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 7,
    name: "mapping definitions kept by the service",
    sql: `
      CREATE TABLE mapping_definitions (
        name TEXT PRIMARY KEY,
        data TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 8,
    name: "change events stored compactly",
    // A full load of a large tenant writes a million relationship events: stored whole, they were two
    // thirds of the file (ids, run and tenant repeated in every row) and most of the load's writing.
    // Now an event's id is derived from the store's prefix and its seq unless stored (events from
    // before), the run is its number (its tenant is the run's), a relationship's event keeps its key
    // and rebuilds its data on read, and new rows keep their detection time in milliseconds.
    sql: `
      CREATE TABLE change_events_compact (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT,
        type TEXT NOT NULL,
        kind TEXT NOT NULL,
        resource_id TEXT NOT NULL,
        data TEXT,
        changes TEXT,
        run_n INTEGER NOT NULL,
        detected_at NOT NULL,
        relation TEXT,
        principal_id TEXT,
        principal_type TEXT,
        qualifier TEXT
      );
      INSERT INTO change_events_compact (seq, id, type, kind, resource_id, data, changes, run_n, detected_at)
        SELECT e.seq, e.id, e.type, e.kind, e.resource_id, e.data, e.changes, r.number, e.detected_at
        FROM change_events e JOIN runs r ON r.id = e.run_id ORDER BY e.seq;
      UPDATE sqlite_sequence SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'change_events')
        WHERE name = 'change_events_compact';
      DROP TABLE change_events;
      ALTER TABLE change_events_compact RENAME TO change_events;
      CREATE INDEX change_events_by_run ON change_events (run_n, seq);
      INSERT INTO meta (key, value)
        SELECT 'event_id_prefix', lower(hex(randomblob(12))) WHERE NOT EXISTS (SELECT 1 FROM meta WHERE key = 'event_id_prefix');
    `,
  },
];
