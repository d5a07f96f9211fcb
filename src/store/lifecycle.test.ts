import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { StoreError } from "./errors.ts";
import { openStore } from "./open.ts";
import { MIGRATIONS } from "./sqlite/migrations.ts";
import { SqliteStore } from "./sqlite/store.ts";
import { storeAdapters, storeWithRun, user } from "./test-support.ts";

const dir = mkdtempSync(join(tmpdir(), "entra-store-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("opening a store", () => {
  it("applies new migrations to an existing file and keeps its data", async () => {
    const path = join(dir, "upgrade.db");
    const old = new SqliteStore(path, MIGRATIONS);
    const run = await old.runs.start({ kind: "full", tenantId: "t" });
    await old.sync.applyPage({ runId: run.id, stream: "users", upserts: [user("u1")] });
    await old.close();
    const next = [
      ...MIGRATIONS,
      {
        version: (MIGRATIONS.at(-1)?.version ?? 0) + 1,
        name: "test column",
        sql: "ALTER TABLE resources ADD COLUMN note TEXT",
      },
    ];
    const upgraded = new SqliteStore(path, next);
    const users = [];
    for await (const u of upgraded.query.export("users")) users.push(u.id);
    assert.deepEqual(users, ["u1"]);
    await upgraded.close();
    // Reopening with the same list applies nothing twice; an older connector refuses the newer file.
    await new SqliteStore(path, next).close();
    assert.throws(
      () => new SqliteStore(path, MIGRATIONS),
      (e: unknown) => e instanceof StoreError && e.code === "STORE_SCHEMA_TOO_NEW",
    );
  });

  it("persists in WAL mode across reopen", async () => {
    const path = join(dir, "wal.db");
    const store = await openStore(`sqlite:${path}`);
    const run = await store.runs.start({ kind: "full", tenantId: "t" });
    await store.sync.applyPage({
      runId: run.id,
      stream: "users",
      upserts: [user("u1")],
      checkpoint: { version: 1, data: { a: 1 } },
    });
    await store.close();
    const again = await openStore(path, { mustExist: true });
    assert.deepEqual((await again.sync.checkpoint("users"))?.data, { a: 1 });
    assert.equal((await again.runs.list()).length, 1);
    await again.close();
  });

  it("explains unsupported locations and missing stores", async () => {
    await assert.rejects(
      openStore("mongodb://localhost/test"),
      (e: unknown) => e instanceof StoreError && e.code === "STORE_UNSUPPORTED",
    );
    await assert.rejects(
      openStore("mysql://u:pw@x"),
      (e: unknown) => e instanceof Error && /mysql:/.test(e.message) && !/pw/.test(e.message),
    );
    await assert.rejects(
      openStore(join(dir, "missing.db"), { mustExist: true }),
      (e: unknown) => e instanceof StoreError && e.code === "STORE_NOT_FOUND",
    );
    await assert.rejects(
      openStore(join(dir, "no", "such", "dir.db")),
      (e: unknown) => e instanceof StoreError && e.code === "STORE_LOCATION_INVALID",
    );
  });
});

