import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { csvField, csvRecord } from "./csv.ts";
import { StoreError } from "./errors.ts";
import { collect, group, member, storeAdapters, storeWithRun, user } from "./test-support.ts";

for (const adapter of storeAdapters(import.meta.url)) {
  describe(`exports (${adapter.name})`, () => {
    async function tenant() {
      const { store, runId } = await storeWithRun(adapter);
      await store.sync.applyPage({
        runId,
        stream: "seed",
        upserts: [
          user("u2", { assignedLicenses: [{ skuId: "sku1", disabledPlans: [] }] }),
          user("u1"),
          group("g1"),
        ],
        edges: {
          add: [
            member("g1", "u2"),
            member("g1", "u1"),
            member("g1", "sp1", "servicePrincipal"),
            { relation: "group:owner", objectId: "g1", principalId: "u1", principalType: "user" },
            { relation: "license:assigned", objectId: "sku1", principalId: "u2", principalType: "user" },
            { relation: "role:eligible", objectId: "rd1", principalId: "u1", principalType: "user" },
            { relation: "role:assigned", objectId: "rd1", principalId: "u1", principalType: "user" },
            {
              relation: "app:assigned",
              objectId: "sp9",
              principalId: "g1",
              principalType: "group",
              qualifier: "r1",
            },
            { relation: "app:owner", objectId: "sp9", principalId: "u1", principalType: "user" },
          ],
        },
      });
      return store;
    }

    it("streams objects as synced, ordered by id", async () => {
      const store = await tenant();
      const users = await collect(store.query.export("users"));
      assert.deepEqual(
        users.map((u) => u.id),
        ["u1", "u2"],
      );
      assert.deepEqual(users[1], {
        id: "u2",
        displayName: "User u2",
        userPrincipalName: "u2@contoso.com",
        assignedLicenses: [{ skuId: "sku1", disabledPlans: [] }],
      });
      await store.close();
    });

    it("gives relationships the issue-4 shapes", async () => {
      const store = await tenant();
      assert.deepEqual(await collect(store.query.export("memberships")), [
        { groupId: "g1", memberId: "sp1", memberType: "servicePrincipal" },
        { groupId: "g1", memberId: "u1", memberType: "user" },
        { groupId: "g1", memberId: "u2", memberType: "user" },
      ]);
      assert.deepEqual(await collect(store.query.export("owners")), [{ groupId: "g1", ownerId: "u1" }]);
      assert.deepEqual(await collect(store.query.export("license-assignments")), [
        { userId: "u2", skuId: "sku1" },
      ]);
      assert.deepEqual(await collect(store.query.export("role-assignments")), [
        { roleDefinitionId: "rd1", principalId: "u1", kind: "active" },
        { roleDefinitionId: "rd1", principalId: "u1", kind: "eligible" },
      ]);
      assert.deepEqual(await collect(store.query.export("app-assignments")), [
        { appId: "sp9", principalId: "g1", appRoleId: "r1" },
      ]);
      await store.close();
    });

    it("names CSV columns: fixed for relationships, id first then every property for objects", async () => {
      const store = await tenant();
      assert.deepEqual(await store.query.exportColumns("memberships"), ["groupId", "memberId", "memberType"]);
      assert.deepEqual(await store.query.exportColumns("users"), [
        "id",
        "assignedLicenses",
        "displayName",
        "userPrincipalName",
      ]);
      await assert.rejects(
        store.query.exportColumns("people" as "users"),
        (e: unknown) => e instanceof StoreError && /people/.test(e.message),
      );
      await store.close();
    });
  });
}

describe("CSV", () => {
  it("quotes fields with commas, quotes and line breaks, and doubles quotes", () => {
    assert.equal(csvField("plain"), "plain");
    assert.equal(csvField('O"Brien, Ann'), '"O""Brien, Ann"');
    assert.equal(csvField("two\nlines"), '"two\nlines"');
    assert.equal(csvField(null), "");
    assert.equal(csvField(false), "false");
    assert.equal(csvField([{ a: "x,y" }]), '"[{""a"":""x,y""}]"');
    assert.equal(csvRecord(["a", 1, undefined]), "a,1,\r\n");
  });

  it("writes text a spreadsheet would run as a formula as text, unless raw is asked for", () => {
    const hostile = '=HYPERLINK("http://evil.test","click")';
    assert.equal(csvField(hostile), `"'=HYPERLINK(""http://evil.test"",""click"")"`);
    for (const start of ["+", "-", "@", "\t", "\r"]) {
      assert.ok(csvField(`${start}cmd|' /C calc'!A0`).replace(/^"/, "").startsWith(`'${start}`), start);
    }
    assert.equal(csvField("-5"), "'-5");
    assert.equal(csvField(-5), "-5");
    assert.equal(csvField("Ann = Lee"), "Ann = Lee");
    assert.equal(csvField(hostile, { raw: true }), '"=HYPERLINK(""http://evil.test"",""click"")"');
    assert.equal(csvRecord(["@SUM(A1)", -1], { raw: true }), "@SUM(A1),-1\r\n");
    assert.equal(csvRecord(["@SUM(A1)", -1]), "'@SUM(A1),-1\r\n");
  });
});
