import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { generateTenant } from "../tenant/generator.ts";
import type { GraphObject } from "../tenant/types.ts";
import { registerGroupMemberRoutes } from "./group-members.ts";
import { registerGroupRoutes } from "./groups.ts";
import { PERMISSION_PRESETS } from "./permissions.ts";
import { testRouter } from "./test-router.ts";
import { registerUserRoutes } from "./users.ts";

const DEFAULT_USER_KEYS = [
  "businessPhones",
  "displayName",
  "givenName",
  "jobTitle",
  "mail",
  "mobilePhone",
  "officeLocation",
  "preferredLanguage",
  "surname",
  "userPrincipalName",
  "id",
];

function setup(now?: () => number) {
  const { model } = generateTenant({ size: "s", seed: 7, permissions: [] });
  return testRouter({
    tenant: model,
    register: [registerUserRoutes, registerGroupRoutes, registerGroupMemberRoutes],
    ...(now ? { now } : {}),
  });
}

const newUser = (upn: string, extra: Record<string, unknown> = {}) => ({
  accountEnabled: true,
  displayName: "New Person",
  mailNickname: "newperson",
  userPrincipalName: upn,
  passwordProfile: { password: "Str0ng!Passw0rd", forceChangePasswordNextSignIn: true },
  ...extra,
});

const errorOf = (body: Record<string, unknown>) => body["error"] as Record<string, unknown>;

describe("GET /users", () => {
  it("answers the 11 default properties with id last, unset ones as null / []", async () => {
    const t = setup();
    const reply = await t.call("GET", "/v1.0/users?$top=5");
    assert.equal(reply.status, 200);
    const value = reply.body["value"] as Record<string, unknown>[];
    assert.equal(value.length, 5);
    for (const user of value) assert.deepEqual(Object.keys(user), DEFAULT_USER_KEYS);
    assert.equal(reply.body["@odata.context"], "https://graph.test/v1.0/$metadata#users");
  });

  it("pages through every user exactly once by following nextLink", async () => {
    const t = setup();
    const seen = new Set<string>();
    let url: string | undefined = "/v1.0/users?$top=7&$select=id,displayName";
    let pages = 0;
    while (url) {
      const reply = await t.call("GET", url);
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      for (const user of reply.body["value"] as { id: string }[]) {
        assert.ok(!seen.has(user.id), "no user twice");
        seen.add(user.id);
      }
      url = reply.body["@odata.nextLink"] as string | undefined;
      if (url) assert.match(url, /\?\$top=7&\$select=id,displayName&\$skiptoken=[^&]+$/);
      pages += 1;
    }
    assert.equal(seen.size, t.tenant.count("user"));
    assert.ok(pages > 1);
  });

  it("echoes $select in @odata.context and keeps the client's order", async () => {
    const t = setup();
    const reply = await t.call("GET", "/v1.0/users?$select=displayName,accountEnabled,id&$top=1");
    assert.equal(
      reply.body["@odata.context"],
      "https://graph.test/v1.0/$metadata#users(displayName,accountEnabled,id)",
    );
    assert.deepEqual(Object.keys((reply.body["value"] as object[])[0] as object), [
      "displayName",
      "accountEnabled",
      "id",
    ]);
  });

  it("refuses $top=1000 with Graph's message", async () => {
    const reply = await setup().call("GET", "/v1.0/users?$top=1000");
    assert.equal(reply.status, 400);
    assert.equal(errorOf(reply.body)["code"], "Request_UnsupportedQuery");
    assert.equal(
      errorOf(reply.body)["message"],
      "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive.",
    );
  });

  it("enforces the default-vs-advanced query rules with Graph's errors", async () => {
    const t = setup();
    const eventual = { ConsistencyLevel: "eventual" };
    const endsWith = await t.call("GET", "/v1.0/users?$filter=endsWith(mail,'@contoso.com')");
    assert.equal(endsWith.status, 400);
    assert.equal(errorOf(endsWith.body)["code"], "Request_UnsupportedQuery");
    assert.match(
      String(errorOf(endsWith.body)["message"]),
      /^Operator 'endsWith' is not supported because the required parameters/,
    );
    const advanced = await t.call("GET", "/v1.0/users?$filter=endsWith(mail,'@contoso.com')&$count=true", {
      headers: eventual,
    });
    assert.equal(advanced.status, 200);
    const search = await t.call("GET", '/v1.0/users?$search="displayName:ann"');
    assert.equal(search.status, 400);
    assert.match(String(errorOf(search.body)["message"]), /ConsistencyLevel: eventual/);
    const sorted = await t.call("GET", "/v1.0/users?$filter=userType eq 'Member'&$orderby=displayName");
    assert.equal(errorOf(sorted.body)["message"], "Sorting not supported for current query.");
    const expand = await t.call("GET", "/v1.0/users?$expand=manager&$count=true", { headers: eventual });
    assert.equal(expand.status, 400);
    const ignored = await t.call("GET", "/v1.0/users?$count=true&$top=1");
    assert.equal(ignored.status, 200);
    assert.equal(ignored.body["@odata.count"], undefined, "$count=true without the header is ignored");
  });

  it("counts only with ConsistencyLevel: eventual, as text", async () => {
    const t = setup();
    const refused = await t.call("GET", "/v1.0/users/$count");
    assert.equal(refused.status, 400);
    assert.equal(errorOf(refused.body)["message"], "$count is not currently supported.");
    const counted = await t.call("GET", "/v1.0/users/$count", { headers: { ConsistencyLevel: "eventual" } });
    assert.equal(counted.status, 200);
    assert.equal(counted.body as unknown, String(t.tenant.count("user")));
  });

  it("adds @odata.count on the first page of an advanced query only", async () => {
    const t = setup();
    const headers = { ConsistencyLevel: "eventual" };
    const first = await t.call("GET", "/v1.0/users?$count=true&$top=5&$filter=userType eq 'Member'", {
      headers,
    });
    const members = t.tenant.list("user").filter((u) => u["userType"] === "Member").length;
    assert.equal(first.body["@odata.count"], members);
    const next = new URL(first.body["@odata.nextLink"] as string);
    const second = await t.call("GET", next.pathname + next.search, { headers });
    assert.equal(second.body["@odata.count"], undefined);
  });

  it("expands the manager", async () => {
    const t = setup();
    const user = t.tenant.list("user").find((u) => t.tenant.managerOf(u.id) !== undefined) as GraphObject;
    const reply = await t.call("GET", `/v1.0/users/${user.id}?$expand=manager($select=id,displayName)`);
    const manager = reply.body["manager"] as Record<string, unknown>;
    assert.equal(manager["id"], t.tenant.managerOf(user.id));
    assert.equal(manager["@odata.type"], "#microsoft.graph.user");
  });
});

