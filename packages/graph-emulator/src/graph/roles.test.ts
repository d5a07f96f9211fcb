import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { generateTenant } from "../tenant/generator.ts";
import type { GraphObject } from "../tenant/types.ts";
import { registerApplicationRoutes } from "./applications.ts";
import { registerOrganizationRoutes } from "./organization.ts";
import { registerRoleEligibilityRoutes } from "./role-eligibility.ts";
import { registerRoleManagementRoutes } from "./role-management.ts";
import { registerDirectoryRoleRoutes } from "./roles.ts";
import { testRouter } from "./test-router.ts";

const READ = [
  "Directory.Read.All",
  "RoleManagement.Read.Directory",
  "RoleEligibilitySchedule.Read.Directory",
];

function setup(p2 = true) {
  const { model } = generateTenant({ size: "s", seed: 7, permissions: [], p2 });
  return testRouter({
    tenant: model,
    register: [
      registerOrganizationRoutes,
      registerApplicationRoutes,
      registerDirectoryRoleRoutes,
      registerRoleManagementRoutes,
      registerRoleEligibilityRoutes,
    ],
  });
}

type Body = Record<string, unknown> & { value: Record<string, unknown>[] };
const errorCode = (reply: { body: Record<string, unknown> }) =>
  (reply.body["error"] as Record<string, unknown>)?.["code"];

function member(t: ReturnType<typeof setup>, assigned = false): GraphObject {
  const holders = new Set(t.tenant.list("roleAssignment").map((a) => a["principalId"]));
  const user = t.tenant
    .list("user")
    .find((u) => u["userType"] === "Member" && holders.has(u.id) === assigned);
  assert.ok(user);
  return user;
}

