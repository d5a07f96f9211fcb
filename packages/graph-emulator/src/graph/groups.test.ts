import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { generateTenant } from "../tenant/generator.ts";
import type { GraphObject } from "../tenant/types.ts";
import { registerGroupMemberRoutes } from "./group-members.ts";
import { registerGroupRoutes } from "./groups.ts";
import { testRouter } from "./test-router.ts";
import { registerUserRoutes } from "./users.ts";

function setup(now?: () => number) {
  const { model } = generateTenant({
    size: "s",
    seed: 11,
    permissions: [],
    counts: { groups: 60, users: 80 },
  });
  return testRouter({
    tenant: model,
    register: [registerUserRoutes, registerGroupRoutes, registerGroupMemberRoutes],
    ...(now ? { now } : {}),
  });
}

type T = ReturnType<typeof setup>;
const errorOf = (body: Record<string, unknown>) => body["error"] as Record<string, unknown>;
const ref = (id: string) => ({ "@odata.id": `https://graph.microsoft.com/v1.0/directoryObjects/${id}` });
const types = (g: GraphObject) => g["groupTypes"] as string[];

function pick(t: T, predicate: (g: GraphObject) => boolean): GraphObject {
  const found = t.tenant.list("group").find(predicate);
  assert.ok(found, "the generated tenant has such a group");
  return found;
}
const assignedSecurity = (t: T) =>
  pick(t, (g) => types(g).length === 0 && g["mailEnabled"] === false && g["onPremisesSyncEnabled"] !== true);
const cloudUser = (t: T, not: ReadonlySet<string> = new Set()) =>
  t.tenant.list("user").find((u) => !not.has(u.id) && u["onPremisesSyncEnabled"] !== true) as GraphObject;

const securityGroup = (extra: Record<string, unknown> = {}) => ({
  displayName: "Finance Approvers",
  mailEnabled: false,
  mailNickname: "finance-approvers",
  securityEnabled: true,
  ...extra,
});

describe("POST /groups", () => {
  it("creates a security group with owners and members bound: 201, id first, Location", async () => {
    const t = setup();
    const [a, b] = t.tenant.list("user") as GraphObject[];
    const reply = await t.call("POST", "/v1.0/groups", {
      body: securityGroup({
        "owners@odata.bind": [`https://graph.microsoft.com/v1.0/users/${a?.id}`],
        "members@odata.bind": [`https://graph.microsoft.com/v1.0/directoryObjects/${b?.id}`],
      }),
    });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    assert.deepEqual(Object.keys(reply.body).slice(0, 2), ["@odata.context", "id"]);
    assert.match(
      String(reply.headers?.["Location"]),
      /\/directoryObjects\/[0-9a-f-]+\/Microsoft\.DirectoryServices\.Group$/,
    );
    const id = String(reply.body["id"]);
    assert.deepEqual([...t.tenant.ownersOf(id)], [a?.id]);
    assert.deepEqual([...t.tenant.membersOf(id)], [b?.id]);
  });

  it("refuses a mailNickname with forbidden characters", async () => {
    const reply = await setup().call("POST", "/v1.0/groups", {
      body: securityGroup({ mailNickname: "bad name@x" }),
    });
    assert.equal(reply.status, 400);
    assert.equal(
      errorOf(reply.body)["message"],
      "Invalid value specified for property 'mailNickname' of resource 'Group'.",
    );
  });

  it("refuses mail-enabled security groups and distribution lists", async () => {
    const t = setup();
    for (const body of [
      securityGroup({ mailEnabled: true }),
      securityGroup({ mailEnabled: true, securityEnabled: false }),
    ]) {
      const reply = await t.call("POST", "/v1.0/groups", { body });
      assert.equal(reply.status, 400);
      assert.match(
        String(errorOf(reply.body)["message"]),
        /does not currently support writes of mail-enabled groups/,
      );
    }
  });

  it("refuses more than 20 members@odata.bind, and unknown bound objects with 404, creating nothing", async () => {
    const t = setup();
    const before = t.tenant.count("group");
    const users = t.tenant.list("user").slice(0, 21);
    const many = await t.call("POST", "/v1.0/groups", {
      body: securityGroup({
        "members@odata.bind": users.map((u) => `https://graph.microsoft.com/v1.0/users/${u.id}`),
      }),
    });
    assert.equal(many.status, 400);
    const unknown = await t.call("POST", "/v1.0/groups", {
      body: securityGroup({
        "members@odata.bind": [
          "https://graph.microsoft.com/v1.0/directoryObjects/11111111-1111-1111-1111-111111111111",
        ],
      }),
    });
    assert.equal(unknown.status, 404);
    assert.equal(errorOf(unknown.body)["code"], "Request_ResourceNotFound");
    assert.equal(t.tenant.count("group"), before);
  });

  it("refuses a second Microsoft 365 group with the same mailNickname", async () => {
    const t = setup();
    const unified = pick(t, (g) => types(g).includes("Unified"));
    const reply = await t.call("POST", "/v1.0/groups", {
      body: {
        displayName: "Dup",
        mailEnabled: true,
        securityEnabled: false,
        groupTypes: ["Unified"],
        mailNickname: unified["mailNickname"],
      },
    });
    assert.equal(reply.status, 400);
    assert.equal(
      errorOf(reply.body)["message"],
      "Another object with the same value for property mailNickname already exists.",
    );
  });
});

