import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { registerDeltaRoutes } from "./delta/routes.ts";
import { registerGroupRoutes } from "./groups.ts";
import { registerServicePrincipalRoutes } from "./service-principals.ts";
import { testRouter } from "./test-router.ts";
import { registerUserRoutes } from "./users.ts";

type Body = Record<string, unknown> & { value: Record<string, unknown>[] };

/** Five groups; g0 has 21 owners and 21 members, sp0 21 assignments. */
function seeded() {
  const t = testRouter({
    register: [registerUserRoutes, registerGroupRoutes, registerServicePrincipalRoutes, registerDeltaRoutes],
  });
  for (let i = 0; i < 21; i++) {
    t.tenant.insert("user", {
      id: `u${String(i).padStart(2, "0")}`,
      displayName: `U${i}`,
      accountEnabled: true,
    });
  }
  for (let g = 0; g < 5; g++) {
    t.tenant.insert("group", {
      id: `g${g}`,
      displayName: `G${g}`,
      securityEnabled: true,
      mailEnabled: false,
    });
  }
  t.tenant.insert("servicePrincipal", { id: "sp0", appId: "a0", displayName: "App", appRoles: [] });
  for (let i = 0; i < 21; i++) {
    const user = `u${String(i).padStart(2, "0")}`;
    t.tenant.addOwner("group", "g0", user);
    t.tenant.addMember("g0", user);
    t.tenant.insert("appRoleAssignment", {
      id: `a${i}`,
      appRoleId: "00000000-0000-0000-0000-000000000000",
      principalId: user,
      principalType: "User",
      resourceId: "sp0",
    });
  }
  return t;
}

const ownersOfG0 = async (t: ReturnType<typeof seeded>) => {
  const reply = await t.call("GET", "/v1.0/groups?$select=id&$expand=owners($select=id)");
  const g0 = (reply.body as Body).value.find((g) => g["id"] === "g0");
  return (g0?.["owners"] as unknown[]).length;
};

describe("expansion and page knobs", () => {
  it("cuts an expansion at expandLimit (20 by default) with no nextLink", async () => {
    const t = seeded();
    assert.equal(await ownersOfG0(t), 20);
    const sp = await t.call(
      "GET",
      "/v1.0/servicePrincipals?$expand=appRoleAssignedTo($select=id,principalId)",
    );
    assert.equal(((sp.body as Body).value[0]?.["appRoleAssignedTo"] as unknown[]).length, 20);
    t.faults.configure({ expandLimit: 100 });
    assert.equal(await ownersOfG0(t), 21);
    assert.throws(() => t.faults.configure({ expandLimit: 0 }), /expandLimit/);
  });

  it("pages lists with $expand at expandPageCap whatever $top asks", async () => {
    const t = seeded();
    t.faults.configure({ expandPageCap: 2 });
    const expanded = await t.call("GET", "/v1.0/groups?$select=id&$top=999&$expand=owners($select=id)");
    assert.equal((expanded.body as Body).value.length, 2);
    assert.ok(expanded.body["@odata.nextLink"]);
    const plain = await t.call("GET", "/v1.0/groups?$select=id&$top=999");
    assert.equal((plain.body as Body).value.length, 5);
    assert.equal(plain.body["@odata.nextLink"], undefined);
  });

  it("splits members@delta at deltaMembersPerPage, resuming where the page stopped", async () => {
    const t = seeded();
    t.faults.configure({ deltaMembersPerPage: 8 });
    const members: string[] = [];
    let next: string | undefined = "/v1.0/groups/delta?$select=id,members&$filter=id eq 'g0' or id eq 'g1'";
    let pages = 0;
    while (next) {
      const reply = await t.call("GET", next);
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      pages++;
      for (const g of (reply.body as Body).value) {
        for (const m of (g["members@delta"] as { id: string }[] | undefined) ?? []) members.push(m.id);
      }
      next = reply.body["@odata.nextLink"] as string | undefined;
    }
    assert.equal(pages, 3);
    assert.deepEqual(members, [...t.tenant.membersOf("g0")].sort());
  });
});
