/**
 * Property check of the guarantee the connector relies on: whatever realistic changes `mutate` makes,
 * between rounds or between any two pages of a round, a client that applies every page and follows
 * the deltaLink ends with exactly the tenant's users and group memberships.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { generateTenant } from "../../tenant/generator.ts";
import { mutateTenant } from "../../tenant/mutate.ts";
import { testRouter } from "../test-router.ts";
import { registerDeltaRoutes } from "./routes.ts";
import { applyDelta, type DeltaPage, newReplica, type Replica } from "./test-replica.ts";

describe("delta under concurrent change", () => {
  for (const seed of [1, 2, 3]) {
    it(`converges for users and group members (seed ${seed})`, async () => {
      const { model } = generateTenant({
        size: "s",
        seed,
        permissions: [],
        counts: { users: 700, groups: 40, membershipsPerUser: 5 },
      });
      const t = testRouter({ tenant: model, register: [registerDeltaRoutes] });
      let mutationSeed = seed * 1000;
      const mutate = (count: number) => mutateTenant(model, { count, seed: mutationSeed++, now: Date.now() });
      const round = async (replica: Replica, start: string, perPage: number, minimal: boolean) => {
        let url = start;
        for (let pages = 0; pages < 500; pages++) {
          const reply = await t.call("GET", url, minimal ? { headers: { Prefer: "return=minimal" } } : {});
          assert.equal(reply.status, 200, JSON.stringify(reply.body));
          const page = reply.body as unknown as DeltaPage;
          applyDelta(replica, page.value, minimal);
          if (page["@odata.deltaLink"]) return page["@odata.deltaLink"];
          mutate(perPage);
          url = page["@odata.nextLink"] as string;
        }
        throw new Error("the round did not end");
      };
      const users: Replica = newReplica();
      const groups: Replica = newReplica();
      let userLink = await round(users, "/v1.0/users/delta?$select=displayName,accountEnabled", 3, false);
      let groupLink = await round(groups, "/v1.0/groups/delta?$select=displayName,members", 3, false);
      for (let r = 0; r < 6; r++) {
        mutate(25);
        userLink = await round(users, userLink, 2, r % 2 === 1);
        groupLink = await round(groups, groupLink, 2, r % 2 === 0);
      }
      // A last quiet round brings in what the busy rounds deferred.
      await round(users, userLink, 0, false);
      await round(groups, groupLink, 0, true);

      const liveUsers = model.list("user");
      assert.deepEqual([...users.objects.keys()].sort(), liveUsers.map((u) => u.id).sort());
      for (const user of liveUsers) {
        const got = users.objects.get(user.id);
        assert.equal(got?.["displayName"], user["displayName"]);
        assert.equal(got?.["accountEnabled"] ?? null, user["accountEnabled"] ?? null);
      }
      const liveGroups = model.list("group");
      assert.deepEqual([...groups.objects.keys()].sort(), liveGroups.map((g) => g.id).sort());
      for (const group of liveGroups) {
        assert.deepEqual(
          [...(groups.members.get(group.id) ?? [])].sort(),
          [...model.membersOf(group.id)].sort(),
        );
      }
    });
  }
});
