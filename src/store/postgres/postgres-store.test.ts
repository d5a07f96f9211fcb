/**
 * What the PostgreSQL store adds to the shared contract (the contract itself runs against both
 * adapters in src/store/*.test.ts): migrations under concurrent openers, the schema per store, the
 * outbox and run lock between processes (separate pools stand for them here), and surviving the
 * server dropping its connections.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import pg from "pg";
import { StoreError } from "../errors.ts";
import { openStore } from "../open.ts";
import {
  dropTestSchema,
  group,
  member,
  TEST_POSTGRES,
  testPostgresUrl,
  testSchema,
  user,
} from "../test-support.ts";
import { PG_MIGRATIONS } from "./migrations.ts";
import { PostgresStore } from "./store.ts";

const schemas: string[] = [];
after(async () => {
  for (const schema of schemas) await dropTestSchema(schema);
});

/** The URL of a new schema this file drops when it is done. */
function freshUrl(): string {
  return testPostgresUrl(freshSchema());
}

function freshSchema(): string {
  const schema = testSchema(import.meta.url);
  schemas.push(schema);
  return schema;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("the PostgreSQL store", () => {
  it("creates its schema once when several processes open a new store at the same moment", async () => {
    const url = freshUrl();
    const stores = await Promise.all(Array.from({ length: 4 }, () => PostgresStore.open(url)));
    const versions = await stores[0]?.db.versions();
    assert.deepEqual(
      versions?.map((v) => v.version),
      PG_MIGRATIONS.map((m) => m.version),
    );
    await Promise.all(stores.map((s) => s.close()));
  });

  it("keeps its data across reopening, and refuses a schema a newer connector wrote", async () => {
    const url = freshUrl();
    const store = await openStore(url);
    const run = await store.runs.start({ kind: "full", tenantId: "t" });
    await store.sync.applyPage({
      runId: run.id,
      stream: "users",
      upserts: [user("u1")],
      checkpoint: { version: 1, data: { a: 1 } },
    });
    await store.close();
    const again = await openStore(url, { mustExist: true, readOnly: true });
    assert.deepEqual((await again.sync.checkpoint("users"))?.data, { a: 1 });
    await assert.rejects(again.audit.record({ action: "x", target: "y", input: {}, result: "succeeded" }));
    await again.close();
    await assert.rejects(
      PostgresStore.open(url, { migrations: PG_MIGRATIONS.slice(0, 0) }),
      (e: unknown) => e instanceof StoreError && e.code === "STORE_SCHEMA_TOO_NEW",
    );
  });

  it("answers STORE_NOT_FOUND for a schema that holds no store, and STORE_UNREACHABLE without the password", async () => {
    await assert.rejects(
      openStore(testPostgresUrl("t_never_created"), { mustExist: true }),
      (e: unknown) => e instanceof StoreError && e.code === "STORE_NOT_FOUND",
    );
    await assert.rejects(openStore("postgres://entra:s3cret@127.0.0.1:1/db?schema=x"), (e: unknown) => {
      assert.ok(e instanceof StoreError && e.code === "STORE_UNREACHABLE", String(e));
      assert.doesNotMatch(e.message, /s3cret/);
      assert.match(e.message, /postgres:\/\/entra@127\.0\.0\.1:1\/db\?schema=x/);
      return true;
    });
    await assert.rejects(
      openStore(testPostgresUrl("Bad-Name")),
      (e: unknown) => e instanceof StoreError && e.code === "STORE_LOCATION_INVALID",
    );
  });

  it("lets one of several processes starting a sync at once win, and refuses the others", async () => {
    const url = freshUrl();
    const stores = await Promise.all(Array.from({ length: 4 }, () => PostgresStore.open(url)));
    const results = await Promise.allSettled(
      stores.map((s) => s.runs.start({ kind: "full", tenantId: "t" })),
    );
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
    for (const r of results) {
      if (r.status === "rejected") {
        assert.ok(r.reason instanceof StoreError && r.reason.code === "STORE_SYNC_RUNNING", String(r.reason));
      }
    }
    await Promise.all(stores.map((s) => s.close()));
  });

  it("gives gap-free, ordered outbox seqs to pages written at once by several processes", async () => {
    const url = freshUrl();
    const stores = await Promise.all(Array.from({ length: 3 }, () => PostgresStore.open(url)));
    const [first] = stores as [PostgresStore];
    const run = await first.runs.start({ kind: "full", tenantId: "t" });
    const pages = stores.flatMap((store, s) =>
      Array.from({ length: 5 }, (_, p) =>
        store.sync.applyPage({
          runId: run.id,
          stream: `s${s}`,
          upserts: [user(`u${s}-${p}`), group(`g${s}-${p}`)],
          edges: { add: [member(`g${s}-${p}`, `u${s}-${p}`)] },
        }),
      ),
    );
    // One page that fails after taking its seqs: they are given back, not skipped.
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const failing = first.sync.applyPage({
      runId: run.id,
      stream: "bad",
      upserts: [user("ok"), { kind: "user", id: "bad", data: circular }],
    });
    await assert.rejects(failing, TypeError);
    await Promise.all(pages);
    const events = await first.outbox.read({ limit: 1000 });
    assert.equal(events.length, 45);
    assert.deepEqual(
      events.map((e) => e.seq),
      events.map((_, i) => i + 1),
    );
    assert.equal(await first.outbox.head(), 45);
    await Promise.all(stores.map((s) => s.close()));
  });

  it("goes on after the server drops its connections (a restart), discarding the broken ones", async () => {
    const url = freshUrl();
    const store = await PostgresStore.open(url);
    const run = await store.runs.start({ kind: "full", tenantId: "t" });
    // Check out several connections so the pool holds them idle, then end them from the server side.
    await Promise.all(Array.from({ length: 4 }, () => store.db.query("SELECT pg_sleep(0.05)")));
    const admin = new pg.Client({ connectionString: TEST_POSTGRES });
    await admin.connect();
    const { rows } = await admin.query(
      `SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity
       WHERE pid <> pg_backend_pid() AND query = 'SELECT pg_sleep(0.05)'`,
    );
    await admin.end();
    assert.ok(rows.length > 0, "the pool's idle connections were ended");
    await new Promise((resolve) => setTimeout(resolve, 100));
    const result = await store.sync.applyPage({ runId: run.id, stream: "users", upserts: [user("u1")] });
    assert.equal(result.events.length, 1);
    assert.equal(await store.outbox.head(), 1);
    await store.close();
  });

  it("runs a page again on a new connection when the server ends it mid-transaction, writing the page once", async () => {
    const schema = freshSchema();
    // The store's connections carry a name of their own, so only they are ended (the server is shared).
    const name = `entra_test_${process.pid}`;
    const store = await PostgresStore.open(`${testPostgresUrl(schema)}&application_name=${name}`);
    const run = await store.runs.start({ kind: "full", tenantId: "t" });
    const admin = new pg.Client({ connectionString: TEST_POSTGRES });
    await admin.connect();
    try {
      // Holding the outbox counter stops the page after it wrote its rows, before its events.
      await admin.query("BEGIN");
      await admin.query(`SELECT value FROM ${schema}.counters WHERE name = 'outbox' FOR UPDATE`);
      const page = store.sync.applyPage({
        runId: run.id,
        stream: "users",
        upserts: [user("u1"), group("g1")],
        edges: { add: [member("g1", "u1")] },
        checkpoint: { version: 1, data: { page: 1 } },
      });
      let ended = 0;
      for (let i = 0; i < 200 && ended === 0; i++) {
        const { rows } = await admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
           WHERE application_name = $1 AND wait_event_type = 'Lock'`,
          [name],
        );
        ended = rows.length;
        if (ended === 0) await sleep(25);
      }
      assert.equal(ended, 1, "the page's connection was ended while it waited");
      await admin.query("COMMIT");
      const result = await page;
      assert.deepEqual(
        result.events.map((e) => [e.seq, e.type, e.resourceId]),
        [
          [1, "created", "u1"],
          [2, "created", "g1"],
          [3, "added", "g1"],
        ],
      );
      assert.equal(await store.outbox.head(), 3);
      assert.equal((await store.outbox.read({ limit: 100 })).length, 3);
      assert.deepEqual((await store.sync.checkpoint("users"))?.data, { page: 1 });
    } finally {
      await admin.end();
      await store.close();
    }
  });

  it("ends a statement that runs past the URL's statement_timeout with STORE_TIMEOUT, naming the limit", async () => {
    const store = await PostgresStore.open(`${freshUrl()}&statement_timeout=50`);
    try {
      await assert.rejects(store.db.query("SELECT pg_sleep(1)"), (e: unknown) => {
        assert.ok(e instanceof StoreError && e.code === "STORE_TIMEOUT", String(e));
        assert.match(e.message, /statement_timeout of 50 ms/);
        return true;
      });
      assert.deepEqual(await store.db.query("SELECT 1 AS one"), [{ one: 1 }]);
    } finally {
      await store.close();
    }
  });
});
