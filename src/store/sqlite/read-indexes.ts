import type { SqliteDatabase } from "./database.ts";

/**
 * Indexes that serve reads only: no write path needs them to stay exact. Kept row by row, the
 * principal index takes a random insert per membership, and each commit rewrites every page those
 * touched (at 1M memberships most of a first load's time); built once after the load, it is one sort.
 */
const READ_INDEXES: Record<string, string> = {
  edges_by_principal: "CREATE INDEX IF NOT EXISTS edges_by_principal ON edges (principal_n, relation)",
};

/** Drops the read-only indexes when the store holds no relationships yet; true when it did. */
export function deferReadIndexes(db: SqliteDatabase): boolean {
  return db.transaction(() => {
    if (db.get("SELECT 1 AS present FROM edges LIMIT 1")) return false;
    for (const name of Object.keys(READ_INDEXES)) db.db.exec(`DROP INDEX IF EXISTS ${name}`);
    return true;
  });
}

/** Builds whichever read-only index is missing (every run does so as it ends). */
export function ensureReadIndexes(db: SqliteDatabase): void {
  const missing = Object.entries(READ_INDEXES).filter(
    ([name]) => !db.get("SELECT 1 AS present FROM sqlite_master WHERE type = 'index' AND name = ?", name),
  );
  if (missing.length === 0) return;
  // The build sorts every edge: in memory (the store's temp_store) that is a peak of hundreds of MB at
  // a million edges, so its sort runs spill to a temporary file instead.
  db.db.exec("PRAGMA temp_store = FILE");
  try {
    db.transaction(() => {
      for (const [, sql] of missing) db.db.exec(sql);
    });
  } finally {
    db.db.exec("PRAGMA temp_store = MEMORY");
  }
}

/**
 * On opening for writing: builds them when a first load was killed before its end, but not while a
 * run holds a live lease (a load under way in another process builds them when it ends; another
 * process building them meanwhile would only slow it down).
 */
export function ensureAbandonedReadIndexes(db: SqliteDatabase): void {
  if (db.get("SELECT 1 AS live FROM runs WHERE status = 'running' AND lease_expires_at > ?", Date.now()))
    return;
  ensureReadIndexes(db);
}
