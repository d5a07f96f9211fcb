import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TEST_ROOT, testRouter } from "../test-router.ts";
import { registerDeltaRoutes } from "./routes.ts";

function seeded(now?: () => number) {
  const t = testRouter({ register: [registerDeltaRoutes], ...(now ? { now } : {}) });
  for (let i = 0; i < 5; i++) {
    t.tenant.insert("user", {
      id: `u${i}`,
      displayName: `User ${i}`,
      userPrincipalName: `u${i}@contoso.com`,
      jobTitle: i % 2 ? "Engineer" : undefined,
      businessPhones: [],
    });
  }
  t.tenant.insert("group", { id: "g1", displayName: "G1", securityEnabled: true, mailEnabled: false });
  t.tenant.addMember("g1", "u1");
  t.tenant.addMember("g1", "u2");
  return t;
}

type Body = Record<string, unknown> & { value: Record<string, unknown>[] };

async function drain(t: ReturnType<typeof seeded>, url: string, headers?: Record<string, string>) {
  const items: Record<string, unknown>[] = [];
  let next: string | undefined = url;
  for (let pages = 0; next && pages < 100; pages++) {
    const reply = await t.call("GET", next, headers ? { headers } : {});
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    const body = reply.body as Body;
    items.push(...body.value);
    if (body["@odata.deltaLink"]) return { items, deltaLink: body["@odata.deltaLink"] as string, reply };
    next = body["@odata.nextLink"] as string | undefined;
  }
  throw new Error("no deltaLink");
}

