/** Group actions against the emulator: create with owners/members, membership, ownership, refusals. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { explainRefusal } from "../src/actions/refusals.ts";
import type { GraphRequestOptions } from "../src/graph/types.ts";
import {
  addGroupOwner,
  addUserToGroup,
  createGroup,
  createUser,
  deleteGroup,
  deleteUser,
  getGroup,
  removeGroupOwner,
  removeUserFromGroup,
  updateGroup,
} from "../src/index.ts";
import {
  byId,
  code,
  fileHarness,
  type Obj,
  PASSWORD,
  pick,
  withFaults,
  withPermissions,
  withRequest,
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

    const again = await createGroup(h.deps(), {
      displayName: "Project Aurora",
      description: "created by a test",
      owners: [owner["userPrincipalName"] as string],
      members: users.map((u) => u.id),
    });
    assert.deepEqual([again.changed, again.group.id], [false, out.group.id]);
    assert.equal((await h.snapshot()).groups.filter((g) => g["displayName"] === "Project Aurora").length, 1);
    await assert.rejects(
      createGroup(h.deps(), { displayName: "Project Aurora", description: "another one" }),
      (err: unknown) => {
        code("OBJECT_CONFLICT")(err);
        const message = (err as Error).message;
        assert.match(
          message,
          new RegExp(`mailNickname ProjectAurora already exists \\(id ${out.group.id}\\)`),
        );
        assert.match(message, /description is "created by a test" there, "another one" asked/);
        return true;
      },
    );
  });

  test("a repeated security group create adds only the members missing since", async () => {
    const snap = await h.snapshot();
    const [a, b] = snap.users.filter((u) => u["userType"] !== "Guest").slice(30, 32) as [Obj, Obj];
    const first = await createGroup(h.deps(), { displayName: "Repeat Crew", members: [a.id] });
    const again = await createGroup(h.deps(), { displayName: "Repeat Crew", members: [a.id, b.id] });
    assert.deepEqual([again.changed, again.group.id], [true, first.group.id]);
    assert.deepEqual(
      new Set(byId((await h.snapshot()).groups, first.group.id)?.members),
      new Set([a.id, b.id]),
    );
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

  test("removing from synced, mail-enabled and dynamic groups is refused; nothing changes", async () => {
    const snap = await h.snapshot();
    for (const [group, expected] of [
      [pick.syncedGroup(snap), "ON_PREMISES_SYNCED"],
      [pick.mailEnabledGroup(snap), "GROUP_MAIL_ENABLED"],
      [pick.dynamicGroup(snap), "GROUP_DYNAMIC"],
    ] as const) {
      const member = group.members[0]!;
      await assert.rejects(removeUserFromGroup(h.deps(), { user: member, group: group.id }), code(expected));
      assert.deepEqual(byId((await h.snapshot()).groups, group.id)?.members, group.members);
    }
  });

  test("Graph's own refusals of those writes are recognised too (when the group changed since it was read)", async () => {
    const snap = await h.snapshot();
    const graph = h.deps().graph;
    const info = { action: "remove-user-from-group", permissions: [], target: "the group", graph };
    for (const [group, expected] of [
      [pick.syncedGroup(snap), "ON_PREMISES_SYNCED"],
      [pick.mailEnabledGroup(snap), "GROUP_MAIL_ENABLED"],
      [pick.dynamicGroup(snap), "GROUP_DYNAMIC"],
    ] as const) {
      const sent = graph.request(`/groups/${group.id}/members/${group.members[0]}/$ref`, {
        method: "DELETE",
      });
      const refusal = await sent.then(
        () => assert.fail(`Graph removed a member of ${group["displayName"]}`),
        (err: unknown) => explainRefusal(err, info),
      );
      code(expected)(refusal);
    }
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

describe("create-group in steps", () => {
  test("a member deleted while the group is made: the failing step, what was left and what was not done", async () => {
    const snap = await h.snapshot();
    const users = snap.users.filter((u) => u["userType"] !== "Guest" && u["onPremisesSyncEnabled"] !== true);
    const members = users.slice(-23).map((u) => u.id);
    const [added, vanished, skipped] = members.slice(20) as [string, string, string];
    // Graph binds 20 members at creation; the rest are added one by one, and one of those is deleted meanwhile.
    const graph = h.deps().graph;
    const racing = withRequest(graph, async <T>(path: string, options?: GraphRequestOptions) => {
      const answer = await graph.request<T>(path, options);
      if (options?.method === "POST" && path === "/groups") await deleteUser(h.deps(), { user: vanished });
      return answer;
    });
    await assert.rejects(
      createGroup(h.deps({ graph: racing }), { displayName: "Half Built", members }),
      (err: unknown) => {
        code("WRITE_INCOMPLETE")(err);
        const msg = (err as Error).message;
        // The group is the fresh object, but Graph's 404 names the member: no replication wait.
        assert.match(msg, new RegExp(`stopped at step 'add members ${vanished}': .*Resource '${vanished}'`));
        assert.match(
          msg,
          new RegExp(
            `Left in place: group Half Built \\(.*\\) with 0 owners and 20 members; member ${added}\\.`,
          ),
        );
        assert.match(msg, new RegExp(`Not done: add members ${skipped}\\.`));
        return true;
      },
    );
    const group = (await h.snapshot()).groups.find((g) => g["displayName"] === "Half Built");
    assert.deepEqual(new Set(group?.members), new Set([...members.slice(0, 20), added]));
    const audit = await h.store.audit.list({ action: "create-group" });
    assert.deepEqual([audit.at(-1)?.result, audit.at(-1)?.target], ["failed", `group:${group?.id}`]);
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

  test("deleting a synced or a mail-enabled group is refused before anything is sent", async () => {
    const snap = await h.snapshot();
    const deletes = () => h.emu.stats().byRoute["DELETE /groups/{id}"] ?? 0;
    const before = deletes();
    await assert.rejects(
      deleteGroup(h.deps(), { group: pick.syncedGroup(snap).id }),
      code("ON_PREMISES_SYNCED"),
    );
    await assert.rejects(
      deleteGroup(h.deps(), { group: pick.mailEnabledGroup(snap).id }),
      code("GROUP_MAIL_ENABLED"),
    );
    assert.equal(deletes(), before);
    const after = await h.snapshot();
    assert.ok(
      byId(after.groups, pick.syncedGroup(snap).id) && byId(after.groups, pick.mailEnabledGroup(snap).id),
    );
  });

  test("a Microsoft 365 group goes to deleted items; deleting it again reports it there", async () => {
    const owner = pick.cloudUser(await h.snapshot(), 5);
    const made = await createGroup(h.deps(), {
      displayName: "Brief Crew",
      groupTypes: ["Unified"],
      owners: [owner.id],
    });
    assert.equal((await deleteGroup(h.deps(), { group: made.group.id })).changed, true);
    assert.ok(byId((await h.snapshot()).deletedItems, made.group.id));
    const again = await deleteGroup(h.deps(), { group: made.group.id });
    assert.deepEqual([again.changed, again.alreadyDeleted, again.id], [false, true, made.group.id]);
  });

  test("updating a synced group is refused", async () => {
    const group = pick.syncedGroup(await h.snapshot());
    await assert.rejects(
      updateGroup(h.deps(), { group: group.id, description: "x" }),
      code("ON_PREMISES_SYNCED"),
    );
  });
});
