/**
 * Triggers end to end against the emulator: nothing on the baseline (unless asked); each change fires
 * its event exactly once — random ones through the emulator's mutate API, and every kind in the
 * expectations table made one by one through the actions (grant/revoke for roles and apps) and Graph;
 * soft vs permanent deletion; and a change made while a sync runs is not lost.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { MutationRecord } from "@entra-connector/graph-emulator";
import {
  addGroupOwner,
  addRemoveUserLicense,
  addUserToGroup,
  createGroup,
  createUser,
  deleteGroup,
  deleteUser,
  disableUser,
  enableUser,
  grant,
  removeGroupOwner,
  removeUserFromGroup,
  restoreUser,
  revoke,
  type TriggerEvent,
  updateGroup,
  updateUser,
} from "../src/index.ts";
import { type Harness, startHarness } from "./sync-support.ts";
import {
  type ChangeKind,
  type Collected,
  collector,
  deletedIds,
  EXPECTED,
  expectedEvent,
  matching,
  watchRound,
  withActions,
} from "./triggers-support.ts";

let h: Harness;
let all: Collected;

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
      noneTwice(got, seenIds);
    }
    assert.ok(ops.size >= 12, `only ${[...ops].join(",")} were exercised`);
  });

  test("every kind of change in the table, made through the actions and Graph, fires its event exactly once", async () => {
    type Snap = { roleDefinitions: Obj[]; subscribedSkus: Obj[]; servicePrincipals: Obj[] };
    type Obj = Record<string, unknown>;
    const snap = (await h.emu.snapshot()) as Snap;
    const checked = new Set<string>();
    const delivered = new Set<string>();
    /** One watch round after `records` were made: each one's event arrives exactly once. */
    const expect = async (...records: MutationRecord[]) => {
      const [got = []] = await watchRound(h, [all]);
      const deleted = await deletedIds(h);
      const hits = records.map((r) => {
        const found = matching(got, expectedEvent(r, deleted));
        assert.equal(found.length, 1, `${r.op} ${r.id}: ${JSON.stringify(got.map((e) => e.type))}`);
        checked.add(r.op);
        return found[0];
      });
      noneTwice(got, delivered);
      return hits;
    };
    const record = (op: ChangeKind, kind: MutationRecord["kind"], id: string, ref?: string) =>
      ({ op, kind, id, ...(ref ? { ref } : {}) }) satisfies MutationRecord;
    await watchRound(h, [all]); // the baseline, when this test runs alone
    await withActions(h, async (deps) => {
      const purge = (id: string) => deps.graph.request(`/directory/deletedItems/${id}`, { method: "DELETE" });
      const { user } = await createUser(deps, {
        displayName: "Every Kind",
        userPrincipalName: `every.kind@${h.emu.tenantDomain}`,
        password: "Corr3ct-Horse-Battery",
        usageLocation: "US",
      });
      const u = user.id as string;
      await expect(record("createUser", "user", u));
      await updateUser(deps, { user: u, department: "Every Kind" });
      const [updated] = await expect(record("updateUser", "user", u));
      assert.deepEqual(updated?.changes?.["department"]?.new, "Every Kind", "changes: old → new");
      await disableUser(deps, { user: u });
      await expect(record("disableUser", "user", u));
      await enableUser(deps, { user: u });
      await expect(record("enableUser", "user", u));

      const { group } = await createGroup(deps, { displayName: "Every Kind Access" });
      const g = group.id as string;
      await expect(record("createGroup", "group", g));
      await updateGroup(deps, { group: g, description: "Every kind of change" });
      await expect(record("updateGroup", "group", g));
      await addUserToGroup(deps, { group: g, user: u });
      await expect(record("addMember", "group", g, u));
      await removeUserFromGroup(deps, { group: g, user: u });
      await expect(record("removeMember", "group", g, u));
      await addGroupOwner(deps, { group: g, owner: u });
      await expect(record("addOwner", "group", g, u));
      await removeGroupOwner(deps, { group: g, owner: u });
      await expect(record("removeOwner", "group", g, u));

      const sku = snap.subscribedSkus.find(
        (k) => (k["consumedUnits"] as number) < (k["prepaidUnits"] as { enabled: number }).enabled,
      );
      assert.ok(sku, "a SKU with a free seat");
      const skuId = String(sku["skuId"]);
      await addRemoveUserLicense(deps, { user: u, addLicenses: [skuId] });
      await expect(record("assignLicense", "user", u, skuId));
      await addRemoveUserLicense(deps, { user: u, removeLicenses: [skuId] });
      await expect(record("removeLicense", "user", u, skuId));

      const role = String(snap.roleDefinitions[0]?.["id"]);
      await grant(deps, { entitlement: `role:${role}:assigned`, principal: u });
      await expect(record("addRoleAssignment", "roleAssignment", u, role));
      await revoke(deps, { entitlement: `role:${role}:assigned`, principal: u });
      await expect(record("removeRoleAssignment", "roleAssignment", u, role));
      await grant(deps, { entitlement: `role:${role}:eligible`, principal: u });
      await expect(record("addRoleEligibility", "roleEligibilitySchedule", u, role));
      await revoke(deps, { entitlement: `role:${role}:eligible`, principal: u });
      await expect(record("removeRoleEligibility", "roleEligibilitySchedule", u, role));

      const app = snap.servicePrincipals.find((s) => s["servicePrincipalType"] === "Application");
      assert.ok(app, "an enterprise app");
      const a = String(app["id"]);
      await grant(deps, { entitlement: `app:${a}:assigned`, principal: u });
      await expect(record("addAppRoleAssignment", "servicePrincipal", a, u));
      await revoke(deps, { entitlement: `app:${a}:assigned`, principal: u });
      await expect(record("removeAppRoleAssignment", "servicePrincipal", a, u));

      // A security group is deleted for good; a Microsoft 365 group goes to deleted items first.
      await deleteGroup(deps, { group: g });
      await expect(record("deleteGroup", "group", g));
      const { group: m365 } = await createGroup(deps, {
        displayName: "Every Kind Project",
        mailNickname: "everykindproject",
        groupTypes: ["Unified"],
        owners: [u],
      });
      const m = m365.id as string;
      await expect(record("createGroup", "group", m));
      await deleteGroup(deps, { group: m });
      await expect(record("deleteGroup", "group", m));
      await purge(m);
      await expect(record("purgeGroup", "group", m));

      await deleteUser(deps, { user: u });
      await expect(record("deleteUser", "user", u));
      await restoreUser(deps, { user: u });
      await expect(record("restoreUser", "user", u));
      await deleteUser(deps, { user: u });
      await expect(record("deleteUser", "user", u));
      await purge(u);
      await expect(record("purgeUser", "user", u));
    });
    assert.deepEqual([...checked].sort(), Object.keys(EXPECTED).sort(), "every kind in the table");
  });

  test("a user soft-deleted, then purged from deleted items: user.deleted soft, then permanent", async () => {
    const deletions = async (id: string) => {
      const [got = []] = await watchRound(h, [all]);
      return got.filter((e) => e.resource.id === id).map((e) => `${e.type}:${e.deletion}`);
    };
    await withActions(h, async (deps) => {
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
      await deps.graph.request(`/directory/deletedItems/${user.id}`, { method: "DELETE" });
      assert.equal((await deletedIds(h)).has(user.id), false, "gone from deleted items");
      assert.deepEqual(await deletions(user.id), ["user.deleted:permanent"], "the purge");
      assert.deepEqual(await deletions(user.id), [], "and nothing more");
    });
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

/** Fails on an event id delivered before (in `seen`), then adds these. */
function noneTwice(events: readonly TriggerEvent[], seen: Set<string>): void {
  for (const e of events) {
    assert.ok(!seen.has(e.id), `event ${e.id} (${e.type}) delivered twice`);
    seen.add(e.id);
  }
}