describe("GET /users/{id | userPrincipalName}", () => {
  it("finds a user by id and by UPN, and 404s an unknown one with Graph's message", async () => {
    const t = setup();
    const user = t.tenant.list("user")[3] as GraphObject;
    const byId = await t.call("GET", `/v1.0/users/${user.id}`);
    assert.equal(byId.body["@odata.context"], "https://graph.test/v1.0/$metadata#users/$entity");
    const byUpn = await t.call("GET", `/v1.0/users/${encodeURIComponent(String(user["userPrincipalName"]))}`);
    assert.equal(byUpn.body["id"], user.id);
    const missing = await t.call("GET", "/v1.0/users/00000000-0000-0000-0000-000000000001");
    assert.equal(missing.status, 404);
    assert.equal(errorOf(missing.body)["code"], "Request_ResourceNotFound");
    assert.equal(
      errorOf(missing.body)["message"],
      "Resource '00000000-0000-0000-0000-000000000001' does not exist or one of its queried reference-property objects are not present.",
    );
  });

  it("addresses a $-prefixed UPN as users('…') and a guest UPN with %23EXT%23", async () => {
    const t = setup();
    const created = await t.call("POST", "/v1.0/users", {
      body: newUser("$svc@contoso.com", { mailNickname: "svc" }),
    });
    assert.equal(created.status, 201);
    const dollar = await t.call("GET", "/v1.0/users('$svc@contoso.com')");
    assert.equal(dollar.body["id"], created.body["id"]);
    const guest = t.tenant.list("user").find((u) => u["userType"] === "Guest") as GraphObject;
    const encoded = String(guest["userPrincipalName"]).replace("#", "%23").replace("#", "%23");
    const byGuestUpn = await t.call("GET", `/v1.0/users/${encoded}`);
    assert.equal(byGuestUpn.body["id"], guest.id);
  });
});