for (const adapter of storeAdapters(import.meta.url)) {
  describe(`runs, outbox and audit (${adapter.name})`, () => {
    it("records per-stream stats and the diff between runs", async () => {
      const { store, runId } = await storeWithRun(adapter);
      await store.sync.applyPage({
        runId,
        stream: "users",
        upserts: [user("u1"), user("u2")],
        stats: { requests: 1, resourceUnits: 2 },
      });
      await store.runs.record(runId, "users", { throttleWaitMs: 500, errors: 1 });
      const first = await store.runs.finish(runId, { status: "succeeded" });
      assert.deepEqual(first.stats.users, {
        objects: 2,
        changes: 2,
        requests: 1,
        resourceUnits: 2,
        throttleWaitMs: 500,
        errors: 1,
      });
      assert.equal(first.number, 1);
      const second = await store.runs.start({ kind: "incremental", tenantId: "tenant-1" });
      await store.sync.applyPage({
        runId: second.id,
        stream: "users",
        upserts: [user("u2", { department: "X" })],
      });
      await store.runs.finish(second.id, { status: "failed", error: "boom" });
      const diff = await store.query.diff("1", "2");
      assert.deepEqual(
        diff.map((e) => [e.type, e.resourceId, e.tenantId]),
        [["updated", "u2", "tenant-1"]],
      );
      const third = await store.runs.start({ kind: "incremental", tenantId: "tenant-1" });
      await store.sync.applyPage({
        runId: third.id,
        stream: "users",
        upserts: [user("u3")],
        deletes: [{ kind: "user", id: "u1" }],
      });
      await store.runs.finish(third.id, { status: "succeeded" });
      const forward = await store.query.diff("1", "3");
      assert.deepEqual(
        forward.map((e) => [e.type, e.resourceId]),
        [
          ["updated", "u2"],
          ["deleted", "u1"],
          ["created", "u3"],
        ],
      );
      const back = await store.query.diff(third.id, runId);
      assert.deepEqual(
        back.map((e) => [e.type, e.resourceId, e.changes]),
        [
          ["deleted", "u3", undefined],
          ["created", "u1", undefined],
          ["updated", "u2", [{ property: "department", old: "X", new: null }]],
        ],
        "from run 3 back to run 1: run 2 and 3's changes undone, newest first",
      );
      assert.deepEqual(
        back[1]?.data,
        user("u1").data,
        "the re-created user carries its data, not a deletion",
      );
      assert.equal(back[2]?.data["department"], undefined, "an undone update carries the data as it was");
      assert.deepEqual(
        (await store.runs.list()).map((r) => [r.number, r.status]),
        [
          [3, "succeeded"],
          [2, "failed"],
          [1, "succeeded"],
        ],
      );
      await assert.rejects(
        store.query.diff("1", "9"),
        (e: unknown) => e instanceof StoreError && e.code === "STORE_RUN_NOT_FOUND",
      );
      await store.close();
    });

    it("keeps consumer positions that only move forward", async () => {
      const { store, runId } = await storeWithRun(adapter);
      await store.sync.applyPage({ runId, stream: "users", upserts: [user("u1"), user("u2"), user("u3")] });
      assert.equal(await store.outbox.position("webhooks"), 0);
      const page = await store.outbox.read({ afterSeq: 0, limit: 2 });
      assert.deepEqual(
        page.map((e) => e.seq),
        [1, 2],
      );
      await store.outbox.commit("webhooks", 2);
      await store.outbox.commit("webhooks", 1);
      assert.equal(await store.outbox.position("webhooks"), 2);
      assert.deepEqual(
        (await store.outbox.read({ afterSeq: 2 })).map((e) => e.resourceId),
        ["u3"],
      );
      await store.close();
    });

    it("audits actions with secret values masked, and names that only mention one kept", async () => {
      const { store } = await storeWithRun(adapter);
      const saved = await store.audit.record({
        action: "user.create",
        target: "ann@contoso.com",
        input: {
          displayName: "Ann",
          passwordProfile: { password: "P@ss", forceChangePasswordNextSignIn: true },
          nested: [{ clientSecret: "s" }],
        },
        result: "succeeded",
        requestId: "req-1",
      });
      assert.deepEqual(saved.input, {
        displayName: "Ann",
        passwordProfile: { password: "[redacted]", forceChangePasswordNextSignIn: true },
        nested: [{ clientSecret: "[redacted]" }],
      });
      const [entry] = await store.audit.list({ action: "user.create" });
      assert.equal(entry?.requestId, "req-1");
      assert.doesNotMatch(JSON.stringify(entry), /P@ss/);
      await assert.rejects(
        store.audit.record({ action: "", target: "x", input: {}, result: "succeeded" }),
        /action/,
      );
      await store.close();
    });
  });
}
