import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { generateTenant } from "../tenant/generator.ts";
import type { GraphObject } from "../tenant/types.ts";
import { registerServicePrincipalRoutes } from "./service-principals.ts";
import { testRouter } from "./test-router.ts";

const READ = ["Application.Read.All", "User.Read.All", "Group.Read.All"];
const DEFAULT_ROLE = "00000000-0000-0000-0000-000000000000";

function setup() {
  const { model } = generateTenant({ size: "s", seed: 15, permissions: [] });
  return testRouter({ tenant: model, register: [registerServicePrincipalRoutes] });
}

type Body = Record<string, unknown> & { value: Record<string, unknown>[] };
const message = (reply: { body: Record<string, unknown> }) =>
  String((reply.body["error"] as Record<string, unknown>)?.["message"]);

function appWithRoles(t: ReturnType<typeof setup>): GraphObject {
  const sp = t.tenant
    .list("servicePrincipal")
    .find((s) => s["servicePrincipalType"] === "Application" && (s["appRoles"] as unknown[]).length > 0);
  assert.ok(sp, "the generated tenant has an app with roles");
  return sp;
}

function unassignedUser(t: ReturnType<typeof setup>, sp: GraphObject): GraphObject {
  const assigned = new Set(t.tenant.assignmentsOfResource(sp.id).map((a) => a["principalId"]));
  const user = t.tenant.list("user").find((u) => !assigned.has(u.id));
  assert.ok(user);
  return user;
}