describe("POST /users", () => {
  it("creates a user: 201, id right after @odata.context, Location to the directory object", async () => {
    const t = setup();
    const reply = await t.call("POST", "/v1.0/users", { body: newUser("new.person@contoso.com") });
    assert.equal(reply.status, 201);
    const keys = Object.keys(reply.body);
    assert.deepEqual(keys.slice(0, 2), ["@odata.context", "id"]);
    assert.equal(reply.body["@odata.context"], "https://graph.test/v1.0/$metadata#users/$entity");
    assert.equal(
      reply.headers?.["Location"],
      `https://graph.test/v1.0/${t.tenant.info.id}/directoryObjects/${reply.body["id"]}/Microsoft.DirectoryServices.User`,
    );
    assert.equal(reply.body["passwordProfile"], undefined, "the password is never echoed");
    assert.ok(t.tenant.findUserByUpn("new.person@contoso.com"));
  });

  it("refuses a taken userPrincipalName with ObjectConflict details", async () => {
    const t = setup();
    const upn = String((t.tenant.list("user")[2] as GraphObject)["userPrincipalName"]);
    const reply = await t.call("POST", "/v1.0/users", { body: newUser(upn) });
    assert.equal(reply.status, 400);
    const error = errorOf(reply.body);
    assert.equal(error["code"], "Request_BadRequest");
    assert.equal(
      error["message"],
      "Another object with the same value for property userPrincipalName already exists.",
    );
    assert.deepEqual((error["details"] as Record<string, unknown>[])[0], {
      code: "ObjectConflict",
      message: "Another object with the same value for property userPrincipalName already exists.",
      target: "userPrincipalName",
    });
    assert.match(
      String((error["innerError"] as Record<string, unknown>)["date"]),
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/,
    );
  });

  it("refuses an unverified domain, a weak password, a missing field and an unknown property", async () => {
    const t = setup();
    const domain = await t.call("POST", "/v1.0/users", { body: newUser("x@fabrikam.com") });
    assert.equal(
      errorOf(domain.body)["message"],
      "The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization.",
    );
    const weak = await t.call("POST", "/v1.0/users", {
      body: newUser("weak@contoso.com", { passwordProfile: { password: "password" } }),
    });
    assert.equal(
      errorOf(weak.body)["message"],
      "The specified password does not comply with password complexity requirements. Please provide a different password.",
    );
    const { mailNickname: _m, ...noNick } = newUser("nonick@contoso.com");
    const missing = await t.call("POST", "/v1.0/users", { body: noNick });
    assert.equal(missing.status, 400);
    assert.match(String(errorOf(missing.body)["message"]), /mailNickname/);
    const unknown = await t.call("POST", "/v1.0/users", {
      body: newUser("u@contoso.com", { favouriteColour: "blue" }),
    });
    assert.equal(unknown.status, 400);
    assert.match(String(errorOf(unknown.body)["message"]), /favouriteColour/);
    assert.equal(t.tenant.findUserByUpn("u@contoso.com"), undefined, "nothing half-written");
  });

  it("needs a write permission: 403 Authorization_RequestDenied with read only", async () => {
    const t = setup();
    const reply = await t.call("POST", "/v1.0/users", {
      body: newUser("p@contoso.com"),
      permissions: PERMISSION_PRESETS.read,
    });
    assert.equal(reply.status, 403);
    assert.equal(errorOf(reply.body)["code"], "Authorization_RequestDenied");
    assert.equal(errorOf(reply.body)["message"], "Insufficient privileges to complete the operation.");
  });
});

