/**
 * The CLI's `sync` into a PostgreSQL store (`--store postgres://…`), as real processes: one sync at a
 * time when several processes start together on a fresh store, and the same change events as SQLite.
 * (Exactness under faults and kills runs on both stores: sync-faults and sync-kill.)
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { type ChangeEvent, openStore } from "../src/store/index.ts";
import { dropTestSchema, testPostgresUrl, testSchema } from "../src/store/test-support.ts";
import { runCliCollect } from "./support/child-process.ts";
import { comparison, type Harness, startHarness } from "./sync-support.ts";

const schemas: string[] = [];
after(async () => {
  for (const schema of schemas) await dropTestSchema(schema);
});

function freshStore(): string {
  const schema = testSchema(import.meta.url);
  schemas.push(schema);
  return testPostgresUrl(schema);
}

async function assertExact(h: Harness, url: string, label: string) {
  const store = await openStore(url, { mustExist: true });
  try {
    const compared = await comparison(store, (await h.emu.snapshot()) as Record<string, unknown>);
    for (const [kind, { actual, expected }] of Object.entries(compared)) {
      assert.deepEqual(actual, expected, `${label}: ${kind} differ from the emulator's snapshot`);
    }
    return (await store.runs.list()).reverse();
  } finally {
    await store.close();
  }
}

async function headOf(url: string): Promise<number> {
  const store = await openStore(url);
  try {
    return await store.outbox.head();
  } finally {
    await store.close();
  }
}

async function sync(h: Harness, url: string, ...args: string[]) {
  const ended = await runCliCollect(["sync", "--json", "--store", url, ...args], h.env);
  assert.equal(ended.code, 0, ended.stdout + ended.stderr);
  return ended;
}

test("syncs started together on a fresh PostgreSQL store: one writes, the others are refused naming it", async () => {
  const h = await startHarness({ size: "m", seed: 29 });
  try {
    const url = freshStore();
    const ended = await Promise.all(
      Array.from({ length: 3 }, () => runCliCollect(["sync", "--json", "--store", url], h.env)),
    );
    const refused = ended.filter((e) => e.code !== 0);
    assert.ok(refused.length < ended.length, `every sync failed: ${refused[0]?.stderr}`);
    for (const e of refused) {
      const line = e.stderr.split("\n").find((l) => l.startsWith('{"error"')) ?? "";
      const error = (JSON.parse(line) as { error: { code: string; message: string } }).error;
      assert.equal(error.code, "STORE_SYNC_RUNNING", e.stderr);
      assert.match(error.message, /run 1 by process \d+ on host /);
    }
    const runs = await assertExact(h, url, "after the syncs started together");
    assert.equal(runs.length, 1);
    assert.equal(runs[0]?.status, "succeeded");
  } finally {
    await h.close();
  }
});

test("the same syncs into SQLite and PostgreSQL report the same change events", async () => {
  const h = await startHarness({ size: "m", seed: 37 });
  const url = freshStore();
  const summary = (events: ChangeEvent[]) =>
    events
      .map((e) =>
        JSON.stringify([e.type, e.kind, e.resourceId, e.data["principalId"] ?? null, e.changes ?? null]),
      )
      .sort();
  try {
    for (let round = 0; round < 3; round++) {
      if (round > 0) await h.emu.mutate({ count: 40, seed: 3700 + round });
      const sqliteHead = await h.store.outbox.head();
      const pgHead = await headOf(url);
      await h.sync();
      await sync(h, url);
      const after = await openStore(url, { mustExist: true });
      try {
        const sqliteEvents = await h.store.outbox.read({ afterSeq: sqliteHead, limit: 1_000_000 });
        const pgEvents = await after.outbox.read({ afterSeq: pgHead, limit: 1_000_000 });
        assert.ok(sqliteEvents.length > 0, `round ${round}: the sync found changes`);
        assert.deepEqual(summary(pgEvents), summary(sqliteEvents), `round ${round}`);
      } finally {
        await after.close();
      }
    }
  } finally {
    await h.close();
  }
});
