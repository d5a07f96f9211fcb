import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TenantModel } from "./model.ts";

function tenant() {
  const model = new TenantModel({ id: "t", displayName: "T", domains: ["t.onmicrosoft.com"], hasP2: true });
  for (const id of ["u1", "u2", "u3"])
    model.insert("user", { id, displayName: id, userPrincipalName: `${id}@t.onmicrosoft.com` });
  for (const id of ["g1", "g2"]) model.insert("group", { id, displayName: id, groupTypes: [] });
  return model;
}

describe("TenantModel", () => {
  it("keeps memberships in both directions and logs them on the group", () => {
    const model = tenant();
    const before = model.changes.seq;
    assert.equal(model.addMember("g1", "u1"), true);
    assert.equal(model.addMember("g1", "u1"), false, "already a member");
    assert.deepEqual([...model.groupsOf("u1")], ["g1"]);
    const log = model.changes.since("group", before);
    assert.deepEqual(
      log.map((e) => [e.op, e.id, e.ref]),
      [["memberAdded", "g1", "u1"]],
    );
  });

  it("walks nesting transitively, each object once, even through a cycle", () => {
    const model = tenant();
    model.addMember("g1", "g2");
    model.addMember("g2", "g1");
    model.addMember("g2", "u2");
    model.addMember("g1", "u2");
    assert.deepEqual(model.transitiveMembersOf("g1").sort(), ["g2", "u2"]);
    assert.deepEqual(model.transitiveGroupsOf("u2").sort(), ["g1", "g2"]);
  });

  it("soft-deletes with relationships kept for restore, and restores them", () => {
    const model = tenant();
    model.addMember("g1", "u1");
    model.addOwner("group", "g2", "u1");
    const seq = model.changes.seq;
    model.softDelete("user", "u1", Date.UTC(2026, 0, 2));
    assert.equal(model.get("user", "u1"), undefined);
    assert.equal(model.findUserByUpn("u1@t.onmicrosoft.com"), undefined);
    assert.equal(model.membersOf("g1").size, 0);
    assert.equal(model.getDeleted("u1")?.object["deletedDateTime"], "2026-01-02T00:00:00Z");
    const ops = model.changes.since("group", seq).map((e) => e.op);
    assert.deepEqual(ops, ["memberRemoved", "ownerRemoved"]);
    model.restore("u1");
    assert.ok(model.get("user", "u1"));
    assert.deepEqual([...model.membersOf("g1")], ["u1"]);
    assert.deepEqual([...model.ownersOf("g2")], ["u1"]);
    assert.equal(model.get("user", "u1")?.["deletedDateTime"], undefined);
  });

  it("lists in a stable order and re-reads the cache after inserts and deletes", () => {
    const model = tenant();
    assert.deepEqual(
      model.list("user").map((u) => u.id),
      ["u1", "u2", "u3"],
    );
    model.hardDelete("user", "u2");
    model.insert("user", { id: "u4" });
    assert.deepEqual(
      model.list("user").map((u) => u.id),
      ["u1", "u3", "u4"],
    );
    assert.ok(model.ordinalOf("u4") > model.ordinalOf("u3"));
  });

  it("keeps SKU seat counts in step with assigned licences", () => {
    const model = tenant();
    model.insert("subscribedSku", { id: "t_sku1", skuId: "sku1", consumedUnits: 0 });
    model.assignLicenses("u1", [{ skuId: "sku1", disabledPlans: [] }], []);
    model.assignLicenses("u2", [{ skuId: "sku1", disabledPlans: [] }], []);
    model.assignLicenses("u2", [{ skuId: "sku1", disabledPlans: ["p"] }], []);
    assert.equal(model.skuBySkuId("sku1")?.["consumedUnits"], 2);
    model.assignLicenses("u1", [], ["sku1"]);
    assert.equal(model.skuBySkuId("sku1")?.["consumedUnits"], 1);
    assert.equal(model.get("user", "u1")?.["assignedLicenses"], undefined);
  });

  it("records update property names for Prefer: return=minimal", () => {
    const model = tenant();
    const seq = model.changes.seq;
    model.update("user", "u3", { jobTitle: "Boss", mail: null });
    const [entry] = model.changes.since("user", seq);
    assert.deepEqual(entry?.props, ["jobTitle", "mail"]);
    assert.equal("mail" in (model.get("user", "u3") ?? {}), false, "null removes a property");
  });
});