describe("service principals", () => {
  it("lists enterprise apps with appRoles and filters by servicePrincipalType", async () => {
    const t = setup();
    const all = await t.call(
      "GET",
      "/v1.0/servicePrincipals?$select=displayName,servicePrincipalType,appRoles",
      {
        permissions: READ,
      },
    );
    assert.equal((all.body as Body).value.length, t.tenant.count("servicePrincipal"));
    const apps = await t.call(
      "GET",
      "/v1.0/servicePrincipals?$filter=servicePrincipalType eq 'Application'",
      {
        permissions: READ,
      },
    );
    const value = (apps.body as Body).value;
    const expected = t.tenant
      .list("servicePrincipal")
      .filter((s) => s["servicePrincipalType"] === "Application");
    assert.ok(expected.length > 0 && expected.length < t.tenant.count("servicePrincipal"));
    assert.deepEqual(
      value.map((s) => s["id"]),
      expected.map((s) => s.id),
    );
    const sp = appWithRoles(t);
    const one = await t.call("GET", `/v1.0/servicePrincipals/${sp.id}`, { permissions: READ });
    assert.deepEqual(one.body["appRoles"], sp["appRoles"]);
    assert.equal(Object.keys(one.body)[1], "id");
    assert.equal((await t.call("GET", "/v1.0/servicePrincipals/nope", { permissions: READ })).status, 404);
    const byAppId = await t.call("GET", `/v1.0/servicePrincipals(appId='${sp["appId"]}')?$select=id`, {
      permissions: READ,
    });
    assert.equal(byAppId.body["id"], sp.id);
    const assigned = await t.call(
      "GET",
      `/v1.0/servicePrincipals(appId='${sp["appId"]}')/appRoleAssignedTo`,
      {
        permissions: READ,
      },
    );
    assert.equal((assigned.body as Body).value.length, t.tenant.assignmentsOfResource(sp.id).length);
    const unknownApp = await t.call("GET", "/v1.0/servicePrincipals(appId='nope')", { permissions: READ });
    assert.equal(unknownApp.status, 404);
    assert.equal(
      (await t.call("GET", "/v1.0/servicePrincipals", { permissions: ["User.Read.All"] })).status,
      403,
    );
  });

  it("pages appRoleAssignedTo and caps its expansion at 20", async () => {
    const t = setup();
    const sp = t.tenant
      .list("servicePrincipal")
      .reduce((best, s) =>
        t.tenant.assignmentsOfResource(s.id).length > t.tenant.assignmentsOfResource(best.id).length
          ? s
          : best,
      );
    const total = t.tenant.assignmentsOfResource(sp.id).length;
    assert.ok(total > 2);
    const ids: unknown[] = [];
    let url: string | undefined = `/v1.0/servicePrincipals/${sp.id}/appRoleAssignedTo?$top=2`;
    while (url) {
      const page = await t.call("GET", url, { permissions: READ });
      assert.equal(page.status, 200);
      if (ids.length === 0) {
        assert.match(
          String(page.body["@odata.context"]),
          /#servicePrincipals\('[^']+'\)\/appRoleAssignedTo$/,
        );
      }
      ids.push(...(page.body as Body).value.map((a) => a["id"]));
      url = page.body["@odata.nextLink"] as string | undefined;
    }
    assert.equal(new Set(ids).size, total);
    const expanded = await t.call("GET", `/v1.0/servicePrincipals/${sp.id}?$expand=appRoleAssignedTo`, {
      permissions: READ,
    });
    assert.equal((expanded.body["appRoleAssignedTo"] as unknown[]).length, Math.min(20, total));
  });

  it("assigns (201) and unassigns (204) app roles, refusing duplicates and unknown roles", async () => {
    const t = setup();
    const sp = appWithRoles(t);
    const user = unassignedUser(t, sp);
    const role = (sp["appRoles"] as { id: string }[])[0]?.id;
    const url = `/v1.0/servicePrincipals/${sp.id}/appRoleAssignedTo`;
    const body = { principalId: user.id, resourceId: sp.id, appRoleId: role };
    const created = await t.call("POST", url, { body });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body["principalType"], "User");
    assert.equal(created.body["principalDisplayName"], user["displayName"]);
    const duplicate = await t.call("POST", url, { body });
    assert.equal(duplicate.status, 400);
    assert.equal(message(duplicate), "Permission being assigned already exists on the object");
    const unknownRole = await t.call("POST", url, {
      body: { ...body, appRoleId: "11111111-1111-1111-1111-111111111111" },
    });
    assert.match(message(unknownRole), /was not found on application/);
    const defaultAccess = await t.call("POST", url, { body: { ...body, appRoleId: DEFAULT_ROLE } });
    assert.equal(defaultAccess.status, 201);
    const wrongResource = await t.call("POST", url, { body: { ...body, resourceId: user.id } });
    assert.equal(wrongResource.status, 400);
    const noPrincipal = await t.call("POST", url, { body: { ...body, principalId: "gone" } });
    assert.equal(noPrincipal.status, 404);
    const readOnly = await t.call("POST", url, { body, permissions: READ });
    assert.equal(readOnly.status, 403);

    const mine = await t.call("GET", `/v1.0/users/${user.id}/appRoleAssignments`, { permissions: READ });
    assert.deepEqual(
      (mine.body as Body).value.map((a) => a["appRoleId"]).sort(),
      [role, DEFAULT_ROLE].sort(),
    );
    const id = created.body["id"] as string;
    assert.equal((await t.call("DELETE", `${url}/${id}`)).status, 204);
    assert.equal((await t.call("DELETE", `${url}/${id}`)).status, 404);
  });

  it("assigns from the principal's side too and lists owners", async () => {
    const t = setup();
    const sp = appWithRoles(t);
    const group = t.tenant.list("group")[0] as GraphObject;
    const url = `/v1.0/groups/${group.id}/appRoleAssignments`;
    const created = await t.call("POST", url, {
      body: { principalId: group.id, resourceId: sp.id, appRoleId: DEFAULT_ROLE },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body["principalType"], "Group");
    const mismatch = await t.call("POST", url, {
      body: { principalId: "x", resourceId: sp.id, appRoleId: DEFAULT_ROLE },
    });
    assert.equal(mismatch.status, 400);
    assert.equal((await t.call("DELETE", `${url}/${created.body["id"]}`)).status, 204);

    const owned = t.tenant.list("servicePrincipal").find((s) => t.tenant.ownersOf(s.id).size > 0);
    if (owned) {
      const owners = await t.call("GET", `/v1.0/servicePrincipals/${owned.id}/owners`, { permissions: READ });
      assert.deepEqual(
        (owners.body as Body).value.map((o) => o["id"]),
        [...t.tenant.ownersOf(owned.id)],
      );
    }
  });
});
