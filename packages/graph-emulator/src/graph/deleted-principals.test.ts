/**
 * A soft-deleted principal leaves every live view at once and comes back whole on restore: each route
 * that lists role members, role assignments, eligibilities, app role assignments, group members and
 * licence seats agrees with the control API's snapshot before, during and after the deletion.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { generateTenant } from "../tenant/generator.ts";
import { snapshotOf } from "../tenant/snapshot.ts";
import type { GraphObject } from "../tenant/types.ts";
import { registerGraphRoutes } from "./routes.ts";
import { type TestRouter, testRouter } from "./test-router.ts";

type Item = Record<string, unknown> & { id: string };
type Snapshot = Record<string, (Item & Record<string, unknown>)[]>;

/** Every item of a collection route, following nextLinks. */
async function all(t: TestRouter, url: string): Promise<Item[]> {
  const out: Item[] = [];
  for (let next: string | undefined = url; next; ) {
    const reply = await t.call("GET", next);
    assert.equal(reply.status, 200, `${next}: ${JSON.stringify(reply.body)}`);
    out.push(...(reply.body["value"] as Item[]));
    next = reply.body["@odata.nextLink"] as string | undefined;
  }
  return out;
}

const ids = (items: readonly { id: string }[]) => items.map((i) => i.id).sort();
const sorted = (values: readonly unknown[]) => [...values].map(String).sort();

/** Compares each route with the snapshot; returns the snapshot for further checks. */
async function assertRoutesAgree(t: TestRouter): Promise<Snapshot> {
  const snap = snapshotOf(t.tenant) as Snapshot;
  const byId = (list: string) => new Map((snap[list] ?? []).map((o) => [o.id, o]));
  for (const role of snap["directoryRoles"] ?? []) {
    const members = await all(t, `/v1.0/directoryRoles/${role.id}/members`);
    assert.deepEqual(ids(members), sorted(role["members"] as string[]), `members of ${role["displayName"]}`);
  }
  const base = "/v1.0/roleManagement/directory";
  assert.deepEqual(ids(await all(t, `${base}/roleAssignments`)), ids(snap["roleAssignments"] ?? []));
  assert.deepEqual(
    ids(await all(t, `${base}/roleEligibilitySchedules`)),
    ids(snap["roleEligibilitySchedules"] ?? []),
  );
  const users = byId("users");
  for (const assignment of snap["roleAssignments"] ?? []) {
    assert.ok(
      users.has(assignment["principalId"] as string) ||
        byId("groups").has(assignment["principalId"] as string),
    );
  }
  for (const sp of snap["servicePrincipals"] ?? []) {
    const assigned = await all(t, `/v1.0/servicePrincipals/${sp.id}/appRoleAssignedTo`);
    assert.deepEqual(ids(assigned), ids(sp["appRoleAssignedTo"] as Item[]), `appRoleAssignedTo ${sp.id}`);
  }
  for (const group of snap["groups"] ?? []) {
    const members = await all(t, `/v1.0/groups/${group.id}/members?$select=id`);
    assert.deepEqual(ids(members), sorted(group["members"] as string[]), `members of ${group.id}`);
  }
  const skus = await all(t, "/v1.0/subscribedSkus");
  for (const sku of snap["subscribedSkus"] ?? []) {
    const holders = (snap["users"] ?? []).filter((u) =>
      ((u["assignedLicenses"] as { skuId: string }[] | undefined) ?? []).some(
        (l) => l.skuId === sku["skuId"],
      ),
    ).length;
    assert.equal(sku["consumedUnits"], holders, `seats of ${sku["skuPartNumber"]}: live holders only`);
    assert.equal(skus.find((s) => s.id === sku.id)?.["consumedUnits"], holders);
  }
  return snap;
}

