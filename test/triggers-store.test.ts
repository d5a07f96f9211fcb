/** The store pieces triggers rely on: subscriptions, dead letters, and purges told apart from soft deletes. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { storeAdapters, storeWithRun, user } from "../src/store/test-support.ts";

for (const adapter of storeAdapters(import.meta.url)) {
  describe(`store: subscriptions and dead letters (${adapter.name})`, () => {
    it("puts, replaces, lists and removes subscriptions with their dead letters", async () => {
      const { store } = await storeWithRun(adapter);
      const created = await store.subscriptions.put("hooks", { types: ["user.created"] });
      assert.deepEqual(created.data, { types: ["user.created"] });
      const replaced = await store.subscriptions.put("hooks", { types: ["group.created"] });
      assert.equal(replaced.createdAt, created.createdAt);
      assert.deepEqual((await store.subscriptions.get("hooks"))?.data, { types: ["group.created"] });
      const letter = (eventId: string, seq: number, error: string) =>
        store.subscriptions.deadLetter({
          subscription: "hooks",
          seq,
          eventId,
          event: { id: eventId },
          error,
        });
      await letter("e2", 9, "HTTP 500");
      await letter("e1", 3, "timeout");
      // The same event dead-lettered again replaces its entry.
      await letter("e1", 3, "HTTP 503");
      const letters = await store.subscriptions.deadLetters("hooks");
      assert.deepEqual(
        letters.map((l) => [l.eventId, l.error]),
        [
          ["e1", "HTTP 503"],
          ["e2", "HTTP 500"],
        ],
      );
      await store.subscriptions.clearDeadLetter("hooks", "e1");
      assert.equal((await store.subscriptions.deadLetters("hooks")).length, 1);
      assert.equal(await store.subscriptions.remove("hooks"), true);
      assert.equal(await store.subscriptions.remove("hooks"), false);
      assert.deepEqual(await store.subscriptions.list(), []);
      assert.deepEqual(await store.subscriptions.deadLetters("hooks"), []);
      await store.close();
    });
  });
}

for (const adapter of storeAdapters(import.meta.url)) {
  describe(`store: delivery attempts (${adapter.name})`, () => {
    it("keeps each subscription's latest 100 attempts, newest first, and drops them with it", async () => {
      const { store } = await storeWithRun(adapter);
      const attempt = (subscription: string, n: number) =>
        store.subscriptions.recordAttempt({
          subscription,
          seq: n,
          eventId: `e${n}`,
          eventType: "user.updated",
          status: n % 2 === 0 ? "delivered" : "retrying",
          ...(n % 2 === 0 ? { httpStatus: 200 } : { error: "HTTP 503", httpStatus: 503 }),
          attempt: 1,
        });
      for (let n = 1; n <= 105; n++) await attempt("busy", n);
      for (let n = 1; n <= 3; n++) await attempt("quiet", n);
      const busy = await store.subscriptions.attempts("busy", 500);
      assert.equal(busy.length, 100);
      assert.deepEqual([busy[0]?.eventId, busy.at(-1)?.eventId], ["e105", "e6"]);
      assert.deepEqual((({ status, httpStatus, error }) => ({ status, httpStatus, error }))(busy[0]!), {
        status: "retrying",
        httpStatus: 503,
        error: "HTTP 503",
      });
      assert.equal((await store.subscriptions.attempts("quiet", 500)).length, 3);
      assert.equal((await store.subscriptions.attempts("busy", 2)).length, 2);
      await store.subscriptions.put("busy", {});
      await store.subscriptions.remove("busy");
      assert.deepEqual(await store.subscriptions.attempts("busy", 500), []);
      await store.close();
    });
  });
}

for (const adapter of storeAdapters(import.meta.url)) {
  describe(`store: deletions (${adapter.name})`, () => {
    it("reports a soft-deleted object purged later as deleted for good, once", async () => {
      const { store, runId } = await storeWithRun(adapter);
      await store.sync.applyPage({ runId, stream: "users", upserts: [user("u1")] });
      await store.sync.applyPage({
        runId,
        stream: "users",
        deletes: [{ kind: "user", id: "u1", soft: true }],
      });
      const purged = await store.sync.applyPage({
        runId,
        stream: "users",
        deletes: [{ kind: "user", id: "u1" }],
      });
      assert.deepEqual(
        purged.events.map((e) => [e.type, e.data["@removed"]]),
        [["deleted", { reason: "deleted" }]],
      );
      const again = await store.sync.applyPage({
        runId,
        stream: "users",
        deletes: [{ kind: "user", id: "u1" }],
      });
      assert.deepEqual(again.events, []);
      await store.close();
    });
  });
}