describe("delta routes", () => {
  it("serves a full round with Graph's shape and links that carry only the token", async () => {
    const t = seeded();
    const { items, deltaLink, reply } = await drain(t, "/v1.0/users/delta?$select=displayName,jobTitle");
    assert.equal(items.length, 5);
    assert.deepEqual(items[0], { displayName: "User 0", id: "u0" });
    assert.deepEqual(items[1], { displayName: "User 1", jobTitle: "Engineer", id: "u1" });
    assert.equal(reply.body["@odata.context"], `${TEST_ROOT}/v1.0/$metadata#users(displayName,jobTitle)`);
    assert.match(deltaLink, /^https:\/\/graph\.test\/v1\.0\/users\/delta\?\$deltatoken=[\w.-]+$/);
  });

  it("answers the fully qualified function name the SDKs use", async () => {
    const t = seeded();
    const { items, deltaLink } = await drain(t, "/v1.0/users/microsoft.graph.delta");
    assert.equal(items.length, 5);
    assert.match(deltaLink, /\/users\/microsoft\.graph\.delta\?\$deltatoken=/);
    const kiota = await drain(t, "/v1.0/users/delta()?$select=displayName");
    assert.equal(kiota.items.length, 5);
    assert.equal((await t.call("GET", "/v1.0/users/delta/nope")).status, 400);
  });

  it("reports later changes from the deltaLink with the options the first request carried", async () => {
    const t = seeded();
    const first = await drain(t, "/v1.0/users/delta?$select=displayName");
    t.tenant.update("user", "u3", { displayName: "Renamed", jobTitle: "Boss" });
    t.tenant.softDelete("user", "u4", Date.now());
    const second = await drain(t, first.deltaLink);
    assert.deepEqual(second.items, [
      { displayName: "Renamed", id: "u3" },
      { id: "u4", "@removed": { reason: "changed" } },
    ]);
    const third = await drain(t, second.deltaLink);
    assert.deepEqual(third.items, []);
  });

  it("sends only changed properties with Prefer: return=minimal and says so", async () => {
    const t = seeded();
    const first = await drain(t, "/v1.0/users/delta?$select=displayName,jobTitle,userPrincipalName");
    t.tenant.update("user", "u1", { jobTitle: "Lead" });
    const second = await drain(t, first.deltaLink, { Prefer: "return=minimal" });
    assert.deepEqual(second.items, [{ jobTitle: "Lead", id: "u1" }]);
    assert.equal(second.reply.headers?.["Preference-Applied"], "return=minimal");
  });

  it("gives only a deltaLink for $deltatoken=latest, from which later changes flow", async () => {
    const t = seeded();
    const latest = await drain(t, "/v1.0/users/delta?$deltatoken=latest&$select=displayName");
    assert.deepEqual(latest.items, []);
    t.tenant.insert("user", { id: "u9", displayName: "New", userPrincipalName: "u9@contoso.com" });
    const next = await drain(t, latest.deltaLink);
    assert.deepEqual(next.items, [{ displayName: "New", id: "u9" }]);
  });

  it("filters by id and refuses other filters and unsupported options", async () => {
    const t = seeded();
    const { items } = await drain(
      t,
      "/v1.0/users/delta?$filter=id eq 'u1' or id eq 'u3'&$select=displayName",
    );
    assert.deepEqual(
      items.map((i) => i["id"]),
      ["u1", "u3"],
    );
    const cases: [string, number, string][] = [
      ["/v1.0/users/delta?$filter=displayName eq 'x'", 400, "Request_UnsupportedQuery"],
      ["/v1.0/users/delta?$filter=id eq", 400, "BadRequest"],
      ["/v1.0/users/delta?$top=5", 400, "BadRequest"],
      ["/v1.0/users/delta?$expand=manager", 400, "BadRequest"],
      ["/v1.0/users/delta?$orderby=displayName", 400, "BadRequest"],
      ["/v1.0/users/delta?$select=nope", 400, "BadRequest"],
      [
        `/v1.0/users/delta?$filter=${Array.from({ length: 51 }, (_, i) => `id eq 'x${i}'`).join(" or ")}`,
        400,
        "Request_UnsupportedQuery",
      ],
    ];
    for (const [url, status, code] of cases) {
      const reply = await t.call("GET", url);
      assert.equal(reply.status, status, url);
      assert.equal((reply.body["error"] as Record<string, unknown>)["code"], code, url);
    }
    const top = await t.call("GET", "/v1.0/users/delta?$top=5");
    assert.match(
      String((top.body["error"] as Record<string, unknown>)["message"]),
      /Query option '\$top' is not allowed/,
    );
  });

  it("reports group members with members@delta and removals", async () => {
    const t = seeded();
    const first = await drain(t, "/v1.0/groups/delta?$select=displayName,members");
    assert.deepEqual(first.items, [
      {
        id: "g1",
        displayName: "G1",
        "members@delta": [
          { "@odata.type": "#microsoft.graph.user", id: "u1" },
          { "@odata.type": "#microsoft.graph.user", id: "u2" },
        ],
      },
    ]);
    t.tenant.removeMember("g1", "u1");
    t.tenant.hardDelete("user", "u2");
    t.tenant.addMember("g1", "u3");
    const second = await drain(t, first.deltaLink);
    assert.deepEqual(second.items, [
      {
        id: "g1",
        displayName: "G1",
        "members@delta": [
          { "@odata.type": "#microsoft.graph.user", id: "u1", "@removed": { reason: "deleted" } },
          { id: "u2", "@removed": { reason: "deleted" } },
          { "@odata.type": "#microsoft.graph.user", id: "u3" },
        ],
      },
    ]);
    const plain = await drain(t, "/v1.0/groups/delta?$select=displayName");
    assert.equal(plain.items[0]?.["members@delta"], undefined);
  });

  it("refuses a tampered or foreign token with syncStateNotFound", async () => {
    const t = seeded();
    const { deltaLink } = await drain(t, "/v1.0/users/delta");
    const token = new URL(deltaLink).searchParams.get("$deltatoken") as string;
    for (const url of [
      `/v1.0/users/delta?$deltatoken=${token.slice(0, -2)}xx`,
      `/v1.0/users/delta?$skiptoken=${token}`,
      `/v1.0/groups/delta?$deltatoken=${token}`,
      "/v1.0/users/delta?$deltatoken=garbage",
    ]) {
      const reply = await t.call("GET", url);
      assert.equal(reply.status, 400, url);
      assert.equal((reply.body["error"] as Record<string, unknown>)["code"], "syncStateNotFound", url);
    }
  });

  it("expires tokens older than the configured TTL", async () => {
    let clock = 1_000_000;
    const t = seeded(() => clock);
    t.faults.configure({ deltaTokenTtlMs: 60_000 });
    const { deltaLink } = await drain(t, "/v1.0/users/delta");
    clock += 59_000;
    const fresh = await drain(t, deltaLink);
    clock += 61_000;
    const expired = await t.call("GET", fresh.deltaLink);
    assert.equal(expired.status, 400);
    const error = expired.body["error"] as Record<string, unknown>;
    assert.equal(error["code"], "syncStateNotFound");
    assert.match(String(error["message"]), /delta token is expired/);
  });

  it("answers 410 resyncRequired with a Location restarting the round once all tokens are expired", async () => {
    const t = seeded();
    const { deltaLink } = await drain(t, "/v1.0/users/delta?$select=displayName&$filter=id eq 'u1'");
    const { expireDeltaTokens } = await import("./routes.ts");
    expireDeltaTokens({ tenant: t.tenant });
    const gone = await t.call("GET", deltaLink);
    assert.equal(gone.status, 410);
    assert.equal((gone.body["error"] as Record<string, unknown>)["code"], "resyncRequired");
    const location = gone.headers?.["Location"] as string;
    assert.equal(
      decodeURIComponent(location),
      `${TEST_ROOT}/v1.0/users/delta?$select=displayName&$filter=id eq 'u1'`,
    );
    const restarted = await drain(t, location);
    assert.deepEqual(restarted.items, [{ displayName: "User 1", id: "u1" }]);
  });

  it("needs a read permission for the kind", async () => {
    const t = seeded();
    const denied = await t.call("GET", "/v1.0/groups/delta", { permissions: ["User.Read.All"] });
    assert.equal(denied.status, 403);
    const allowed = await t.call("GET", "/v1.0/groups/delta", { permissions: ["GroupMember.Read.All"] });
    assert.equal(allowed.status, 200);
  });
});
