import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { storeAdapters, storeWithRun, user } from "./test-support.ts";

for (const adapter of storeAdapters(import.meta.url)) {
  describe(`mapping state in the store (${adapter.name})`, () => {
    it("writes log rows, links, retries and the cursor of a commit together", async () => {
      const { store } = await storeWithRun(adapter);
      const run = await store.mappings.startRun({ mapping: "assets", kind: "full" });
      assert.equal(await store.mappings.cursor("assets"), 0);
      await store.mappings.commit({
        mapping: "assets",
        runId: run.id,
        entries: [
          { userId: "u1", action: "create", result: "ok", reason: "inScope", targetId: "t1" },
          {
            userId: "u2",
            action: "update",
            result: "failed",
            reason: "changed",
            targetId: "t2",
            changes: [{ path: "displayName", old: "A", new: "B" }],
            detail: "PATCH failed with 400",
          },
        ],
        links: [{ userId: "u1", targetId: "t1", attributes: { userName: "u1@x" } }],
        retries: [{ userId: "u2", attempts: 1, nextAttemptAt: 1000, error: "PATCH failed with 400" }],
        cursor: 42,
      });
      assert.equal(await store.mappings.cursor("assets"), 42);
      assert.deepEqual(await store.mappings.links("assets", ["u1", "u9"]), [
        { userId: "u1", targetId: "t1", attributes: { userName: "u1@x" } },
      ]);
      assert.deepEqual(
        (await store.mappings.retries("assets", 999)).map((r) => r.userId),
        [],
      );
      assert.deepEqual(
        (await store.mappings.retries("assets", 1000)).map((r) => r.userId),
        ["u2"],
      );
      const failed = await store.mappings.log("assets", { result: "failed" });
      assert.equal(failed.length, 1);
      assert.deepEqual(failed[0]?.changes, [{ path: "displayName", old: "A", new: "B" }]);
      const finished = await store.mappings.finishRun(run.id, { status: "succeeded" });
      assert.deepEqual(finished.counts, { "create.ok": 1, "update.failed": 1 });
      assert.equal((await store.mappings.run(String(finished.number)))?.id, run.id);

      // A commit that fails part-way leaves nothing of itself behind, the cursor included.
      await assert.rejects(
        store.mappings.commit({
          mapping: "assets",
          runId: run.id,
          entries: [{ userId: "u3", action: "create", result: "ok", reason: "inScope" }],
          links: [{ userId: "u3", targetId: null as unknown as string }, { userId: "u4" } as never],
          cursor: 50,
        }),
      );
      assert.equal(await store.mappings.cursor("assets"), 42);
      assert.equal((await store.mappings.log("assets", { userId: "u3" })).length, 0);

      // The cursor never moves back; a link is dropped with a null target and a retry cleared with 0 attempts.
      await store.mappings.commit({
        mapping: "assets",
        runId: run.id,
        entries: [],
        links: [{ userId: "u1", targetId: null }],
        retries: [{ userId: "u2", attempts: 0, nextAttemptAt: 0, error: "" }],
        cursor: 10,
      });
      assert.equal(await store.mappings.cursor("assets"), 42);
      assert.equal(await store.mappings.linkCount("assets"), 0);
      assert.equal((await store.mappings.retries("assets")).length, 0);
      await store.close();
    });

    it("keeps a quarantine per mapping and reads users with soft deletion", async () => {
      const { store, runId } = await storeWithRun(adapter);
      await store.sync.applyPage({ runId, stream: "users", upserts: [user("a"), user("b")] });
      await store.sync.applyPage({
        runId,
        stream: "users",
        deletes: [{ kind: "user", id: "b", soft: true }],
      });
      const users = await store.mappings.users(["a", "b", "gone"]);
      assert.deepEqual(users.map((u) => [u.id, u.deleted]).sort(), [
        ["a", undefined],
        ["b", "soft"],
      ]);
      const q = { reason: "TARGET_AUTH_FAILED", since: "2026-01-01T00:00:00Z", until: 5, count: 1 };
      await store.mappings.setQuarantine("assets", q);
      assert.deepEqual(await store.mappings.quarantine("assets"), q);
      assert.equal(await store.mappings.quarantine("other"), undefined);
      await store.mappings.setQuarantine("assets", undefined);
      assert.equal(await store.mappings.quarantine("assets"), undefined);
      await store.close();
    });

    it("pages the log after a seq, in order, with the other filters", async () => {
      const { store } = await storeWithRun(adapter);
      const run = await store.mappings.startRun({ mapping: "assets", kind: "full" });
      await store.mappings.commit({
        mapping: "assets",
        runId: run.id,
        entries: ["u1", "u2", "u3", "u4"].map((userId, i) => ({
          userId,
          action: "create" as const,
          result: i % 2 === 0 ? ("ok" as const) : ("failed" as const),
          reason: "inScope",
        })),
      });
      const first = await store.mappings.log("assets", { limit: 2 });
      assert.deepEqual(
        first.map((e) => e.userId),
        ["u1", "u2"],
      );
      const rest = await store.mappings.log("assets", { limit: 2, afterSeq: first.at(-1)!.seq });
      assert.deepEqual(
        rest.map((e) => e.userId),
        ["u3", "u4"],
      );
      assert.ok(rest[0]!.seq > first[1]!.seq);
      const okAfter = await store.mappings.log("assets", { result: "ok", afterSeq: first[0]!.seq });
      assert.deepEqual(
        okAfter.map((e) => e.userId),
        ["u3"],
      );
      await store.close();
    });

    it("keeps definitions by name: replacing keeps createdAt, removing leaves the run history", async () => {
      const { store } = await storeWithRun(adapter);
      assert.deepEqual(await store.mappings.definitions(), []);
      const created = await store.mappings.putDefinition("b-assets", { document: { name: "b-assets" } });
      await store.mappings.putDefinition("a-hr", { document: { name: "a-hr" } });
      assert.deepEqual(
        (await store.mappings.definitions()).map((d) => d.name),
        ["a-hr", "b-assets"],
      );
      const run = await store.mappings.startRun({ mapping: "b-assets", kind: "full" });
      const replaced = await store.mappings.putDefinition("b-assets", {
        document: { name: "b-assets", v: 2 },
      });
      assert.equal(replaced.createdAt, created.createdAt);
      assert.deepEqual(replaced.data, { document: { name: "b-assets", v: 2 } });
      assert.equal(await store.mappings.removeDefinition("b-assets"), true);
      assert.equal(await store.mappings.removeDefinition("b-assets"), false);
      assert.equal(await store.mappings.definition("b-assets"), undefined);
      assert.equal((await store.mappings.run(run.id))?.mapping, "b-assets");
      await store.close();
    });
  });
}