describe("organization and applications", () => {
  it("answers the tenant as a one-item collection with its verified domains", async () => {
    const t = setup();
    const list = await t.call("GET", "/v1.0/organization", { permissions: ["User.Read.All"] });
    assert.equal(list.status, 200);
    const [org] = (list.body as Body).value;
    assert.equal(org?.["id"], t.tenant.info.id);
    assert.equal(Object.keys(org ?? {})[0], "id");
    const domains = org?.["verifiedDomains"] as Record<string, unknown>[];
    assert.deepEqual(
      domains.map((d) => [d["name"], d["isInitial"], d["isDefault"]]),
      [
        ["contoso.onmicrosoft.com", true, false],
        ["contoso.com", false, true],
      ],
    );
    assert.equal((await t.call("GET", `/v1.0/organization/${t.tenant.info.id}`)).status, 200);
    const selected = await t.call("GET", "/v1.0/organization?$select=displayName,id");
    assert.match(String(selected.body["@odata.context"]), /#organization\(displayName,id\)$/);
    assert.deepEqual(Object.keys((selected.body as Body).value[0] ?? {}), ["id", "displayName"]);
    assert.equal((await t.call("GET", "/v1.0/organization?$filter=id eq 'x'")).status, 400);
    assert.equal((await t.call("GET", "/v1.0/organization/nope")).status, 404);
    assert.equal(
      (await t.call("GET", "/v1.0/organization", { permissions: ["Application.Read.All"] })).status,
      403,
    );
  });

  it("lists and gets app registrations", async () => {
    const t = setup();
    const list = await t.call("GET", "/v1.0/applications?$select=displayName,appId", { permissions: READ });
    const value = (list.body as Body).value;
    assert.equal(value.length, t.tenant.count("application"));
    assert.match(String(list.body["@odata.context"]), /\$metadata#applications\(displayName,appId\)$/);
    const app = t.tenant.list("application")[0] as GraphObject;
    const one = await t.call("GET", `/v1.0/applications/${app.id}`, { permissions: READ });
    assert.equal(one.body["appId"], app["appId"]);
    assert.equal((await t.call("GET", "/v1.0/applications/missing", { permissions: READ })).status, 404);
    const byAppId = await t.call("GET", `/v1.0/applications(appId='${app["appId"]}')`, { permissions: READ });
    assert.equal(byAppId.body["id"], app.id);
  });
});

describe("directory roles", () => {
  it("lists activated roles, takes no query options, and addresses roles by template id", async () => {
    const t = setup();
    const list = await t.call("GET", "/v1.0/directoryRoles", { permissions: READ });
    const roles = (list.body as Body).value;
    assert.equal(roles.length, t.tenant.count("directoryRole"));
    assert.deepEqual(Object.keys(roles[0] ?? {}), [
      "id",
      "deletedDateTime",
      "description",
      "displayName",
      "roleTemplateId",
    ]);
    assert.equal(list.body["@odata.nextLink"], undefined);
    const select = await t.call("GET", "/v1.0/directoryRoles?$select=displayName", { permissions: READ });
    assert.equal(select.status, 400);
    const admin = roles.find((r) => r["displayName"] === "Global Administrator") as Record<string, unknown>;
    const byTemplate = await t.call("GET", `/v1.0/directoryRoles/roleTemplateId=${admin["roleTemplateId"]}`, {
      permissions: READ,
    });
    assert.equal(byTemplate.body["id"], admin["id"]);
    const members = await t.call("GET", `/v1.0/directoryRoles/${admin["id"]}/members`, { permissions: READ });
    const expected = t.tenant
      .list("roleAssignment")
      .filter((a) => a["roleDefinitionId"] === admin["roleTemplateId"])
      .map((a) => a["principalId"]);
    const got = (members.body as Body).value;
    assert.deepEqual(got.map((m) => m["id"]).sort(), [...expected].sort());
    assert.equal(got[0]?.["@odata.type"], "#microsoft.graph.user");
  });

  it("activates a role from its template once", async () => {
    const t = setup();
    const active = new Set(t.tenant.list("directoryRole").map((r) => r["roleTemplateId"]));
    const inactive = t.tenant.list("roleDefinition").find((d) => !active.has(d["templateId"])) as GraphObject;
    const created = await t.call("POST", "/v1.0/directoryRoles", {
      body: { roleTemplateId: inactive["templateId"] },
    });
    assert.equal(created.status, 201);
    assert.equal(created.body["displayName"], inactive["displayName"]);
    assert.deepEqual(Object.keys(created.body).slice(1, 3), ["id", "deletedDateTime"]);
    const again = await t.call("POST", "/v1.0/directoryRoles", {
      body: { roleTemplateId: inactive["templateId"] },
    });
    assert.equal(again.status, 400);
    const unknown = await t.call("POST", "/v1.0/directoryRoles", { body: { roleTemplateId: "nope" } });
    assert.equal(unknown.status, 400);
    const readOnly = await t.call("POST", "/v1.0/directoryRoles", {
      body: { roleTemplateId: "x" },
      permissions: READ,
    });
    assert.equal(readOnly.status, 403);
  });

  it("adds and removes members by $ref, kept in step with role assignments", async () => {
    const t = setup();
    const role = t.tenant.list("directoryRole")[1] as GraphObject;
    const user = member(t);
    const ref = { "@odata.id": `https://graph.microsoft.com/v1.0/directoryObjects/${user.id}` };
    const url = `/v1.0/directoryRoles/${role.id}/members`;
    assert.equal((await t.call("POST", `${url}/$ref`, { body: ref })).status, 204);
    assert.equal((await t.call("POST", `${url}/$ref`, { body: ref })).status, 400);
    const assignments = await t.call(
      "GET",
      `/v1.0/roleManagement/directory/roleAssignments?$filter=principalId eq '${user.id}'`,
    );
    assert.deepEqual(
      (assignments.body as Body).value.map((a) => a["roleDefinitionId"]),
      [role["roleTemplateId"]],
    );
    assert.equal((await t.call("DELETE", `${url}/${user.id}/$ref`)).status, 204);
    assert.equal((await t.call("DELETE", `${url}/${user.id}/$ref`)).status, 400);
  });
});

describe("role management", () => {
  it("lists role definitions and assignments, filtered by principal or role", async () => {
    const t = setup();
    const defs = await t.call("GET", "/v1.0/roleManagement/directory/roleDefinitions", { permissions: READ });
    assert.equal((defs.body as Body).value.length, t.tenant.count("roleDefinition"));
    const admin = "62e90394-69f5-4237-9190-012177145e10";
    const filtered = await t.call(
      "GET",
      `/v1.0/roleManagement/directory/roleAssignments?$filter=roleDefinitionId eq '${admin}'`,
      { permissions: READ },
    );
    const value = (filtered.body as Body).value;
    assert.ok(value.length >= 1);
    assert.ok(value.every((a) => a["roleDefinitionId"] === admin));
    const page = await t.call("GET", "/v1.0/roleManagement/directory/roleAssignments?$top=2", {
      permissions: READ,
    });
    assert.equal((page.body as Body).value.length, 2);
    assert.ok(page.body["@odata.nextLink"]);
  });

  it("creates (201) and deletes (204) an assignment, activating the role and refusing duplicates", async () => {
    const t = setup();
    const active = new Set(t.tenant.list("directoryRole").map((r) => r["roleTemplateId"]));
    const definition = t.tenant
      .list("roleDefinition")
      .find((d) => !active.has(d["templateId"])) as GraphObject;
    const user = member(t);
    const body = { principalId: user.id, roleDefinitionId: definition.id, directoryScopeId: "/" };
    const url = "/v1.0/roleManagement/directory/roleAssignments";
    const created = await t.call("POST", url, { body });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body["principalId"], user.id);
    assert.ok(t.tenant.list("directoryRole").some((r) => r["roleTemplateId"] === definition["templateId"]));
    const duplicate = await t.call("POST", url, { body });
    assert.equal(duplicate.status, 400);
    assert.match(
      String((duplicate.body["error"] as Record<string, unknown>)["message"]),
      /conflicting object/,
    );
    const id = created.body["id"] as string;
    assert.equal((await t.call("GET", `${url}/${id}`)).status, 200);
    assert.equal((await t.call("DELETE", `${url}/${id}`)).status, 204);
    assert.equal((await t.call("DELETE", `${url}/${id}`)).status, 404);
  });

  it("validates assignment requests", async () => {
    const t = setup();
    const url = "/v1.0/roleManagement/directory/roleAssignments";
    const user = member(t);
    const role = "62e90394-69f5-4237-9190-012177145e10";
    const cases: [Record<string, unknown>, number][] = [
      [{ principalId: "nobody", roleDefinitionId: role, directoryScopeId: "/" }, 404],
      [{ principalId: user.id, roleDefinitionId: "no-role", directoryScopeId: "/" }, 404],
      [{ principalId: user.id, roleDefinitionId: role, directoryScopeId: "/administrativeUnits/x" }, 400],
      [{ principalId: user.id, roleDefinitionId: role }, 400],
      [{ principalId: user.id, roleDefinitionId: role, directoryScopeId: "/", extra: 1 }, 400],
    ];
    for (const [body, status] of cases) {
      assert.equal((await t.call("POST", url, { body })).status, status, JSON.stringify(body));
    }
    const readOnly = await t.call("POST", url, { body: cases[0]?.[0], permissions: READ });
    assert.equal(readOnly.status, 403);
  });
});

describe("role eligibility (PIM)", () => {
  const requests = "/v1.0/roleManagement/directory/roleEligibilityScheduleRequests";
  const schedules = "/v1.0/roleManagement/directory/roleEligibilitySchedules";

  it("assigns and removes eligibility through schedule requests", async () => {
    const t = setup();
    const before = (await t.call("GET", schedules, { permissions: READ })).body as Body;
    assert.equal(before.value.length, t.tenant.count("roleEligibilitySchedule"));
    const user = member(t, false);
    const body = {
      action: "adminAssign",
      principalId: user.id,
      roleDefinitionId: "fe930be7-5e62-47db-91af-98c3a49a38b1",
      directoryScopeId: "/",
      justification: "on call",
      scheduleInfo: {
        startDateTime: "2026-01-01T00:00:00Z",
        expiration: { type: "afterDateTime", endDateTime: "2027-01-01T00:00:00Z" },
      },
    };
    const assigned = await t.call("POST", requests, { body });
    assert.equal(assigned.status, 201, JSON.stringify(assigned.body));
    assert.equal(assigned.body["status"], "Provisioned");
    const schedule = await t.call("GET", `${schedules}/${assigned.body["targetScheduleId"]}`);
    assert.equal(schedule.body["principalId"], user.id);
    assert.equal(
      (schedule.body["scheduleInfo"] as Record<string, Record<string, unknown>>)["expiration"]?.["type"],
      "afterDateTime",
    );
    const duplicate = await t.call("POST", requests, { body });
    assert.equal(errorCode(duplicate), "RoleAssignmentExists");
    const removed = await t.call("POST", requests, { body: { ...body, action: "adminRemove" } });
    assert.equal(removed.status, 201);
    assert.equal(removed.body["status"], "Revoked");
    const again = await t.call("POST", requests, { body: { ...body, action: "adminRemove" } });
    assert.equal(errorCode(again), "RoleAssignmentDoesNotExist");
    const bad = await t.call("POST", requests, { body: { ...body, action: "selfActivate?" } });
    assert.equal(bad.status, 400);
  });

  it("answers 403 without an Entra ID P2 licence", async () => {
    const t = setup(false);
    const list = await t.call("GET", schedules);
    assert.equal(list.status, 403);
    assert.equal(errorCode(list), "AadPremiumLicenseRequired");
    const post = await t.call("POST", requests, { body: { action: "adminAssign" } });
    assert.equal(post.status, 403);
  });
});
