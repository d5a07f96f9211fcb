/**
 * Baselines per scope: what a first load finds fires nothing (unless `emitInitial`), whenever that
 * load happens — also for streams and relations synced for the first time long after the others —
 * while changes to what was already synced keep firing; and a store written before baselines were
 * kept per scope still delivers what its subscriptions had not taken yet.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { addUserToGroup, parseKinds, updateUser } from "../src/index.ts";
import { storeWithRun } from "../src/store/test-support.ts";
import { planStreams } from "../src/sync/engine.ts";
import { loadedScopes } from "../src/triggers/baselines.ts";
import { consumerName } from "../src/triggers/subscriptions.ts";
import { startHarness } from "./sync-support.ts";
import { cloudUser, collector, watchRound, withActions, writableGroup } from "./triggers-support.ts";

type Obj = Record<string, unknown>;
type Snapshot = { users: Obj[]; groups: Obj[] };

test("watch --kinds users, then every kind: the new streams' first loads fire nothing, a user change does", async () => {
  const h = await startHarness({ size: "s", seed: 41 });
  try {
    const all = await collector(h, "all");
    const initial = await collector(h, "initial", {
      emitInitial: true,
      types: ["group.created", "user.license.assigned"],
    });
    const [first = [], firstInitial = []] = await watchRound(h, [all, initial], undefined, {
      kinds: parseKinds("users"),
    });
    assert.deepEqual(first, [], "the users baseline fired nothing");
    assert.deepEqual(firstInitial, [], "no groups or licences synced yet");

    const snap = (await h.emu.snapshot()) as Snapshot;
    const someone = cloudUser(snap.users);
    await withActions(h, (deps) =>
      updateUser(deps, { user: String(someone["id"]), department: "Baselines" }),
    );
    // Groups, apps, roles and SKUs load for the first time; users load again, now with licences.
    const [second = [], secondInitial = []] = await watchRound(h, [all, initial]);
    assert.deepEqual(
      second.map((e) => `${e.type} ${e.resource.id}`),
      [`user.updated ${someone["id"]}`],
      "only the change to what was already synced",
    );
    const count = (type: string) => secondInitial.filter((e) => e.type === type).length;
    assert.equal(count("group.created"), snap.groups.length, "emitInitial: every group the load found");
    const licences = snap.users.flatMap((u) => (u["assignedLicenses"] as Obj[] | undefined) ?? []);
    assert.ok(licences.length > 0);
    assert.equal(count("user.license.assigned"), licences.length, "and every licence");

    // From now on the new scopes fire like the others.
    const group = writableGroup(
      snap.groups,
      (g) => !((g["members"] as string[]) ?? []).includes(String(someone["id"])),
    );
    await withActions(h, (deps) =>
      addUserToGroup(deps, { user: String(someone["id"]), group: String(group["id"]) }),
    );
    const [third = []] = await watchRound(h, [all]);
    assert.deepEqual(
      third.map((e) => `${e.type} ${e.resource.id} ${e.data["principalId"]}`),
      [`group.member.added ${group["id"]} ${someone["id"]}`],
    );
  } finally {
    await h.close();
  }
});

test("a store from before per-scope baselines: what a subscription had not taken yet is still delivered", async () => {
  const h = await startHarness({ size: "s", seed: 42 });
  try {
    await h.sync();
    // As the earlier version left a subscription: positioned after the first successful sync.
    const id = "earlier";
    await h.store.subscriptions.put(id, {
      id,
      types: ["*"],
      filter: {},
      target: { kind: "callback" },
      emitInitial: false,
      initialized: true,
    });
    await h.store.outbox.commit(consumerName(id), await h.store.outbox.head());
    const snap = (await h.emu.snapshot()) as Snapshot;
    const someone = cloudUser(snap.users);
    await withActions(h, (deps) => updateUser(deps, { user: String(someone["id"]), jobTitle: "Pending" }));
    await h.sync(); // synced, not yet delivered: then the new version starts
    const [got = []] = await watchRound(h, [{ id, events: [] }]);
    assert.deepEqual(
      got.map((e) => `${e.type} ${e.resource.id}`),
      [`user.updated ${someone["id"]}`],
    );
  } finally {
    await h.close();
  }
});

test("the scopes a complete load covers follow the streams' fingerprints for every --kinds", async () => {
  const cases: [string, string[]][] = [
    ["users", ["user"]],
    ["users,licenses", ["user", "license:assigned"]],
    ["groups", ["group"]],
    ["memberships", ["group", "group:member"]],
    ["owners", ["group", "group:owner"]],
    ["apps", ["app", "app:assigned"]],
    ["apps,owners", ["app", "app:assigned", "app:owner", "group", "group:owner"]],
  ];
  for (const [kinds, expected] of cases) {
    const { store, runId } = await storeWithRun();
    for (const p of planStreams({ kinds: parseKinds(kinds), full: false, skipAdGroups: false })) {
      if (!("tracked" in p)) continue;
      const data = { phase: "delta", select: p.tracked.select, link: "https://graph.invalid/delta" };
      await store.sync.applyPage({ runId, stream: p.tracked.stream, checkpoint: { version: 1, data } });
    }
    assert.deepEqual([...(await loadedScopes(store))].sort(), expected.sort(), `--kinds ${kinds}`);
    await store.close();
  }
});

test("a load in progress covers nothing; a snapshot stream counts once a finished run read it whole", async () => {
  const { store, runId } = await storeWithRun();
  const loading = { phase: "load", select: "id", round: 1, deltaLink: "https://graph.invalid/d", next: null };
  await store.sync.applyPage({ runId, stream: "users", checkpoint: { version: 1, data: loading } });
  await store.sync.applyPage({ runId, stream: "roles" });
  assert.deepEqual([...(await loadedScopes(store))], [], "nothing while the run may still be going");
  await store.runs.finish(runId, { status: "succeeded" });
  assert.deepEqual([...(await loadedScopes(store))].sort(), ["role", "role:assigned", "role:eligible"]);
  await store.close();
});
