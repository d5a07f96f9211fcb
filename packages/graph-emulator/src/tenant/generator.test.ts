import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { generateTenant } from "./generator.ts";
import { mutateTenant } from "./mutate.ts";
import { snapshotOf } from "./snapshot.ts";
import type { GraphObject } from "./types.ts";

const hash = (value: unknown) => createHash("sha256").update(JSON.stringify(value)).digest("hex");

describe("generateTenant", () => {
  it("is deterministic: the same seed gives the same tenant, another seed a different one", () => {
    const a = snapshotOf(generateTenant({ size: "s", seed: 5, permissions: [] }).model);
    const b = snapshotOf(generateTenant({ size: "s", seed: 5, permissions: [] }).model);
    const c = snapshotOf(generateTenant({ size: "s", seed: 6, permissions: [] }).model);
    assert.equal(hash(a), hash(b));
    assert.notEqual(hash(a), hash(c));
  });

  it("builds a realistic medium tenant: guests, disabled, synced, nesting, dynamic rules honoured, seats consistent", () => {
    const { model } = generateTenant({ size: "m", seed: 2, permissions: [] });
    const users = model.list("user");
    assert.ok(users.length > 1900);
    assert.ok(
      users.some((u) => u["userType"] === "Guest" && String(u["userPrincipalName"]).includes("#EXT#")),
    );
    assert.ok(users.some((u) => u["accountEnabled"] === false));
    assert.ok(users.some((u) => u["onPremisesSyncEnabled"] === true));
    const groups = model.list("group");
    assert.ok(groups.some((g) => (g["groupTypes"] as string[]).includes("Unified")));
    assert.ok(groups.some((g) => g["onPremisesSyncEnabled"] === true));
    assert.ok(
      groups.some((g) => [...model.membersOf(g.id)].some((id) => model.get("group", id))),
      "some nesting",
    );
    let memberships = 0;
    for (const g of groups) memberships += model.membersOf(g.id).size;
    assert.ok(memberships > users.length * 4, `memberships ${memberships}`);
    for (const dynamic of groups.filter((g) => typeof g["membershipRule"] === "string")) {
      const department = /department -eq "([^"]+)"/.exec(String(dynamic["membershipRule"]))?.[1];
      for (const id of model.membersOf(dynamic.id))
        assert.equal(model.get("user", id)?.["department"], department);
    }
    for (const sku of model.list("subscribedSku")) {
      const holders = users.filter((u) =>
        ((u["assignedLicenses"] as { skuId: string }[] | undefined) ?? []).some(
          (l) => l.skuId === sku["skuId"],
        ),
      ).length;
      // A deleted user's licences free their seats (the deleted object still lists them, for restore).
      assert.equal(sku["consumedUnits"], holders, String(sku["skuPartNumber"]));
      assert.ok((sku["prepaidUnits"] as { enabled: number }).enabled >= (sku["consumedUnits"] as number));
    }
    assert.ok(
      model
        .list("subscribedSku")
        .some((s) => (s["prepaidUnits"] as { enabled: number }).enabled === s["consumedUnits"]),
    );
    assert.ok(model.count("appRoleAssignment") > 500);
    assert.ok(model.count("roleEligibilitySchedule") > 0);
    assert.ok(model.deletedItems().length > 0);
    assert.equal(model.changes.since("user", 0).length, 0, "the initial state is not logged");
  });

  it("has the Finance and IT Support groups the documentation's examples name, live, whatever the seed", () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const { model } = generateTenant({ size: "s", seed, permissions: [] });
      const names = model.list("group").map((g) => g["displayName"]);
      assert.deepEqual(
        ["Finance", "IT Support"].map((name) => names.filter((n) => n === name).length),
        [1, 1],
        `seed ${seed}`,
      );
    }
  });

  it("honours explicit counts", () => {
    const { model } = generateTenant({
      size: "s",
      seed: 1,
      permissions: [],
      counts: { users: 200, groups: 30, apps: 12 },
    });
    assert.equal(model.count("user") + model.deletedItems("user").length, 201, "200 plus the admin");
    assert.equal(model.count("group") + model.deletedItems("group").length, 30);
    assert.equal(model.count("servicePrincipal"), 12 + 5, "plus the five well-known apps");
  });
});

describe("mutateTenant", () => {
  it("makes N logged changes, deterministically for a seed", () => {
    const run = () => {
      const { model } = generateTenant({ size: "s", seed: 3, permissions: [] });
      const seq = model.changes.seq;
      const changes = mutateTenant(model, { count: 40, seed: 9, now: Date.UTC(2026, 1, 1) });
      return { model, seq, changes };
    };
    const a = run();
    const b = run();
    assert.equal(a.changes.length, 40);
    assert.deepEqual(a.changes, b.changes);
    assert.ok(new Set(a.changes.map((c) => c.op)).size >= 6, "a mix of change kinds");
    const logged = (["user", "group", "roleAssignment", "appRoleAssignment"] as const).flatMap((k) =>
      a.model.changes.since(k, a.seq),
    );
    assert.ok(logged.length >= 40);
    for (const change of a.changes.filter((c) => c.op === "createUser")) {
      assert.ok(a.model.get("user", change.id) || a.model.getDeleted(change.id));
    }
  });

  it("purges deleted items, changes role eligibility, and activates roles it assigns", () => {
    const { model } = generateTenant({ size: "s", seed: 3, permissions: [] });
    const seq = model.changes.seq;
    const changes = mutateTenant(model, { count: 300, seed: 5, now: Date.UTC(2026, 1, 1) });
    const ops = (op: string) => changes.filter((c) => c.op === op);
    const purged = [...ops("purgeUser"), ...ops("purgeGroup")];
    assert.ok(
      purged.length > 0 && ops("addRoleEligibility").length > 0 && ops("removeRoleEligibility").length > 0,
    );
    for (const c of purged) {
      assert.equal(model.getDeleted(c.id), undefined, "gone from deleted items");
      assert.equal(model.get(c.kind as "user" | "group", c.id), undefined);
      const log = model.changes.since(c.kind as "user" | "group", seq).filter((e) => e.id === c.id);
      assert.equal(log.at(-1)?.op, "hardDeleted", "the delta engine reports it deleted for good");
      const deletedHere = changes.some((d) => d.id === c.id && d.op.startsWith("delete"));
      assert.ok(deletedHere, "only what was deleted since the tenant was generated is purged");
    }
    const logged = model.changes.since("roleEligibilitySchedule", seq);
    for (const [op, logOp] of [
      ["addRoleEligibility", "created"],
      ["removeRoleEligibility", "hardDeleted"],
    ] as const) {
      for (const c of ops(op))
        assert.ok(
          logged.some((e) => e.id === c.id && e.op === logOp),
          `${op} ${c.id}`,
        );
    }
    const activated = new Set(model.list("directoryRole").map((r) => r["roleTemplateId"]));
    for (const a of model.list("roleAssignment"))
      assert.ok(activated.has(a["roleDefinitionId"]), "every assigned role is activated");
  });

  it("never writes on-premises synced objects", () => {
    const { model } = generateTenant({ size: "s", seed: 4, permissions: [] });
    const synced = new Set(
      model
        .list("user")
        .filter((u: GraphObject) => u["onPremisesSyncEnabled"] === true)
        .map((u) => u.id),
    );
    const changes = mutateTenant(model, { count: 60, seed: 1, now: Date.UTC(2026, 1, 1) });
    for (const c of changes) if (c.kind === "user") assert.ok(!synced.has(c.id), `${c.op} on a synced user`);
  });
});
