/** Group actions against the emulator: create with owners/members, membership, ownership, refusals. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  addGroupOwner,
  addUserToGroup,
  createGroup,
  createUser,
  deleteGroup,
  getGroup,
  removeGroupOwner,
  removeUserFromGroup,
  updateGroup,
} from "../src/index.ts";
import {
  byId,
  code,
  fileHarness,
  PASSWORD,
  pick,
  withFaults,
  withPermissions,
} from "./actions-emulator-support.ts";

const h = fileHarness();

describe("create-group", () => {
  test("with more than 20 members: bound at creation, the rest added, all present", async () => {
    const snap = await h.snapshot();
    const users = snap.users.filter((u) => u["userType"] !== "Guest").slice(0, 25);
    const owner = pick.cloudUser(snap);
    const out = await createGroup(h.deps(), {
      displayName: "Project Aurora",
      description: "created by a test",
      owners: [owner["userPrincipalName"] as string],
      members: users.map((u) => u.id),
    });
    assert.equal(out.changed, true);
    const group = byId((await h.snapshot()).groups, out.group.id);
    assert.deepEqual(new Set(group?.members), new Set(users.map((u) => u.id)));
    assert.deepEqual(group?.owners, [owner.id]);
    assert.equal(group?.["mailNickname"], "ProjectAurora");

    await assert.rejects(createGroup(h.deps(), { displayName: "Project Aurora" }), (err: unknown) => {
      code("OBJECT_EXISTS")(err);
      assert.match((err as Error).message, new RegExp(out.group.id));
      return true;
    });
  });

  test("a Microsoft 365 group is mail-enabled and not a security group by default", async () => {
    const owner = pick.cloudUser(await h.snapshot(), 3);
    const out = await createGroup(h.deps(), {
      displayName: "M365 Crew",
      groupTypes: ["Unified"],
      owners: [owner.id],
    });
    const group = byId((await h.snapshot()).groups, out.group.id);
    assert.deepEqual(
      [group?.["mailEnabled"], group?.["securityEnabled"], group?.owners],
      [true, false, [owner.id]],
    );
  });

  test("a mail-enabled security group is refused before any request", async () => {
    const requests = h.emu.stats().requests;
    await assert.rejects(
      createGroup(h.deps(), { displayName: "Mail Sec", mailEnabled: true }),
      code("GROUP_MAIL_ENABLED"),
    );
    assert.equal(h.emu.stats().requests, requests);
  });

  test("an unknown member is reported before the group is created", async () => {
    const count = (await h.snapshot()).groups.length;
    await assert.rejects(
      createGroup(h.deps(), { displayName: "Never Made", members: ["nobody-like-this@nowhere.example"] }),
      code("OBJECT_NOT_FOUND"),
    );
    assert.equal((await h.snapshot()).groups.length, count);
  });

  test("bad input names the field", async () => {
    await assert.rejects(
      createGroup(h.deps(), { displayName: "A", mailNickname: "has space" }),
      (err: unknown) => {
        code("INPUT_INVALID")(err);
        assert.match((err as Error).message, /mailNickname/);
        return true;
      },
    );
  });
});

describe("membership", () => {
  test("add, add again, remove, remove again; by UPN and display name", async () => {
    const snap = await h.snapshot();
    const group = pick.securityGroup(snap, 1);
    const user = snap.users.find((u) => !group.members.includes(u.id) && u["userType"] !== "Guest")!;
    const input = { user: user["userPrincipalName"] as string, group: group["displayName"] as string };
    assert.equal((await addUserToGroup(h.deps(), input)).changed, true);
    assert.ok(byId((await h.snapshot()).groups, group.id)?.members.includes(user.id));
    assert.equal((await addUserToGroup(h.deps(), input)).changed, false);
    assert.equal((await removeUserFromGroup(h.deps(), input)).changed, true);
    assert.ok(!byId((await h.snapshot()).groups, group.id)?.members.includes(user.id));
    assert.equal((await removeUserFromGroup(h.deps(), input)).changed, false);
    const audit = await h.store.audit.list({ action: "remove-user-from-group" });
    assert.deepEqual(
      audit.slice(-2).map((a) => a.detail),
      [{ changed: true }, { changed: false }],
    );
  });

  test("dry run reports changed:false for an existing member and sends nothing", async () => {
    const snap = await h.snapshot();
    const group = pick.securityGroup(snap);
    const member = group.members[0]!;
    const out = await addUserToGroup(h.deps(), { user: member, group: group.id }, { dryRun: true });
    assert.deepEqual([out.changed, out.requests], [false, []]);
  });

  test("synced, mail-enabled and dynamic groups are refused with their causes", async () => {
    const snap = await h.snapshot();
    const user = pick.cloudUser(snap, 2).id;
    await assert.rejects(
      addUserToGroup(h.deps(), { user, group: pick.syncedGroup(snap).id }),
      code("ON_PREMISES_SYNCED"),
    );
    await assert.rejects(
      addUserToGroup(h.deps(), { user, group: pick.mailEnabledGroup(snap).id }),
      code("GROUP_MAIL_ENABLED"),
    );
    await assert.rejects(
      addUserToGroup(h.deps(), { user, group: pick.dynamicGroup(snap).id }),
      code("GROUP_DYNAMIC"),
    );
  });

  test("a brand-new user is added through replication lag", async () => {
    const group = pick.securityGroup(await h.snapshot(), 2);
    await withFaults(h, { replicationLagMs: 300 }, async () => {
      const user = await createUser(h.deps(), {
        displayName: "Fresh Face",
        userPrincipalName: `fresh.face@${h.emu.tenantDomain}`,
        password: PASSWORD,
      });
      assert.equal((await addUserToGroup(h.deps(), { user: user.user.id, group: group.id })).changed, true);
    });
  });

  test("without GroupMember write permission the permission is named", async () => {
    const snap = await h.snapshot();
    await withPermissions(h, ["User.Read.All", "Group.Read.All", "GroupMember.Read.All"], async () => {
      const input = { user: pick.cloudUser(snap, 3).id, group: pick.securityGroup(snap).id };
      await assert.rejects(addUserToGroup(h.deps(), input), (err: unknown) => {
        code("PERMISSION_MISSING")(err);
        assert.match((err as Error).message, /GroupMember\.ReadWrite\.All/);
        return true;
      });
    });
  });
});

describe("owners", () => {
  test("add and remove owners; the last owner of a Microsoft 365 group stays", async () => {
    const snap = await h.snapshot();
    const group = pick.unifiedGroup(snap);
    const extra = snap.users.find((u) => !group.owners.includes(u.id) && u["userType"] !== "Guest")!;
    assert.equal((await addGroupOwner(h.deps(), { group: group.id, owner: extra.id })).changed, true);
    assert.equal((await addGroupOwner(h.deps(), { group: group.id, owner: extra.id })).changed, false);
    for (const owner of group.owners) {
      assert.equal((await removeGroupOwner(h.deps(), { group: group.id, owner })).changed, true);
    }
    assert.deepEqual(byId((await h.snapshot()).groups, group.id)?.owners, [extra.id]);
    await assert.rejects(
      removeGroupOwner(
        h.deps({ writesEnabled: false }),
        { group: group.id, owner: extra.id },
        { dryRun: true },
      ),
      code("GROUP_LAST_OWNER"),
    );
    await assert.rejects(
      removeGroupOwner(h.deps(), { group: group.id, owner: extra.id }),
      code("GROUP_LAST_OWNER"),
    );
  });
});

describe("get, update, delete", () => {
  test("update sends only differences, delete is repeat-safe", async () => {
    const created = await createGroup(h.deps(), { displayName: "Short Lived", mailNickname: "shortlived" });
    const id = created.group.id;
    assert.equal((await getGroup(h.deps(), { group: "Short Lived" })).group.id, id);
    assert.equal((await updateGroup(h.deps(), { group: id, description: "new words" })).changed, true);
    assert.equal(byId((await h.snapshot()).groups, id)?.["description"], "new words");
    assert.equal((await updateGroup(h.deps(), { group: id, description: "new words" })).changed, false);
    assert.equal((await deleteGroup(h.deps(), { group: id })).changed, true);
    assert.equal(byId((await h.snapshot()).groups, id), undefined);
    assert.equal((await deleteGroup(h.deps(), { group: id })).changed, false);
  });

  test("updating a synced group is refused", async () => {
    const group = pick.syncedGroup(await h.snapshot());
    await assert.rejects(
      updateGroup(h.deps(), { group: group.id, description: "x" }),
      code("ON_PREMISES_SYNCED"),
    );
  });
});