describe("members and owners $ref", () => {
  it("adds with 204, refuses a duplicate and removes; removing a non-member is 400", async () => {
    const t = setup();
    const group = assignedSecurity(t);
    const user = cloudUser(t, t.tenant.membersOf(group.id));
    const path = `/v1.0/groups/${group.id}/members/$ref`;
    assert.equal((await t.call("POST", path, { body: ref(user.id) })).status, 204);
    const again = await t.call("POST", path, { body: ref(user.id) });
    assert.equal(again.status, 400);
    assert.equal(
      errorOf(again.body)["message"],
      "One or more added object references already exist for the following modified properties: 'members'.",
    );
    assert.equal((await t.call("DELETE", `/v1.0/groups/${group.id}/members/${user.id}/$ref`)).status, 204);
    const gone = await t.call("DELETE", `/v1.0/groups/${group.id}/members/${user.id}/$ref`);
    assert.equal(gone.status, 400);
    assert.equal(
      errorOf(gone.body)["message"],
      "One or more removed object references do not exist for the following modified properties: 'members'.",
    );
  });

  it("answers 404 for an object that does not exist", async () => {
    const t = setup();
    const group = assignedSecurity(t);
    const reply = await t.call("POST", `/v1.0/groups/${group.id}/members/$ref`, {
      body: ref("22222222-2222-2222-2222-222222222222"),
    });
    assert.equal(reply.status, 404);
    assert.equal(errorOf(reply.body)["code"], "Request_ResourceNotFound");
  });

  it("keeps the last owner of a Microsoft 365 group", async () => {
    const t = setup();
    const group = pick(t, (g) => types(g).includes("Unified") && t.tenant.ownersOf(g.id).size >= 1);
    const owners = [...t.tenant.ownersOf(group.id)];
    for (const owner of owners.slice(1)) t.tenant.removeOwner("group", group.id, owner);
    const reply = await t.call("DELETE", `/v1.0/groups/${group.id}/owners/${owners[0]}/$ref`);
    assert.equal(reply.status, 400);
    assert.match(String(errorOf(reply.body)["message"]), /must have at least one owner/);
    assert.equal(t.tenant.ownersOf(group.id).size, 1);
  });

  it("refuses membership changes on synced, mail-enabled security and dynamic groups", async () => {
    const t = setup();
    const user = cloudUser(t);
    const synced = pick(t, (g) => g["onPremisesSyncEnabled"] === true);
    const syncedReply = await t.call("POST", `/v1.0/groups/${synced.id}/members/$ref`, {
      body: ref(user.id),
    });
    assert.equal(syncedReply.status, 400);
    assert.match(String(errorOf(syncedReply.body)["message"]), /on-premises mastered/);
    const mailSecurity = pick(t, (g) => g["mailEnabled"] === true && !types(g).includes("Unified"));
    const mailReply = await t.call("POST", `/v1.0/groups/${mailSecurity.id}/members/$ref`, {
      body: ref(user.id),
    });
    assert.equal(
      errorOf(mailReply.body)["message"],
      "Cannot Update a mail-enabled security groups and or distribution list.",
    );
    const dynamic = pick(t, (g) => types(g).includes("DynamicMembership"));
    const dynamicReply = await t.call("POST", `/v1.0/groups/${dynamic.id}/members/$ref`, {
      body: ref(user.id),
    });
    assert.equal(dynamicReply.status, 400);
  });

  it("refuses an @odata.id that names no directory object", async () => {
    const t = setup();
    const reply = await t.call("POST", `/v1.0/groups/${assignedSecurity(t).id}/members/$ref`, {
      body: { "@odata.id": "not a url" },
    });
    assert.equal(reply.status, 400);
    assert.equal(errorOf(reply.body)["message"], "Invalid object identifier 'not a url'.");
  });
});

