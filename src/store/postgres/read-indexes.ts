import type { PgDatabase } from "./database.ts";

/**
 * The edge indexes only reads use (page writes go by the primary key). A first load without them
 * appends rows and builds each index once at its end, where row-by-row upkeep of two more indexes
 * is most of the server's work (see the SQLite twin, sqlite/read-indexes.ts).
 */
const READ_INDEXES: Record<string, string> = {
  edges_by_principal: "CREATE INDEX IF NOT EXISTS edges_by_principal ON edges (principal_id, relation)",
  edges_by_object: "CREATE INDEX IF NOT EXISTS edges_by_object ON edges (object_id)",
};

/** Drops the read-only indexes when the store holds no relationships yet; true when it did. */
export async function deferReadIndexes(db: PgDatabase): Promise<boolean> {
  return db.transaction(async (tx) => {
    // Taken first, so a writer that starts adding edges meanwhile waits rather than races the check.
    await tx.query("LOCK TABLE edges IN SHARE ROW EXCLUSIVE MODE");
    if ((await tx.query("SELECT 1 FROM edges LIMIT 1")).length > 0) return false;
    for (const name of Object.keys(READ_INDEXES)) await tx.query(`DROP INDEX IF EXISTS ${name}`);
    return true;
  });
}

/**
 * Builds whichever read-only index is missing: when a first load ends, and on every open for writing
 * (a load killed before its end). Looked up first, since CREATE INDEX locks out writers even when the
 * index exists and other processes may be writing.
 */
export async function ensureReadIndexes(db: PgDatabase): Promise<void> {
  const present = new Set(
    (
      await db.query<{ indexname: string }>(
        "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'edges'",
      )
    ).map((r) => r.indexname),
  );
  for (const [name, sql] of Object.entries(READ_INDEXES)) if (!present.has(name)) await db.query(sql);
}
