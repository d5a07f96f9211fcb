/**
 * Writes under the emulator's random transient faults (429, 503, 504, connection resets): each lands
 * exactly once, a repeat changes nothing, and no fault reaches the caller raw. The emulator faults a
 * request before handling it; a create whose answer is lost after it went through is covered against
 * the fake client in actions-logic.test.ts. Reads riding out faults are in actions-matrix.test.ts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type ActionDeps,
  addRemoveUserLicense,
  addUserToGroup,
  createGroup,
  createUser,
  deleteUser,
  grant,
  removeUserFromGroup,
  restoreUser,
  revoke,
} from "../src/index.ts";
import { byId, fileHarness, PASSWORD, pick, type Snapshot, withRequest } from "./actions-emulator-support.ts";

const h = fileHarness();

/**
 * The harness's deps with a fifth of writes faulted. Faults are switched on only while a write is in
 * flight (an action sends one request at a time): each 429 or 503 costs a real Retry-After wait, and
 * faulted reads would only slow this file down without testing anything new.
 */
function deps(): ActionDeps {
  // A security group's key is not unique in Graph: a faulted create looks for it this long before resending.
  const base = h.deps({ replicationWaitMs: 150 });
  const graph = base.graph;
  const faulted: typeof graph.request = async (path, options = {}) => {
    if ((options.method ?? "GET") === "GET") return graph.request(path, options);
    h.emu.setFaults({ faultRate: 0.2 });
    try {
      return await graph.request(path, options);
    } finally {
      h.emu.setFaults({ faultRate: 0 });
    }
  };
  return {
    ...base,
    graph: withRequest(graph, faulted),
  };
}

/** Sends of `route` beyond one per object made: the faulted ones that were recovered from. */
function extraSends(route: string, from: number, made: number): number {
  return (h.emu.stats().byRoute[route] ?? 0) - from - made;
}

test("create-user and create-group: each object exists once, under the id reported", async () => {
  const sends = (route: string) => h.emu.stats().byRoute[route] ?? 0;
  const [usersFrom, groupsFrom] = [sends("POST /users"), sends("POST /groups")];
  const users: { upn: string; id: string }[] = [];
  const groups: { nick: string; id: string }[] = [];
  // Until a create of each kind was faulted (bounded, so a quiet dice roll cannot hang).
  for (let i = 0; i < 40; i++) {
    const enough =
      extraSends("POST /users", usersFrom, users.length) >= 1 &&
      extraSends("POST /groups", groupsFrom, groups.length) >= 1;
    if (i >= 4 && enough) break;
    const upn = `faulty.${i}@${h.emu.tenantDomain}`;
    const user = await createUser(deps(), {
      displayName: `Faulty ${i}`,
      userPrincipalName: upn,
      password: PASSWORD,
    });
    assert.equal(user.changed, true);
    users.push({ upn, id: user.user.id });
    const nick = `faulty-${i}`;
    const unified = i % 2 === 1;
    const group = await createGroup(deps(), {
      displayName: `Faulty ${i}`,
      mailNickname: nick,
      ...(unified ? { groupTypes: ["Unified" as const] } : {}),
    });
    assert.equal(group.changed, true);
    groups.push({ nick, id: group.group.id });
  }
  assert.ok(extraSends("POST /users", usersFrom, users.length) > 0, "some user creates were faulted");
  assert.ok(extraSends("POST /groups", groupsFrom, groups.length) > 0, "some group creates were faulted");
  const snap = await h.snapshot();
  for (const { upn, id } of users) {
    const found = snap.users.filter((u) => u["userPrincipalName"] === upn).map((u) => u.id);
    assert.deepEqual(found, [id], upn);
  }
  for (const { nick, id } of groups) {
    const found = snap.groups.filter((g) => g["mailNickname"] === nick).map((g) => g.id);
    assert.deepEqual(found, [id], nick);
  }
});

/** Runs `write` twice under faults: the first changes the tenant, the repeat does not. */
async function twice(what: string, write: () => Promise<{ changed: boolean }>) {
  assert.equal((await write()).changed, true, what);
  assert.equal((await write()).changed, false, `${what}, repeated`);
}

test("membership, licences, delete and restore", async () => {
  const snap = await h.snapshot();
  const group = pick.securityGroup(snap, 1);
  const sku = snap.subscribedSkus.find((k) => k["skuPartNumber"] === "POWER_BI_PRO")!;
  const user = [1, 2, 3, 4, 5]
    .map((i) => pick.cloudUser(snap, i))
    .find((u) => !group.members.includes(u.id) && !licences(snap, u.id).includes(sku["skuId"] as string))!;
  const other = pick.cloudUser(snap, 6);
  const member = { user: user.id, group: group.id };
  await twice("add member", () => addUserToGroup(deps(), member));
  await twice("add licence", () =>
    addRemoveUserLicense(deps(), { user: user.id, addLicenses: ["POWER_BI_PRO"] }),
  );
  let s = await h.snapshot();
  assert.equal(byId(s.groups, group.id)!.members.filter((m) => m === user.id).length, 1);
  assert.ok(licences(s, user.id).includes(sku["skuId"] as string));
  await twice("remove member", () => removeUserFromGroup(deps(), member));
  await twice("remove licence", () =>
    addRemoveUserLicense(deps(), { user: user.id, removeLicenses: ["POWER_BI_PRO"] }),
  );
  await twice("delete user", () => deleteUser(deps(), { user: other.id }));
  s = await h.snapshot();
  assert.ok(!byId(s.groups, group.id)!.members.includes(user.id));
  assert.ok(!licences(s, user.id).includes(sku["skuId"] as string));
  assert.ok(byId(s.deletedItems, other.id) && !byId(s.users, other.id));
  await twice("restore user", () => restoreUser(deps(), { user: other.id }));
  assert.ok(byId((await h.snapshot()).users, other.id));
});

const licences = (s: Snapshot, userId: string) =>
  ((byId(s.users, userId)?.["assignedLicenses"] as { skuId: string }[] | undefined) ?? []).map(
    (l) => l.skuId,
  );

test("grant and revoke a directory role and an app", async () => {
  const snap = await h.snapshot();
  const user = pick.cloudUser(snap, 3);
  const app = snap.servicePrincipals.find((sp) => sp["displayName"] === "ServiceNow")!;
  const role = { entitlement: "role:User Administrator:assigned", principal: user.id };
  const access = { entitlement: `app:${app.id}:assigned`, principal: user.id };
  const holds = (s: Snapshot) => [
    s.roleAssignments.filter((a) => a["principalId"] === user.id).length,
    byId(s.servicePrincipals, app.id)!.appRoleAssignedTo.filter((a) => a["principalId"] === user.id).length,
  ];
  await twice("grant role", () => grant(deps(), role));
  await twice("grant app", () => grant(deps(), access));
  assert.deepEqual(holds(await h.snapshot()), [1, 1]);
  await twice("revoke role", () => revoke(deps(), role));
  await twice("revoke app", () => revoke(deps(), access));
  assert.deepEqual(holds(await h.snapshot()), [0, 0]);
});