describe("PATCH and DELETE /users/{id}", () => {
  it("updates with 204 and no body; disables with accountEnabled false", async () => {
    const t = setup();
    const user = t.tenant.list("user").find((u) => u["onPremisesSyncEnabled"] !== true) as GraphObject;
    const reply = await t.call("PATCH", `/v1.0/users/${user.id}`, {
      body: { accountEnabled: false, jobTitle: "Boss" },
    });
    assert.equal(reply.status, 204);
    assert.equal(reply.body, undefined);
    assert.equal(t.tenant.get("user", user.id)?.["accountEnabled"], false);
    assert.equal(t.tenant.get("user", user.id)?.["jobTitle"], "Boss");
  });

  it("refuses to clear the usage location of a licensed user", async () => {
    const t = setup();
    const licensed = t.tenant
      .list("user")
      .find(
        (u) => Array.isArray(u["assignedLicenses"]) && u["onPremisesSyncEnabled"] !== true,
      ) as GraphObject;
    const reply = await t.call("PATCH", `/v1.0/users/${licensed.id}`, { body: { usageLocation: null } });
    assert.equal(reply.status, 400);
    assert.equal(
      errorOf(reply.body)["message"],
      "License assignment cannot be done for user with invalid usage location.",
    );
  });

  it("refuses writes to on-premises mastered users", async () => {
    const t = setup();
    const synced = t.tenant.list("user").find((u) => u["onPremisesSyncEnabled"] === true) as GraphObject;
    const reply = await t.call("PATCH", `/v1.0/users/${synced.id}`, { body: { displayName: "Changed" } });
    assert.equal(reply.status, 400);
    assert.equal(
      errorOf(reply.body)["message"],
      "Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.",
    );
    const cloudOnly = await t.call("PATCH", `/v1.0/users/${synced.id}`, { body: { usageLocation: "DE" } });
    assert.equal(cloudOnly.status, 204, "usageLocation stays writable in the cloud");
  });

  it("soft-deletes: 204, then 404, and the user is in deleted items", async () => {
    const t = setup();
    const user = t.tenant.list("user")[5] as GraphObject;
    assert.equal((await t.call("DELETE", `/v1.0/users/${user.id}`)).status, 204);
    assert.equal((await t.call("GET", `/v1.0/users/${user.id}`)).status, 404);
    assert.equal(t.tenant.getDeleted(user.id)?.kind, "user");
  });
});

describe("memberOf", () => {
  it("lists groups as directoryObjects with @odata.type first, then id", async () => {
    const t = setup();
    const user = t.tenant.list("user").find((u) => t.tenant.groupsOf(u.id).size > 0) as GraphObject;
    const reply = await t.call("GET", `/v1.0/users/${user.id}/memberOf`);
    assert.equal(reply.body["@odata.context"], "https://graph.test/v1.0/$metadata#directoryObjects");
    const value = reply.body["value"] as Record<string, unknown>[];
    assert.equal(value.length, t.tenant.groupsOf(user.id).size);
    for (const item of value) assert.deepEqual(Object.keys(item).slice(0, 2), ["@odata.type", "id"]);
  });
});

describe("POST /users/{id}/revokeSignInSessions", () => {
  it("answers 200 Edm.Boolean true, revokes through the login service and stamps the user", async () => {
    const t = setup(() => Date.parse("2026-03-01T10:00:00Z"));
    const user = t.tenant.list("user").find((u) => u["onPremisesSyncEnabled"] === true) as GraphObject;
    const reply = await t.call("POST", `/v1.0/users/${user["userPrincipalName"]}/revokeSignInSessions`);
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.body, {
      "@odata.context": "https://graph.test/v1.0/$metadata#Edm.Boolean",
      value: true,
    });
    assert.deepEqual(t.revoked, [user.id], "synced users too: sessions are not mastered on premises");
    assert.equal(t.tenant.get("user", user.id)?.["signInSessionsValidFromDateTime"], "2026-03-01T10:00:00Z");
  });

  it("404 for an unknown user, 403 without a user write permission", async () => {
    const t = setup();
    const unknown = await t.call(
      "POST",
      "/v1.0/users/00000000-0000-0000-0000-000000000bad/revokeSignInSessions",
    );
    assert.equal(unknown.status, 404);
    assert.equal(errorOf(unknown.body)["code"], "Request_ResourceNotFound");
    const user = t.tenant.list("user")[1] as GraphObject;
    for (const permissions of [PERMISSION_PRESETS.read, ["Group.ReadWrite.All"]]) {
      const denied = await t.call("POST", `/v1.0/users/${user.id}/revokeSignInSessions`, { permissions });
      assert.equal(denied.status, 403);
      assert.equal(errorOf(denied.body)["code"], "Authorization_RequestDenied");
    }
    const allowed = await t.call("POST", `/v1.0/users/${user.id}/revokeSignInSessions`, {
      permissions: ["Directory.ReadWrite.All"],
    });
    assert.equal(allowed.status, 200);
    assert.deepEqual(t.revoked, [user.id]);
  });
});