describe("a soft-deleted principal", () => {
  it("vanishes from every route and the snapshot alike, and a restore brings it all back", async () => {
    const { model } = generateTenant({ size: "s", seed: 7, permissions: [] });
    const t = testRouter({ tenant: model, register: [registerGraphRoutes] });
    const user = t.tenant
      .list("user")
      .find(
        (u) =>
          u["onPremisesSyncEnabled"] !== true &&
          Array.isArray(u["assignedLicenses"]) &&
          t.tenant.groupsOf(u.id).size > 0,
      ) as GraphObject;
    const licenses = structuredClone(user["assignedLicenses"]);
    // Give the user one of everything a principal can hold.
    const role = t.tenant.list("directoryRole")[0] as GraphObject;
    const sp = t.tenant.list("servicePrincipal").find((s) => t.tenant.assignmentsOfResource(s.id).length > 0);
    const appRoleId = (sp?.["appRoles"] as { id: string }[] | undefined)?.[0]?.id;
    const writes = [
      await t.call("POST", "/v1.0/roleManagement/directory/roleAssignments", {
        body: { principalId: user.id, roleDefinitionId: role["roleTemplateId"], directoryScopeId: "/" },
      }),
      await t.call("POST", `/v1.0/servicePrincipals/${sp?.id}/appRoleAssignedTo`, {
        body: {
          principalId: user.id,
          resourceId: sp?.id,
          appRoleId: appRoleId ?? "00000000-0000-0000-0000-000000000000",
        },
      }),
      await t.call("POST", "/v1.0/roleManagement/directory/roleEligibilityScheduleRequests", {
        body: {
          action: "adminAssign",
          principalId: user.id,
          roleDefinitionId: role["roleTemplateId"],
          directoryScopeId: "/",
        },
      }),
    ];
    for (const w of writes) assert.equal(w.status, 201, JSON.stringify(w.body));
    const before = await assertRoutesAgree(t);
    const held = (snap: Snapshot) => ({
      roles: (snap["roleAssignments"] ?? []).filter((a) => a["principalId"] === user.id).length,
      eligible: (snap["roleEligibilitySchedules"] ?? []).filter((s) => s["principalId"] === user.id).length,
      apps: (snap["servicePrincipals"] ?? [])
        .flatMap((s) => s["appRoleAssignedTo"] as Item[])
        .filter((a) => a["principalId"] === user.id).length,
      groups: (snap["groups"] ?? []).filter((g) => (g["members"] as string[]).includes(user.id)).length,
    });
    const holdings = held(before);
    assert.ok(
      Object.values(holdings).every((n) => n > 0),
      JSON.stringify(holdings),
    );

    assert.equal((await t.call("DELETE", `/v1.0/users/${user.id}`)).status, 204);
    const during = await assertRoutesAgree(t);
    assert.deepEqual(held(during), { roles: 0, eligible: 0, apps: 0, groups: 0 });
    const deleted = await t.call("GET", `/v1.0/directory/deletedItems/${user.id}`);
    assert.equal(deleted.status, 200);
    assert.deepEqual(
      (during["deletedItems"] ?? []).find((d) => d.id === user.id)?.["assignedLicenses"],
      licenses,
      "the deleted object keeps its licences for restore",
    );
    for (const sku of during["subscribedSkus"] ?? []) {
      const was = (before["subscribedSkus"] ?? []).find((s) => s.id === sku.id)?.["consumedUnits"] as number;
      const freed = (licenses as { skuId: string }[]).some((l) => l.skuId === sku["skuId"]) ? 1 : 0;
      assert.equal(sku["consumedUnits"], was - freed, "its seats are free while it is deleted");
    }

    const restored = await t.call("POST", `/v1.0/directory/deletedItems/${user.id}/restore`);
    assert.equal(restored.status, 200);
    const after = await assertRoutesAgree(t);
    assert.deepEqual(held(after), holdings);
    assert.deepEqual((after["users"] ?? []).find((u) => u.id === user.id)?.["assignedLicenses"], licenses);
    assert.deepEqual(
      (after["subscribedSkus"] ?? []).map((s) => s["consumedUnits"]),
      (before["subscribedSkus"] ?? []).map((s) => s["consumedUnits"]),
    );
  });

  it("a permanent delete drops what it held for good", () => {
    const { model } = generateTenant({ size: "s", seed: 7, permissions: [] });
    const holder = model.list("appRoleAssignment")[0] as GraphObject;
    const principalId = holder["principalId"] as string;
    const kind = model.get("user", principalId) ? "user" : "group";
    const held = model.assignmentsOfPrincipal(principalId).length;
    assert.ok(held > 0);
    model.softDelete(kind, principalId, Date.now());
    assert.equal(model.assignmentsOfPrincipal(principalId).length, 0);
    assert.equal(
      model.getDeleted(principalId)?.held.filter((h) => h.kind === "appRoleAssignment").length,
      held,
    );
    model.hardDelete(kind, principalId);
    assert.equal(model.getDeleted(principalId), undefined);
    assert.equal(model.get("appRoleAssignment", holder.id), undefined);
  });
});
