/**
 * Triggers end to end against the emulator: nothing on the baseline (unless asked), each change made
 * through the emulator's mutate API or the actions fires its event exactly once, soft vs permanent
 * deletion, and a change made while a sync runs is not lost.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { GraphClient } from "../src/graph/types.ts";
import {
  addUserToGroup,
  createConnection,
  createGroup,
  createUser,
  deleteGroup,
  deleteUser,
  disableUser,
  loadConfig,
  recentlyCreated,
  updateUser,
} from "../src/index.ts";
import { type Harness, startHarness } from "./sync-support.ts";
import {
  type Collected,
  collector,
  deletedIds,
  expectedEvent,
  matching,
  watchRound,
} from "./triggers-support.ts";

let h: Harness;
let all: Collected;

/** What the actions need, writing to the emulator through `graph`. */
function actionDeps(graph: GraphClient) {
  return {
    graph,
    writesEnabled: true,
    audit: h.store.audit,
    recent: recentlyCreated(),
    replicationWaitMs: 3000,
  };
}
before(async () => {
  h = await startHarness({ size: "s", seed: 5, permissions: "write" });
  all = await collector(h, "all");
});
after(() => h.close());

describe("triggers over the emulator", () => {
  test("the baseline fires nothing; a subscription with emitInitial gets the initial state", async () => {
    const initial = await collector(h, "initial", { emitInitial: true, types: ["user.created"] });
    const [got, initialGot] = await watchRound(h, [all, initial]);
    assert.deepEqual(got, []);
    const snap = (await h.emu.snapshot()) as { users: { id: string }[] };
    assert.deepEqual(new Set(initialGot?.map((e) => e.resource.id)), new Set(snap.users.map((u) => u.id)));
    assert.equal(initialGot?.length, snap.users.length);
    // An idle round fires nothing either.
    assert.deepEqual((await watchRound(h, [all]))[0], []);
  });

  test("each emulator mutation fires its event exactly once, created vs updated, soft vs permanent", async () => {
    const seenIds = new Set<string>();
    const ops = new Set<string>();
    for (let seed = 1; seed <= 30; seed++) {
      const records = await h.emu.mutate({ count: 1, seed: 100 + seed });
      const [got = []] = await watchRound(h, [all]);
      const deleted = await deletedIds(h);
      for (const r of records) {
        ops.add(r.op);
        const x = expectedEvent(r, deleted);
        assert.equal(
          matching(got, x).length,
          1,
          `${r.op} ${r.id}: ${JSON.stringify(got.map((e) => e.type))}`,
        );
      }
      for (const e of got) {
        assert.ok(!seenIds.has(e.id), `event ${e.id} (${e.type}) delivered twice`);
        seenIds.add(e.id);
      }
    }
    assert.ok(ops.size >= 12, `only ${[...ops].join(",")} were exercised`);
  });

  test("changes made through the actions fire once each", async () => {
    const connection = createConnection(loadConfig({ env: h.env }), { env: h.env, persistTokens: false });
    const deps = actionDeps(connection.graph);
    const expectOne = async (type: string, resourceId: string, check?: (e: never) => void) => {
      const [got = []] = await watchRound(h, [all]);
      const hits = got.filter((e) => e.type === type && e.resource.id === resourceId);
      assert.equal(hits.length, 1, `${type} ${resourceId}: got ${JSON.stringify(got.map((e) => e.type))}`);
      check?.(hits[0] as never);
    };
    try {
      const upn = `trigger.test@${h.emu.tenantDomain}`;
      const { user } = await createUser(deps, {
        displayName: "Trig Ger",
        userPrincipalName: upn,
        password: "Corr3ct-Horse-Battery",
      });
      await expectOne("user.created", user.id);
      await updateUser(deps, { user: user.id, department: "Triggers" });
      await expectOne("user.updated", user.id, (e: { changes: Record<string, { new: unknown }> }) =>
        assert.equal(e.changes["department"]?.new, "Triggers"),
      );
      await disableUser(deps, { user: user.id });
      await expectOne("user.disabled", user.id);
      const { group } = await createGroup(deps, { displayName: "Trigger Watchers" });
      await expectOne("group.created", group.id);
      await addUserToGroup(deps, { user: user.id, group: group.id });
      await expectOne("group.member.added", group.id);
      await deleteUser(deps, { user: user.id });
      await expectOne("user.deleted", user.id, (e: { deletion: string }) => assert.equal(e.deletion, "soft"));
      await deleteGroup(deps, { group: group.id });
      await expectOne("group.deleted", group.id, (e: { deletion: string }) =>
        assert.equal(e.deletion, "permanent"),
      );
    } finally {
      await connection.close();
    }
  });

  test("a user soft-deleted, then purged from deleted items: user.deleted soft, then permanent", async () => {
    const connection = createConnection(loadConfig({ env: h.env }), { env: h.env, persistTokens: false });
    const deps = actionDeps(connection.graph);
    const deletions = async (id: string) => {
      const [got = []] = await watchRound(h, [all]);
      return got.filter((e) => e.resource.id === id).map((e) => `${e.type}:${e.deletion}`);
    };
    try {
      const { user } = await createUser(deps, {
        displayName: "Purge Me",
        userPrincipalName: `purge.me@${h.emu.tenantDomain}`,
        password: "Corr3ct-Horse-Battery",
      });
      await watchRound(h, [all]);
      await deleteUser(deps, { user: user.id });
      assert.deepEqual(await deletions(user.id), ["user.deleted:soft"], "the soft delete");
      assert.ok((await deletedIds(h)).has(user.id), "restorable: in deleted items");
      // Permanent deletion, as an admin (or the 30-day expiry) does it: DELETE /directory/deletedItems/{id}.
      await connection.graph.request(`/directory/deletedItems/${user.id}`, { method: "DELETE" });
      assert.equal((await deletedIds(h)).has(user.id), false, "gone from deleted items");
      assert.deepEqual(await deletions(user.id), ["user.deleted:permanent"], "the purge");
      assert.deepEqual(await deletions(user.id), [], "and nothing more");
    } finally {
      await connection.close();
    }
  });

  test("a change made while a sync is running is delivered, once", async () => {
    let records: Awaited<ReturnType<typeof h.emu.mutate>> | undefined;
    let mutating: Promise<unknown> | undefined;
    const [first = []] = await watchRound(h, [all], () => {
      mutating ??= Promise.resolve(h.emu.mutate({ count: 3, seed: 4242 })).then((r) => {
        records = r;
      });
    });
    await mutating;
    assert.ok(records && records.length > 0, "the mutation ran during the sync");
    const [second = []] = await watchRound(h, [all]);
    const got = [...first, ...second];
    const deleted = await deletedIds(h);
    for (const r of records) {
      assert.equal(matching(got, expectedEvent(r, deleted)).length, 1, `${r.op} ${r.id} during a sync`);
    }
  });
});
