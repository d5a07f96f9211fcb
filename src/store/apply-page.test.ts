import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { StoreError } from "./errors.ts";
import { collect, group, member, storeAdapters, storeWithRun, user } from "./test-support.ts";

for (const adapter of storeAdapters(import.meta.url)) {
  describe(`applyPage computes changes from what the store holds (${adapter.name})`, () => {
    it("reports created, then updated with a property diff, then nothing for the same data", async () => {
      const { store, runId } = await storeWithRun(adapter);
      const first = await store.sync.applyPage({
        runId,
        stream: "users",
        upserts: [user("u1", { department: "Sales" })],
      });
      assert.deepEqual(
        first.events.map((e) => [e.type, e.kind, e.resourceId]),
        [["created", "user", "u1"]],
      );
      const second = await store.sync.applyPage({
        runId,
        stream: "users",
        upserts: [user("u1", { department: "Legal" })],
      });
      assert.equal(second.events.length, 1);
      assert.equal(second.events[0]?.type, "updated");
      assert.deepEqual(second.events[0]?.changes, [{ property: "department", old: "Sales", new: "Legal" }]);
      const again = await store.sync.applyPage({
        runId,
        stream: "users",
        upserts: [user("u1", { department: "Legal" })],
      });
      assert.deepEqual(again.events, []);
      assert.equal(again.objects, 1);
      await store.close();
    });

    it("treats a property left out (delta omits nulls) as null, not as a change", async () => {
      const { store, runId } = await storeWithRun(adapter);
      await store.sync.applyPage({
        runId,
        stream: "users",
        upserts: [user("u1", { jobTitle: null, businessPhones: [] })],
      });
      const result = await store.sync.applyPage({ runId, stream: "users", upserts: [user("u1")] });
      assert.deepEqual(result.events, []);
      await store.close();
    });

    it("merges partial objects when asked", async () => {
      const { store, runId } = await storeWithRun(adapter);
      await store.sync.applyPage({ runId, stream: "users", upserts: [user("u1", { department: "Sales" })] });
      const result = await store.sync.applyPage({
        runId,
        stream: "users",
        merge: true,
        upserts: [{ kind: "user", id: "u1", data: { jobTitle: "CFO" } }],
      });
      assert.deepEqual(result.events[0]?.changes, [{ property: "jobTitle", old: null, new: "CFO" }]);
      const [u] = await collect(store.query.resources({ kind: "user" }));
      assert.equal(u?.data.department, "Sales");
      await store.close();
    });

    it("stores every object with its id, even when the page left it out", async () => {
      const { store, runId } = await storeWithRun(adapter);
      await store.sync.applyPage({
        runId,
        stream: "users",
        upserts: [{ kind: "user", id: "u7", data: { displayName: "Seven" } }],
      });
      assert.deepEqual(await collect(store.query.export("users")), [{ id: "u7", displayName: "Seven" }]);
      assert.equal((await store.query.resolve("Seven"))?.id, "u7");
      await store.sync.applyPage({ runId, stream: "users", upserts: [user("u8", { displayName: "Seven" })] });
      await assert.rejects(
        store.query.resolve("seven", "user"),
        /2 objects of kind user are named seven: Seven \(id u7\); Seven <u8@contoso\.com> \(id u8\)/,
      );
      await store.close();
    });

    it("re-applying the same page emits nothing new (idempotent)", async () => {
      const { store, runId } = await storeWithRun(adapter);
      const page = {
        runId,
        stream: "groups",
        upserts: [group("g1"), user("u1")],
        edges: { add: [member("g1", "u1")], remove: [member("g1", "u9")] },
        checkpoint: { version: 1, data: { nextLink: "https://graph/next" } },
      };
      const first = await store.sync.applyPage(page);
      assert.deepEqual(
        first.events.map((e) => e.type),
        ["created", "created", "added"],
      );
      const second = await store.sync.applyPage(page);
      assert.deepEqual(second.events, []);
      const events = await store.outbox.read({});
      assert.equal(events.length, 3);
      await store.close();
    });

    it("reports membership added and removed on the group", async () => {
      const { store, runId } = await storeWithRun(adapter);
      await store.sync.applyPage({
        runId,
        stream: "groups",
        upserts: [group("g1")],
        edges: { add: [member("g1", "u1")] },
      });
      const result = await store.sync.applyPage({
        runId,
        stream: "groups",
        edges: { remove: [member("g1", "u1")] },
      });
      assert.equal(result.events.length, 1);
      const [removed] = result.events;
      assert.equal(removed?.type, "removed");
      assert.equal(removed?.kind, "group");
      assert.equal(removed?.resourceId, "g1");
      assert.deepEqual(removed?.data, {
        relation: "group:member",
        entitlement: "group:member",
        principalId: "u1",
        principalType: "user",
        qualifier: "",
      });
      await store.close();
    });

    it("a principal's type learnt later replaces a generic one, silently; a generic one never overwrites", async () => {
      const { store, runId } = await storeWithRun(adapter);
      const page = (type: string) => ({ runId, stream: "roles", edges: { add: [member("g1", "p1", type)] } });
      await store.sync.applyPage({ ...page("directoryObject"), upserts: [group("g1")] });
      assert.equal((await store.sync.applyPage(page("group"))).events.length, 0);
      assert.equal((await store.sync.applyPage(page("directoryObject"))).events.length, 0);
      const { events } = await store.sync.applyPage({
        runId,
        stream: "roles",
        edges: { remove: [member("g1", "p1")] },
      });
      assert.equal(events[0]?.data["principalType"], "group");
      await store.close();
    });

    it("deleting an object removes its relationships, each with an event", async () => {
      const { store, runId } = await storeWithRun(adapter);
      await store.sync.applyPage({
        runId,
        stream: "x",
        upserts: [group("g1"), group("g2"), user("u1")],
        edges: {
          add: [
            member("g1", "u1"),
            member("g2", "g1", "group"),
            { relation: "license:assigned", objectId: "sku1", principalId: "u1", principalType: "user" },
          ],
        },
      });
      const result = await store.sync.applyPage({
        runId,
        stream: "groups",
        deletes: [{ kind: "group", id: "g1" }],
      });
      assert.deepEqual(
        result.events.map((e) => [e.type, e.resourceId, e.data.principalId]).sort(),
        [
          ["deleted", "g1", undefined],
          ["removed", "g1", "u1"],
          ["removed", "g2", "g1"],
        ].sort(),
      );
      assert.deepEqual(result.events[0]?.data["@removed"], { reason: "deleted" });
      assert.equal((await collect(store.query.export("memberships"))).length, 0);
      assert.equal((await collect(store.query.export("license-assignments"))).length, 1);
      await store.close();
    });

    it("soft-deletes, hides, and restores as created", async () => {
      const { store, runId } = await storeWithRun(adapter);
      await store.sync.applyPage({ runId, stream: "users", upserts: [user("u1")] });
      const deleted = await store.sync.applyPage({
        runId,
        stream: "users",
        deletes: [{ kind: "user", id: "u1", soft: true }],
      });
      assert.deepEqual(deleted.events[0]?.data["@removed"], { reason: "changed" });
      assert.equal((await collect(store.query.export("users"))).length, 0);
      assert.equal((await collect(store.query.resources({ kind: "user", includeDeleted: true }))).length, 1);
      const again = await store.sync.applyPage({
        runId,
        stream: "users",
        deletes: [{ kind: "user", id: "u1", soft: true }],
      });
      assert.deepEqual(again.events, []);
      const restored = await store.sync.applyPage({ runId, stream: "users", upserts: [user("u1")] });
      assert.deepEqual(
        restored.events.map((e) => e.type),
        ["created"],
      );
      await store.close();
    });

    it("keeps an object first seen in deleted items as a tombstone with its data, without an event", async () => {
      const { store, runId } = await storeWithRun(adapter);
      const gone = user("u1", { department: "Sales" });
      const first = await store.sync.applyPage({
        runId,
        stream: "users",
        deletes: [{ kind: "user", id: "u1", soft: true, data: gone.data }],
      });
      assert.deepEqual(first.events, [], "nobody knew it: its deletion is no news");
      assert.deepEqual(await collect(store.query.export("users")), [], "a tombstone is not a live user");
      assert.equal(await store.query.resolve("u1"), undefined);
      const kept = await collect(store.query.resources({ kind: "user", includeDeleted: true }));
      assert.deepEqual(kept, [gone]);
      // Deleted items say more now (updated just before its deletion): the tombstone follows, silently.
      const later = user("u1", { department: "Legal" });
      const again = await store.sync.applyPage({
        runId,
        stream: "users",
        deletes: [{ kind: "user", id: "u1", soft: true, data: later.data }],
      });
      assert.deepEqual(again.events, []);
      assert.deepEqual(await collect(store.query.resources({ kind: "user", includeDeleted: true })), [later]);
      const restored = await store.sync.applyPage({ runId, stream: "users", upserts: [later] });
      assert.deepEqual(
        restored.events.map((e) => e.type),
        ["created"],
      );
      await store.close();
    });

    it("a live object soft-deleted with deleted items' data keeps that data and reports it", async () => {
      const { store, runId } = await storeWithRun(adapter);
      await store.sync.applyPage({ runId, stream: "users", upserts: [user("u1", { department: "Sales" })] });
      const gone = user("u1", { department: "Legal" });
      const deleted = await store.sync.applyPage({
        runId,
        stream: "users",
        deletes: [{ kind: "user", id: "u1", soft: true, data: gone.data }],
      });
      assert.deepEqual(
        deleted.events.map((e) => [e.type, e.data["department"], e.data["@removed"]]),
        [["deleted", "Legal", { reason: "changed" }]],
      );
      assert.deepEqual(await collect(store.query.resources({ kind: "user", includeDeleted: true })), [gone]);
      await store.close();
    });

    it("refuses data on a hard delete, where nothing would keep it", async () => {
      const { store, runId } = await storeWithRun(adapter);
      await assert.rejects(
        store.sync.applyPage({
          runId,
          stream: "users",
          deletes: [{ kind: "user", id: "u1", data: user("u1").data }],
        }),
        /deletes\[0\]\.data/,
      );
      await store.close();
    });
  });
}

