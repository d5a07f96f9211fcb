/**
 * Joiner, mover, leaver: one person's whole story through the actions, checking the tenant (the
 * emulator's snapshot) after every step, and that each step is safe to repeat.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  addRemoveUserLicense,
  addUserToGroup,
  createGroup,
  createUser,
  deleteUser,
  disableUser,
  getUserLicense,
  removeUserFromGroup,
  restoreUser,
  updateUser,
} from "../src/index.ts";
import { byId, fileHarness, type Obj, PASSWORD, type Snapshot } from "./actions-emulator-support.ts";

// Replication lag is on throughout: names of objects created a moment ago are not yet searchable
// (as in Graph), so the story refers to them by id; ids of fresh objects are waited for.
const h = fileHarness({ replicationLagMs: 150 });

const skuOf = (s: Snapshot, part: string) => s.subscribedSkus.find((k) => k["skuPartNumber"] === part)!;
const licences = (u: Obj | undefined) =>
  ((u?.["assignedLicenses"] as { skuId: string }[] | undefined) ?? []).map((l) => l.skuId);

test("joiner → mover → leaver → restored, the tenant checked at every step", async () => {
  const start = await h.snapshot();
  const pack = skuOf(start, "STANDARDPACK");
  const seatsAtStart = pack["consumedUnits"] as number;
  const sales = await createGroup(h.deps(), { displayName: "JML Sales" });
  const engineering = await createGroup(h.deps(), { displayName: "JML Engineering" });

  // Joiner: created in Sales, licensed, in the Sales group (one call, three steps).
  const joined = await createUser(h.deps(), {
    displayName: "Jamie Mover",
    userPrincipalName: `jamie.mover@${h.emu.tenantDomain}`,
    password: PASSWORD,
    department: "Sales",
    usageLocation: "US",
    addLicenses: ["STANDARDPACK"],
    groups: [sales.group.id],
  });
  const id = joined.user.id;
  let s = await h.snapshot();
  assert.equal(byId(s.users, id)?.["department"], "Sales");
  assert.equal(byId(s.users, id)?.["accountEnabled"], true);
  assert.deepEqual(licences(byId(s.users, id)), [pack["skuId"]]);
  assert.equal(skuOf(s, "STANDARDPACK")["consumedUnits"], seatsAtStart + 1);
  assert.deepEqual(byId(s.groups, sales.group.id)?.members, [id]);
  const held = await getUserLicense(h.deps(), { user: id });
  assert.deepEqual(
    held.licenses.map((l) => l.skuPartNumber),
    ["STANDARDPACK"],
  );
  // Repeating the licence and membership changes nothing.
  assert.equal(
    (await addRemoveUserLicense(h.deps(), { user: id, addLicenses: ["STANDARDPACK"] })).changed,
    false,
  );
  assert.equal((await addUserToGroup(h.deps(), { user: id, group: sales.group.id })).changed, false);

  // Mover: department and groups change.
  assert.equal((await updateUser(h.deps(), { user: id, department: "Engineering" })).changed, true);
  assert.equal((await removeUserFromGroup(h.deps(), { user: id, group: sales.group.id })).changed, true);
  assert.equal((await addUserToGroup(h.deps(), { user: id, group: engineering.group.id })).changed, true);
  s = await h.snapshot();
  assert.equal(byId(s.users, id)?.["department"], "Engineering");
  assert.deepEqual(byId(s.groups, sales.group.id)?.members, []);
  assert.deepEqual(byId(s.groups, engineering.group.id)?.members, [id]);

  // Leaver: disabled, licences removed (seat freed), deleted.
  assert.equal((await disableUser(h.deps(), { user: id })).changed, true);
  assert.equal(byId((await h.snapshot()).users, id)?.["accountEnabled"], false);
  const removed = await addRemoveUserLicense(h.deps(), {
    user: id,
    removeLicenses: [pack["skuId"] as string],
  });
  assert.deepEqual([removed.changed, removed.removed], [true, [pack["skuId"]]]);
  s = await h.snapshot();
  assert.deepEqual(licences(byId(s.users, id)), []);
  assert.equal(skuOf(s, "STANDARDPACK")["consumedUnits"], seatsAtStart);
  assert.equal((await deleteUser(h.deps(), { user: id })).changed, true);
  s = await h.snapshot();
  assert.equal(byId(s.users, id), undefined);
  assert.ok(byId(s.deletedItems, id));
  assert.equal((await deleteUser(h.deps(), { user: id })).changed, false);

  // Restored: back as it left, still disabled.
  assert.equal((await restoreUser(h.deps(), { user: id })).changed, true);
  s = await h.snapshot();
  assert.equal(byId(s.users, id)?.["department"], "Engineering");
  assert.equal(byId(s.users, id)?.["accountEnabled"], false);
  assert.equal(byId(s.deletedItems, id), undefined);

  // Every write left an audit record, with no password anywhere.
  const audit = await h.store.audit.list();
  assert.ok(audit.length >= 12);
  assert.ok(audit.every((a) => a.result === "succeeded"));
  assert.doesNotMatch(JSON.stringify(audit), new RegExp(PASSWORD));
});
