import { randomBytes } from "node:crypto";
import { basename } from "node:path";
import { after } from "node:test";
import pg from "pg";
import { openStore } from "./open.ts";
import { PostgresStore } from "./postgres/store.ts";
import type { Edge, Store } from "./types.ts";

/** The server the PostgreSQL half of the store tests uses (README: Tests). */
export const TEST_POSTGRES = process.env.ENTRA_TEST_POSTGRES ?? "postgres://postgres@127.0.0.1:5432/test";

export interface StoreAdapter {
  name: "sqlite" | "postgres";
  /** A new, empty store. */
  open(): Promise<Store>;
}

/**
 * Both adapters, for contract tests to loop over. The PostgreSQL one gives each test file a schema of
 * its own (named after the file), empties it for every store a test opens, and drops it when the file
 * is done, so files run in parallel against one database.
 */
export function storeAdapters(testFile: string): StoreAdapter[] {
  return [{ name: "sqlite", open: () => openStore(":memory:") }, postgresAdapter(testFile)];
}

/** A schema name unique to this test file and process. */
export function testSchema(testFile: string): string {
  const stem = basename(testFile)
    .replace(/\.test\.ts$/, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_");
  return `t_${stem.slice(0, 40)}_${process.pid}_${randomBytes(3).toString("hex")}`;
}

/** A PostgreSQL URL for `schema` on the test server. */
export function testPostgresUrl(schema: string): string {
  const url = new URL(TEST_POSTGRES);
  url.searchParams.set("schema", schema);
  return url.href;
}

/** Drops a test schema and everything in it. */
export async function dropTestSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

function postgresAdapter(testFile: string): StoreAdapter {
  const schema = testSchema(testFile);
  let created = false;
  after(async () => {
    if (created) await dropTestSchema(schema);
  });
  return {
    name: "postgres",
    async open() {
      const store = await PostgresStore.open(testPostgresUrl(schema));
      if (created) await emptyStore(store);
      created = true;
      return store;
    },
  };
}

/**
 * Every table emptied and every counter and identity back at its start: the store as a fresh schema
 * has it. DELETE, not TRUNCATE: on tables this small it is many times faster.
 */
async function emptyStore(store: PostgresStore): Promise<void> {
  const tables = await store.db.query<{ name: string }>(
    `SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()
       AND tablename NOT IN ('schema_migrations', 'counters')`,
  );
  const identities = await store.db.query<{ table: string; column: string }>(
    `SELECT table_name AS table, column_name AS column FROM information_schema.columns
     WHERE table_schema = current_schema() AND is_identity = 'YES'`,
  );
  await store.db.query(
    [
      ...tables.map((t) => `DELETE FROM ${t.name}`),
      ...identities.map((i) => `ALTER TABLE ${i.table} ALTER COLUMN ${i.column} RESTART`),
      "UPDATE counters SET value = 0",
    ].join("; "),
  );
}

/** A new empty store (in memory for SQLite) with one running full run. */
export async function storeWithRun(
  adapter: Pick<StoreAdapter, "open"> = { open: () => openStore(":memory:") },
): Promise<{ store: Store; runId: string }> {
  const store = await adapter.open();
  const run = await store.runs.start({ kind: "full", tenantId: "tenant-1" });
  return { store, runId: run.id };
}

export function user(
  id: string,
  extra: Record<string, unknown> = {},
): { kind: "user"; id: string; data: Record<string, unknown> } {
  return {
    kind: "user",
    id,
    data: { id, displayName: `User ${id}`, userPrincipalName: `${id}@contoso.com`, ...extra },
  };
}

export function group(
  id: string,
  extra: Record<string, unknown> = {},
): { kind: "group"; id: string; data: Record<string, unknown> } {
  return { kind: "group", id, data: { id, displayName: `Group ${id}`, ...extra } };
}

export function member(groupId: string, principalId: string, principalType = "user"): Edge {
  return { relation: "group:member", objectId: groupId, principalId, principalType };
}

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
