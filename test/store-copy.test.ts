/**
 * `entra-connector store copy` moves a SQLite store into PostgreSQL with everything it holds, and
 * `store migrate` creates or upgrades a store: a sync into SQLite, copied, goes on on PostgreSQL as an
 * incremental sync from the copied checkpoints that finds nothing changed.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { openStore, type Store } from "../src/store/index.ts";
import { dropTestSchema, testPostgresUrl, testSchema } from "../src/store/test-support.ts";
import { runCliCollect } from "./support/child-process.ts";
import { COMPARED, comparison, exportOf, type Harness, startHarness } from "./sync-support.ts";

const schema = testSchema(import.meta.url);
const url = testPostgresUrl(schema);
let h: Harness;
let sqlitePath: string;

before(async () => {
  h = await startHarness({ size: "s", seed: 31 });
  sqlitePath = join(h.dir, "store.db");
  const full = await h.sync();
  assert.equal(full.run.status, "succeeded");
  // What no sync writes: a trigger's subscription, its position and a dead letter, an audited action.
  await h.store.subscriptions.put("hook", { url: "https://example.test/hook" });
  await h.store.outbox.commit("subscription:hook", 3);
  await h.store.subscriptions.deadLetter({
    subscription: "hook",
    seq: 2,
    eventId: "e-2",
    event: { id: "e-2" },
    error: "HTTP 500",
  });
  await h.store.audit.record({ action: "user.update", target: "ann", input: { a: 1 }, result: "succeeded" });
  await h.store.subscriptions.recordAttempt({
    subscription: "hook",
    seq: 2,
    eventId: "e-2",
    eventType: "user.updated",
    status: "failed",
    httpStatus: 500,
    attempt: 1,
    error: "HTTP 500",
  });
  // A mapping's state: a finished run with its log, a link, a retry, its cursor, a quarantine and its definition.
  const run = await h.store.mappings.startRun({ mapping: "assets", kind: "full" });
  await h.store.mappings.commit({
    mapping: "assets",
    runId: run.id,
    entries: [{ userId: "u1", action: "create", result: "ok", reason: "inScope", targetId: "t1" }],
    links: [{ userId: "u1", targetId: "t1", attributes: { userName: "u1@x" } }],
    retries: [{ userId: "u2", attempts: 1, nextAttemptAt: 1000, error: "PATCH failed with 400" }],
    cursor: 7,
  });
  await h.store.mappings.finishRun(run.id, { status: "succeeded" });
  await h.store.mappings.setQuarantine("assets", {
    reason: "TARGET_AUTH_FAILED",
    since: "2026-01-01T00:00:00Z",
    until: 5,
    count: 1,
  });
  await h.store.mappings.putDefinition("assets", { document: { name: "assets" }, secrets: {} });
});
after(async () => {
  await h.close();
  await dropTestSchema(schema);
});

/** Everything a store holds that the copy must carry, in a comparable form. */
async function contents(store: Store) {
  const exports: Record<string, unknown> = {};
  for (const kind of COMPARED) exports[kind] = await exportOf(store, kind);
  return {
    exports,
    deleted: await collectAll(store.query.resources({ kind: "user", includeDeleted: true })),
    checkpoints: await store.sync.checkpoints(),
    runs: await store.runs.list(),
    events: await store.outbox.read({ limit: 100_000 }),
    head: await store.outbox.head(),
    position: await store.outbox.position("subscription:hook"),
    subscriptions: await store.subscriptions.list(),
    deadLetters: await store.subscriptions.deadLetters("hook"),
    audit: await store.audit.list(),
    attempts: await store.subscriptions.attempts("hook", 100),
    mappingRuns: await store.mappings.runs("assets"),
    mappingLog: await store.mappings.log("assets"),
    links: await store.mappings.links("assets"),
    retries: await store.mappings.retries("assets"),
    mappingCursor: await store.mappings.cursor("assets"),
    quarantine: await store.mappings.quarantine("assets"),
    definitions: await store.mappings.definitions(),
  };
}

async function collectAll<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

test("store copy carries everything, and a sync on the copy resumes from its checkpoints with no changes", async () => {
  const migrated = await runCliCollect(["store", "migrate", "--store", url, "--json"], h.env);
  assert.equal(migrated.code, 0, migrated.stderr);
  assert.deepEqual(
    (JSON.parse(migrated.stdout) as { versions: { version: number }[] }).versions.map((v) => v.version),
    [1, 2, 3],
  );
  const copied = await runCliCollect(["store", "copy", "--from", sqlitePath, "--to", url, "--json"], h.env);
  assert.equal(copied.code, 0, copied.stderr);
  const rows = (JSON.parse(copied.stdout) as { rows: Record<string, number> }).rows;
  assert.ok((rows["edges"] ?? 0) > 0 && (rows["change_events"] ?? 0) > 0, copied.stdout);

  const target = await openStore(url, { mustExist: true });
  try {
    assert.deepEqual(await contents(target), await contents(h.store));
    const head = await target.outbox.head();
    const synced = await runCliCollect(["sync", "--json", "--store", url], h.env);
    assert.equal(synced.code, 0, synced.stderr);
    const [latest] = await target.runs.list({ limit: 1 });
    assert.equal(latest?.kind, "incremental", "the copied checkpoints let it go on incrementally");
    assert.equal(latest?.status, "succeeded");
    assert.equal(latest?.number, (await h.store.runs.list()).length + 1, "run numbers go on");
    const mappingRun = await target.mappings.startRun({ mapping: "assets", kind: "incremental" });
    assert.equal(mappingRun.number, 2, "mapping run numbers go on");
    assert.deepEqual(
      Object.values(latest?.stats ?? {}).reduce((n, s) => n + s.changes, 0),
      0,
      "nothing changed since the copy",
    );
    assert.equal(await target.outbox.head(), head);
    // A change after the copy: the next seq follows the copied ones, and the store stays exact.
    await h.emu.mutate({ count: 5, seed: 3101 });
    const again = await runCliCollect(["sync", "--json", "--store", url], h.env);
    assert.equal(again.code, 0, again.stderr);
    const events = await target.outbox.read({ afterSeq: head });
    assert.ok(events.length > 0);
    assert.deepEqual(
      events.map((e) => e.seq),
      events.map((_, i) => head + i + 1),
    );
    const compared = await comparison(target, (await h.emu.snapshot()) as Record<string, unknown>);
    for (const [kind, { actual, expected }] of Object.entries(compared)) {
      assert.deepEqual(actual, expected, `${kind} differ from the emulator's snapshot`);
    }
  } finally {
    await target.close();
  }
});

test("store copy refuses a target that holds data unless --force, and names what it holds", async () => {
  const refused = await runCliCollect(["store", "copy", "--from", sqlitePath, "--to", url, "--json"], h.env);
  assert.equal(refused.code, 2, refused.stdout + refused.stderr);
  assert.match(refused.stderr, /STORE_NOT_EMPTY/);
  assert.match(refused.stderr, /resources/);
  const forced = await runCliCollect(["store", "copy", "--from", sqlitePath, "--to", url, "--force"], h.env);
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stdout, /^copied .* into postgres:\/\/.*: resources \d+, edges \d+/);
  const target = await openStore(url, { mustExist: true });
  try {
    assert.deepEqual(await contents(target), await contents(h.store));
  } finally {
    await target.close();
  }
});