for (const adapter of storeAdapters(import.meta.url)) {
  describe(`one transaction per page (${adapter.name})`, () => {
    it("a failure mid-page leaves nothing: no objects, events, checkpoint or stats", async () => {
      const { store, runId } = await storeWithRun(adapter);
      await store.sync.applyPage({ runId, stream: "users", checkpoint: { version: 1, data: { page: 1 } } });
      const circular: Record<string, unknown> = { id: "u2" };
      circular.self = circular;
      await assert.rejects(
        store.sync.applyPage({
          runId,
          stream: "users",
          upserts: [user("u1"), { kind: "user", id: "u2", data: circular }],
          edges: { add: [member("g1", "u1")] },
          checkpoint: { version: 1, data: { page: 2 } },
          stats: { requests: 5 },
        }),
        TypeError,
      );
      assert.equal((await collect(store.query.export("users"))).length, 0);
      assert.deepEqual(await store.outbox.read({}), []);
      assert.deepEqual((await store.sync.checkpoint("users"))?.data, { page: 1 });
      assert.equal((await store.runs.get(runId))?.stats.users?.requests, 0);
      // The store is still usable after the rollback.
      const next = await store.sync.applyPage({ runId, stream: "users", upserts: [user("u1")] });
      assert.equal(next.events.length, 1);
      await store.close();
    });

    it("saves the checkpoint with the page, versioned, counting revisions", async () => {
      const { store, runId } = await storeWithRun(adapter);
      await store.sync.applyPage({
        runId,
        stream: "users",
        checkpoint: { version: 2, data: { nextLink: "a" } },
      });
      await store.sync.applyPage({
        runId,
        stream: "users",
        checkpoint: { version: 2, data: { deltaLink: "b" } },
      });
      const saved = await store.sync.checkpoint("users");
      assert.equal(saved?.version, 2);
      assert.equal(saved?.revision, 2);
      assert.deepEqual(saved?.data, { deltaLink: "b" });
      assert.deepEqual(
        (await store.sync.checkpoints()).map((c) => c.stream),
        ["users"],
      );
      await store.close();
    });

    it("rejects bad input before writing, naming the field", async () => {
      const { store, runId } = await storeWithRun(adapter);
      await assert.rejects(
        store.sync.applyPage({
          runId,
          stream: "users",
          upserts: [user("u1"), { kind: "person" as "user", id: "x", data: {} }],
        }),
        (error: unknown) =>
          error instanceof StoreError &&
          error.code === "STORE_INPUT_INVALID" &&
          /upserts\[1\]\.kind/.test(error.message),
      );
      await assert.rejects(
        store.sync.applyPage({
          runId,
          stream: "g",
          edges: { add: [{ relation: "group:member", objectId: "g", principalId: "u" }] },
        }),
        /edges\.add\[0\]\.principalType/,
      );
      await assert.rejects(
        store.sync.applyPage({ runId: "nope", stream: "users" }),
        (e: unknown) => e instanceof StoreError && e.code === "STORE_RUN_NOT_FOUND",
      );
      assert.equal((await collect(store.query.export("users"))).length, 0);
      await store.close();
    });
  });
}

