import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { transitiveGroups, transitiveMembers } from "./grants.ts";
import { group, member, storeAdapters, storeWithRun, user } from "./test-support.ts";

describe("nested-group expansion", () => {
  const members: Record<string, { id: string; type: string }[]> = {
    outer: [
      { id: "mid", type: "group" },
      { id: "alice", type: "user" },
    ],
    mid: [
      { id: "inner", type: "group" },
      { id: "bob", type: "user" },
    ],
    inner: [
      { id: "outer", type: "group" },
      { id: "carol", type: "user" },
      { id: "bob", type: "user" },
    ],
  };
  const membersOf = (id: string) => members[id] ?? [];
  const groupsOf = (id: string) =>
    Object.entries(members)
      .filter(([, list]) => list.some((m) => m.id === id))
      .map(([g]) => g);

  it("walks members through a cycle once each, by the shortest path", () => {
    const reached = transitiveMembers("outer", membersOf);
    assert.deepEqual(reached, [
      { id: "mid", type: "group", via: ["outer"] },
      { id: "alice", type: "user", via: ["outer"] },
      { id: "inner", type: "group", via: ["mid", "outer"] },
      { id: "bob", type: "user", via: ["mid", "outer"] },
      { id: "carol", type: "user", via: ["inner", "mid", "outer"] },
    ]);
  });

  it("walks up from a user through a cycle", () => {
    const reached = transitiveGroups("carol", groupsOf);
    assert.deepEqual(reached, [
      { id: "inner", type: "group", via: [] },
      { id: "mid", type: "group", via: ["inner"] },
      { id: "outer", type: "group", via: ["inner", "mid"] },
    ]);
  });
});

for (const adapter of storeAdapters(import.meta.url)) {
  describe(`effective grants in the store (${adapter.name})`, () => {
    async function tenant() {
      const { store, runId } = await storeWithRun(adapter);
      await store.sync.applyPage({
        runId,
        stream: "seed",
        upserts: [
          user("alice"),
          user("bob"),
          group("engineering"),
          group("platform"),
          { kind: "app", id: "app1", data: { id: "app1", displayName: "Payroll", appId: "c1" } },
          { kind: "role", id: "role1", data: { id: "role1", displayName: "Global Administrator" } },
        ],
        edges: {
          add: [
            member("platform", "alice"),
            member("engineering", "platform", "group"),
            member("platform", "engineering", "group"),
            member("engineering", "bob"),
            { relation: "group:owner", objectId: "engineering", principalId: "bob", principalType: "user" },
            {
              relation: "app:assigned",
              objectId: "app1",
              principalId: "engineering",
              principalType: "group",
              qualifier: "r-admin",
            },
            { relation: "role:eligible", objectId: "role1", principalId: "alice", principalType: "user" },
          ],
        },
      });
      return store;
    }

    it("answers what a user has, directly and through which groups", async () => {
      const store = await tenant();
      const grants = await store.query.grants({ principalId: "alice" });
      const summary = grants.map((g) => [g.entitlement, g.objectName, g.path.how, g.path.via.join(">")]);
      assert.deepEqual(summary, [
        ["group:member", "Group platform", "direct", ""],
        ["role:eligible", "Global Administrator", "direct", ""],
        ["group:member", "Group engineering", "group", "platform"],
        ["app:role:r-admin", "Payroll", "group", "platform>engineering"],
      ]);
      // Ownership is not inherited through membership.
      assert.ok(!grants.some((g) => g.relation === "group:owner"));
      await store.close();
    });

    it("answers who has access to an app, expanding nested groups without looping", async () => {
      const store = await tenant();
      const grants = await store.query.grants({ objectId: "app1" });
      const summary = grants.map((g) => [g.principalId, g.path.how, g.path.via.join(">")]);
      assert.deepEqual(summary, [
        ["engineering", "direct", ""],
        ["bob", "group", "engineering"],
        ["platform", "group", "engineering"],
        ["alice", "group", "platform>engineering"],
      ]);
      assert.equal(grants[3]?.principalName, "User alice");
      await store.close();
    });

    it("lists a group's effective members with their paths", async () => {
      const store = await tenant();
      const grants = await store.query.grants({ objectId: "engineering" });
      const members = grants
        .filter((g) => g.relation === "group:member")
        .map((g) => [g.principalId, g.path.how]);
      assert.deepEqual(members, [
        ["bob", "direct"],
        ["platform", "direct"],
        ["alice", "group"],
      ]);
      await store.close();
    });
  });
}