describe("GET members / transitiveMembers / $expand", () => {
  it("lists members as directoryObjects and narrows with a type cast", async () => {
    const t = setup();
    const parent = assignedSecurity(t);
    const child = pick(t, (g) => g.id !== parent.id && types(g).length === 0);
    t.tenant.addMember(parent.id, child.id);
    const all = await t.call("GET", `/v1.0/groups/${parent.id}/members?$top=999`);
    const value = all.body["value"] as Record<string, unknown>[];
    assert.ok(value.some((m) => m["@odata.type"] === "#microsoft.graph.group"));
    for (const item of value) assert.deepEqual(Object.keys(item).slice(0, 2), ["@odata.type", "id"]);
    const users = await t.call("GET", `/v1.0/groups/${parent.id}/members/microsoft.graph.user?$top=999`);
    const onlyUsers = users.body["value"] as Record<string, unknown>[];
    assert.ok(onlyUsers.every((m) => m["@odata.type"] === "#microsoft.graph.user"));
    assert.equal(
      onlyUsers.length,
      value.length - value.filter((m) => m["@odata.type"] !== "#microsoft.graph.user").length,
    );
  });

  it("flattens nesting in transitiveMembers (each member once)", async () => {
    const t = setup();
    const parent = assignedSecurity(t);
    const child = pick(
      t,
      (g) => g.id !== parent.id && types(g).length === 0 && t.tenant.membersOf(g.id).size > 0,
    );
    t.tenant.addMember(parent.id, child.id);
    t.tenant.addMember(child.id, parent.id); // a cycle must not loop
    const reply = await t.call("GET", `/v1.0/groups/${parent.id}/transitiveMembers?$top=999`);
    const ids = (reply.body["value"] as { id: string }[]).map((m) => m.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const id of t.tenant.membersOf(child.id)) if (id !== parent.id) assert.ok(ids.includes(id));
  });

  it("expands at most 20 members with no nextLink", async () => {
    const t = setup();
    const big = [...t.tenant.list("group")].sort(
      (a, b) => t.tenant.membersOf(b.id).size - t.tenant.membersOf(a.id).size,
    )[0] as GraphObject;
    assert.ok(t.tenant.membersOf(big.id).size > 20);
    const reply = await t.call("GET", `/v1.0/groups/${big.id}?$expand=members($select=id)`);
    assert.equal((reply.body["members"] as unknown[]).length, 20);
    assert.equal(reply.body["members@odata.nextLink"], undefined);
  });
});

describe("DELETE /groups/{id}", () => {
  it("deletes security groups for good and Microsoft 365 groups softly", async () => {
    const t = setup();
    const security = assignedSecurity(t);
    const unified = pick(t, (g) => types(g).includes("Unified"));
    assert.equal((await t.call("DELETE", `/v1.0/groups/${security.id}`)).status, 204);
    assert.equal((await t.call("DELETE", `/v1.0/groups/${unified.id}`)).status, 204);
    assert.equal(t.tenant.getDeleted(security.id), undefined);
    assert.equal(t.tenant.getDeleted(unified.id)?.kind, "group");
    assert.equal((await t.call("GET", `/v1.0/groups/${unified.id}`)).status, 404);
  });
});

describe("replication lag", () => {
  it("answers 404 for a just-created user until it has replicated", async () => {
    let now = 1_000_000;
    const t = setup(() => now);
    t.faults.configure({ replicationLagMs: 2000 });
    const created = await t.call("POST", "/v1.0/users", {
      body: {
        accountEnabled: true,
        displayName: "Fresh",
        mailNickname: "fresh",
        userPrincipalName: "fresh@contoso.com",
        passwordProfile: { password: "Str0ng!Passw0rd" },
      },
    });
    assert.equal(created.status, 201);
    const group = assignedSecurity(t);
    const early = await t.call("POST", `/v1.0/groups/${group.id}/members/$ref`, {
      body: ref(String(created.body["id"])),
    });
    assert.equal(early.status, 404);
    now += 2500;
    const later = await t.call("POST", `/v1.0/groups/${group.id}/members/$ref`, {
      body: ref(String(created.body["id"])),
    });
    assert.equal(later.status, 204);
  });
});