for (const adapter of storeAdapters(import.meta.url)) {
  describe(`full resync reconciliation (mark and sweep) (${adapter.name})`, () => {
    it("deletes objects and relationships the round did not see, with events", async () => {
      const { store, runId } = await storeWithRun(adapter);
      await store.sync.applyPage({
        runId,
        stream: "seed",
        upserts: [user("u1"), user("u2"), user("u3"), group("g1")],
        edges: { add: [member("g1", "u1"), member("g1", "u2")] },
      });
      const round = await store.sync.newRound();
      await store.sync.applyPage({ runId, stream: "users", round, upserts: [user("u1")] });
      await store.sync.applyPage({
        runId,
        stream: "users",
        round,
        upserts: [user("u3", { department: "Ops" })],
      });
      await store.sync.applyPage({
        runId,
        stream: "groups",
        round,
        upserts: [group("g1")],
        edges: { add: [member("g1", "u1")] },
      });
      // Written outside the round while it runs (an incremental page): must survive the sweep.
      await store.sync.applyPage({ runId, stream: "other", upserts: [user("u4")] });
      const swept = await store.sync.reconcile({
        runId,
        stream: "users",
        round,
        kinds: ["user"],
        relations: ["group:member"],
        checkpoint: { version: 1, data: { done: true } },
      });
      assert.deepEqual(
        swept.events.map((e) => [e.type, e.resourceId]),
        [
          ["deleted", "u2"],
          ["removed", "g1"],
        ],
      );
      assert.deepEqual(
        (await collect(store.query.export("users"))).map((u) => u.id),
        ["u1", "u3", "u4"],
      );
      assert.deepEqual((await store.sync.checkpoint("users"))?.data, { done: true });
      const rounds = [round, await store.sync.newRound()];
      assert.ok((rounds[1] ?? 0) > round);
      await store.close();
    });

    it("sweeps more than one chunk, keeping what the round saw", async () => {
      const { store, runId } = await storeWithRun(adapter);
      const ids = Array.from({ length: 2500 }, (_, i) => `u${String(i).padStart(5, "0")}`);
      await store.sync.applyPage({
        runId,
        stream: "seed",
        upserts: ids.map((id) => user(id)),
        edges: { add: ids.map((id) => member("g1", id)) },
      });
      const round = await store.sync.newRound();
      const kept = ids.filter((_, i) => i % 1000 === 999);
      await store.sync.applyPage({
        runId,
        stream: "all",
        round,
        upserts: kept.map((id) => user(id)),
        edges: { add: kept.map((id) => member("g1", id)) },
      });
      // Relationships first, so their sweep (not the users' cascade) has to cover all three chunks.
      const edges = await store.sync.reconcile({ runId, stream: "all", round, relations: ["group:member"] });
      assert.equal(edges.events.filter((e) => e.type === "removed").length, 2500 - kept.length);
      const users = await store.sync.reconcile({ runId, stream: "all", round, kinds: ["user"] });
      assert.equal(users.events.filter((e) => e.type === "deleted").length, 2500 - kept.length);
      assert.equal(users.events.length, 2500 - kept.length);
      assert.deepEqual(
        (await collect(store.query.export("users"))).map((u) => u.id),
        kept,
      );
      assert.deepEqual(
        (await collect(store.query.export("memberships"))).map((m) => m.memberId),
        kept,
      );
      await store.close();
    });

    it("limits a relationship sweep to the objects listed", async () => {
      const { store, runId } = await storeWithRun(adapter);
      const assign = (app: string, principal: string) => ({
        relation: "app:assigned" as const,
        objectId: app,
        principalId: principal,
        principalType: "user",
        qualifier: "r1",
      });
      await store.sync.applyPage({
        runId,
        stream: "seed",
        edges: { add: [assign("a1", "u1"), assign("a2", "u1")] },
      });
      const round = await store.sync.newRound();
      const swept = await store.sync.reconcile({
        runId,
        stream: "app:a1",
        round,
        relations: ["app:assigned"],
        objectIds: ["a1"],
      });
      assert.deepEqual(
        swept.events.map((e) => e.resourceId),
        ["a1"],
      );
      assert.deepEqual(
        (await collect(store.query.export("app-assignments"))).map((r) => r.appId),
        ["a2"],
      );
      await store.close();
    });
  });
}
