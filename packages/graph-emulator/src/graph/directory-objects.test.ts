import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { generateTenant } from "../tenant/generator.ts";
import type { GraphObject } from "../tenant/types.ts";
import { registerDirectoryObjectRoutes } from "./directory-objects.ts";
import { registerGroupMemberRoutes } from "./group-members.ts";
import { registerGroupRoutes } from "./groups.ts";
import { testRouter } from "./test-router.ts";

function setup() {
  const { model } = generateTenant({ size: "s", seed: 12, permissions: [] });
  return testRouter({
    tenant: model,
    register: [registerDirectoryObjectRoutes, registerGroupRoutes, registerGroupMemberRoutes],
  });
}

describe("directoryObjects", () => {
  it("gets any object by id with its @odata.type", async () => {
    const t = setup();
    const group = t.tenant.list("group")[0] as GraphObject;
    const reply = await t.call("GET", `/v1.0/directoryObjects/${group.id}?$select=id,displayName`);
    assert.equal(reply.status, 200);
    assert.equal(reply.body["@odata.type"], "#microsoft.graph.group");
    assert.equal(reply.body["displayName"], group["displayName"]);
    assert.equal(
      (await t.call("GET", "/v1.0/directoryObjects/33333333-3333-3333-3333-333333333333")).status,
      404,
    );
  });

  it("getByIds returns the known ids, typed, filtered by types, skipping unknown ones", async () => {
    const t = setup();
    const user = t.tenant.list("user")[1] as GraphObject;
    const group = t.tenant.list("group")[1] as GraphObject;
    const ids = [user.id, group.id, "44444444-4444-4444-4444-444444444444"];
    const all = await t.call("POST", "/v1.0/directoryObjects/getByIds", { body: { ids } });
    assert.equal(all.status, 200);
    assert.deepEqual(
      (all.body["value"] as Record<string, unknown>[]).map((o) => [o["@odata.type"], o["id"]]),
      [
        ["#microsoft.graph.user", user.id],
        ["#microsoft.graph.group", group.id],
      ],
    );
    const users = await t.call("POST", "/v1.0/directoryObjects/getByIds", { body: { ids, types: ["user"] } });
    assert.deepEqual(
      (users.body["value"] as { id: string }[]).map((o) => o.id),
      [user.id],
    );
    const bad = await t.call("POST", "/v1.0/directoryObjects/getByIds", { body: { ids: "nope" } });
    assert.equal(bad.status, 400);
  });
});

describe("group memberOf and $count", () => {
  it("lists the groups a group is nested in, directly and transitively", async () => {
    const t = setup();
    const [a, b, c] = t.tenant
      .list("group")
      .filter((g) => (g["groupTypes"] as string[]).length === 0) as GraphObject[];
    assert.ok(a && b && c);
    t.tenant.addMember(a.id, b.id);
    t.tenant.addMember(b.id, c.id);
    const direct = await t.call("GET", `/v1.0/groups/${c.id}/memberOf`);
    assert.ok((direct.body["value"] as { id: string }[]).some((g) => g.id === b.id));
    const transitive = await t.call("GET", `/v1.0/groups/${c.id}/transitiveMemberOf`);
    const ids = (transitive.body["value"] as { id: string }[]).map((g) => g.id);
    assert.ok(ids.includes(a.id) && ids.includes(b.id));
    const eventual = { headers: { ConsistencyLevel: "eventual" } };
    const count = await t.call("GET", `/v1.0/groups/${c.id}/transitiveMemberOf/$count`, eventual);
    assert.equal(count.body as unknown, String(ids.length));
    const cast = await t.call("GET", `/v1.0/groups/${c.id}/memberOf/microsoft.graph.group`);
    assert.deepEqual(
      (cast.body["value"] as { id: string }[]).map((g) => g.id),
      (direct.body["value"] as { id: string; "@odata.type": string }[])
        .filter((g) => g["@odata.type"] === "#microsoft.graph.group")
        .map((g) => g.id),
    );
  });

  it("counts groups with ConsistencyLevel: eventual", async () => {
    const t = setup();
    const reply = await t.call("GET", "/v1.0/groups/$count", { headers: { ConsistencyLevel: "eventual" } });
    assert.equal(reply.body as unknown, String(t.tenant.count("group")));
  });
});
