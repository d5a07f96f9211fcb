import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { Agent, fetch as undiciFetch } from "undici";
import { appToken, delegatedTokens, type Emulator, refreshDelegated, startEmulator } from "./index.ts";
import { GRAPH_JSON } from "./server.ts";

let emu: Emulator;
let agent: Agent;
let token: string;

async function call(
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
) {
  const response = await undiciFetch(`${emu.graphRoot}${path}`, {
    method: init.method ?? "GET",
    headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) },
    ...(init.body !== undefined ? { body: init.body } : {}),
    dispatcher: agent,
  });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = { text };
  }
  return { status: response.status, headers: response.headers, body, text };
}

const acquireToken = (clientId: string, clientSecret: string) =>
  appToken(emu, { dispatcher: agent, clientId, clientSecret });

async function control(path: string, body?: unknown) {
  const response = await undiciFetch(`${emu.controlUrl}/${path}`, {
    method: body === undefined ? "GET" : "POST",
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    dispatcher: agent,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const errorOf = (body: Record<string, unknown>) => body["error"] as Record<string, unknown>;

before(async () => {
  emu = await startEmulator({ size: "s", seed: 1 });
  agent = new Agent({ connect: { ca: readFileSync(emu.caFile) } });
  token = await acquireToken(emu.clientId, emu.clientSecret);
});
after(async () => {
  await agent.close();
  await emu.close();
});

describe("startEmulator", () => {
  it("describes how to reach it", () => {
    assert.match(emu.authorityHost, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(emu.authority, `${emu.authorityHost}/${emu.tenantId}`);
    assert.equal(emu.graphBaseUrl, `${emu.graphRoot}/v1.0`);
    assert.equal(emu.controlUrl, `${emu.authorityHost}/_emulator`);
    assert.equal(emu.tenantDomain, "contoso.onmicrosoft.com");
    assert.match(readFileSync(emu.caFile, "utf8"), /BEGIN CERTIFICATE/);
    assert.ok(emu.apps.delegated.user.userPrincipalName.includes("@"));
  });
});

describe("Graph over HTTPS", () => {
  it("answers with Graph's headers: OData content type, OData-Version, request ids, resource units", async () => {
    const reply = await call("/v1.0/users?$top=3", { headers: { "client-request-id": "my-id-1" } });
    assert.equal(reply.status, 200);
    assert.equal(
      reply.headers.get("content-type"),
      "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8",
    );
    assert.equal(reply.headers.get("odata-version"), "4.0");
    assert.equal(reply.headers.get("client-request-id"), "my-id-1");
    assert.match(String(reply.headers.get("request-id")), /^[0-9a-f-]{36}$/);
    assert.equal(reply.headers.get("x-ms-resource-unit"), "1", "GET users costs 2, $top<20 takes 1 off");
    assert.ok(String(reply.body["@odata.nextLink"]).startsWith(`${emu.graphRoot}/v1.0/users?`));
  });

  it("serves /beta like /v1.0", async () => {
    const reply = await call("/beta/users?$top=1");
    assert.equal(reply.status, 200);
    assert.equal(reply.body["@odata.context"], `${emu.graphRoot}/beta/$metadata#users`);
  });

  it("answers 401 InvalidAuthenticationToken for a missing or garbled token", async () => {
    const none = await undiciFetch(`${emu.graphRoot}/v1.0/users`, { dispatcher: agent });
    assert.equal(none.status, 401);
    const body = (await none.json()) as Record<string, unknown>;
    assert.equal(errorOf(body)["code"], "InvalidAuthenticationToken");
    assert.equal(errorOf(body)["message"], "Access token is empty.");
    assert.match(String(none.headers.get("www-authenticate")), /^Bearer /);
    const garbled = await undiciFetch(`${emu.graphRoot}/v1.0/users`, {
      headers: { authorization: "Bearer not.a.token" },
      dispatcher: agent,
    });
    const garbledBody = (await garbled.json()) as Record<string, unknown>;
    assert.equal(garbled.status, 401);
    assert.equal(errorOf(garbledBody)["message"], "CompactToken parsing failed with error code: 80049217");
  });

  it("answers 401 once the token has expired", async () => {
    emu.setClock(2 * 3600 * 1000);
    try {
      const reply = await call("/v1.0/users?$top=1");
      assert.equal(reply.status, 401);
      assert.equal(errorOf(reply.body)["message"], "Lifetime validation failed, the token is expired.");
    } finally {
      emu.setClock(0);
    }
  });

  it("answers bad input with Graph's errors, never a stack trace", async () => {
    const cases: [
      string,
      { method?: string; body?: string; headers?: Record<string, string> },
      number,
      string,
    ][] = [
      [
        "/v1.0/users",
        { method: "POST", body: "{not json", headers: { "content-type": "application/json" } },
        400,
        "BadRequest",
      ],
      [
        "/v1.0/users",
        { method: "POST", body: "[1,2]", headers: { "content-type": "application/json" } },
        400,
        "BadRequest",
      ],
      ["/v1.0/users", { method: "POST", body: "" }, 400, "BadRequest"],
      ["/v1.0/widgets", {}, 400, "BadRequest"],
      ["/v1.0/users?$filter=displayName eq", {}, 400, "BadRequest"],
      ["/v1.0/users?$select=nope", {}, 400, "BadRequest"],
      ["/v1.0/users?$top=0", {}, 400, "Request_UnsupportedQuery"],
      ["/v1.0/users/%E0%A4%A", {}, 400, "BadRequest"],
      ["/v1.0/users", { method: "PUT", body: "{}" }, 405, "Request_BadRequest"],
      ["/v3/users", {}, 400, "BadRequest"],
    ];
    for (const [path, init, status, code] of cases) {
      const reply = await call(path, init);
      assert.equal(reply.status, status, `${init.method ?? "GET"} ${path}: ${reply.text}`);
      assert.equal(errorOf(reply.body)["code"], code, path);
      assert.doesNotMatch(reply.text, /at .*\.ts:\d+/, "no stack trace");
      const inner = errorOf(reply.body)["innerError"] as Record<string, unknown>;
      assert.match(String(inner["date"]), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
      assert.equal(inner["request-id"], reply.headers.get("request-id"));
    }
    assert.equal((await call("/v1.0/users?$top=1")).status, 200, "still serving");
  });

  it("answers a body over its size limit with Graph's 413 envelope, then keeps serving", async () => {
    // server.ts's MAX_BODY_BYTES (8 MiB): one byte more is refused, the limit itself is read and parsed.
    const limit = 8 * 1024 * 1024;
    const over = await call("/v1.0/users", {
      method: "POST",
      body: `"${"x".repeat(limit - 1)}"`,
      headers: { "content-type": "application/json", "client-request-id": "too-big-1" },
    });
    assert.equal(over.status, 413, over.text.slice(0, 200));
    assert.equal(over.headers.get("content-type"), GRAPH_JSON);
    assert.deepEqual(Object.keys(over.body), ["error"]);
    const error = errorOf(over.body);
    assert.equal(error["code"], "Request_EntityTooLarge");
    assert.equal(typeof error["message"], "string");
    assert.doesNotMatch(over.text, /at .*\.ts:\d+/, "no stack trace");
    const inner = error["innerError"] as Record<string, unknown>;
    assert.match(String(inner["date"]), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    assert.equal(inner["request-id"], over.headers.get("request-id"));
    assert.equal(inner["client-request-id"], "too-big-1");
    const atLimit = await call("/v1.0/users", {
      method: "POST",
      body: `"${"x".repeat(limit - 2)}"`,
      headers: { "content-type": "application/json" },
    });
    assert.equal(atLimit.status, 400, "a body at the limit reaches the route, which refuses a bare string");
    assert.equal((await call("/v1.0/users?$top=1")).status, 200, "still serving");
  });

  it("answers 204 with no body and no OData headers", async () => {
    const user = emu.tenant.list("user").find((u) => u["onPremisesSyncEnabled"] !== true);
    const reply = await call(`/v1.0/users/${user?.id}`, {
      method: "PATCH",
      body: JSON.stringify({ jobTitle: "Tester" }),
      headers: { "content-type": "application/json" },
    });
    assert.equal(reply.status, 204);
    assert.equal(reply.text, "");
    assert.equal(reply.headers.get("odata-version"), null);
    assert.ok(reply.headers.get("request-id"));
  });

  it("revokeSignInSessions makes refresh tokens issued before it fail with AADSTS50173", async () => {
    const { refreshToken } = await delegatedTokens(emu, { dispatcher: agent });
    assert.equal((await refreshDelegated(emu, refreshToken, { dispatcher: agent })).status, 200);
    await delay(5); // tokens issued in the same millisecond as the revocation stay valid
    const user = emu.apps.delegated.user;
    const reply = await call(`/v1.0/users/${user.userPrincipalName}/revokeSignInSessions`, {
      method: "POST",
    });
    assert.equal(reply.status, 200);
    assert.equal(reply.body["value"], true);
    const refused = await refreshDelegated(emu, refreshToken, { dispatcher: agent });
    assert.equal(refused.status, 400);
    assert.equal(refused.body["error"], "invalid_grant");
    assert.deepEqual(refused.body["error_codes"], [50173]);
    const fresh = await delegatedTokens(emu, { dispatcher: agent });
    assert.equal((await refreshDelegated(emu, fresh.refreshToken, { dispatcher: agent })).status, 200);
  });
});

describe("control API", () => {
  it("reports stats and a snapshot with Graph property names and relationship lists", async () => {
    const stats = await control("stats");
    assert.equal(stats.status, 200);
    assert.ok((stats.body["requests"] as number) > 0);
    assert.ok(typeof stats.body["byRoute"] === "object");
    const snapshot = await control("snapshot");
    for (const key of [
      "users",
      "groups",
      "servicePrincipals",
      "directoryRoles",
      "roleAssignments",
      "roleEligibilitySchedules",
      "subscribedSkus",
      "deletedItems",
    ]) {
      assert.ok(Array.isArray(snapshot.body[key]), key);
    }
    const group = (snapshot.body["groups"] as Record<string, unknown>[])[0] as Record<string, unknown>;
    assert.ok(Array.isArray(group["members"]) && Array.isArray(group["owners"]));
    const sp = (snapshot.body["servicePrincipals"] as Record<string, unknown>[])[0] as Record<
      string,
      unknown
    >;
    assert.ok(Array.isArray(sp["appRoleAssignedTo"]));
  });

  it("mutates through the model and refuses bad input naming the field", async () => {
    const before = emu.tenant.changes.seq;
    const mutated = await control("mutate", { count: 5, seed: 3 });
    assert.equal((mutated.body["changes"] as unknown[]).length, 5);
    assert.ok(emu.tenant.changes.seq > before);
    const bad = await control("mutate", { count: -1 });
    assert.equal(bad.status, 400);
    assert.match(String(errorOf(bad.body)["message"]), /count/);
    const badFaults = await control("faults", { faultRate: 7 });
    assert.equal(badFaults.status, 400);
    assert.match(String(errorOf(badFaults.body)["message"]), /faultRate/);
  });

  it("throttles a burst once throttling is on: 429 with Retry-After, scope and Graph's body", async () => {
    await control("faults", { throttle: { readBudget: 12 } });
    try {
      let throttled: Awaited<ReturnType<typeof call>> | undefined;
      for (let i = 0; i < 20 && !throttled; i++) {
        const reply = await call("/v1.0/users");
        if (reply.status === 429) throttled = reply;
      }
      assert.ok(throttled, "a 429 within the burst");
      assert.ok(Number(throttled.headers.get("retry-after")) > 0);
      assert.match(String(throttled.headers.get("x-ms-throttle-scope")), /^Tenant_Application\/ReadWrite\//);
      assert.equal(throttled.headers.get("x-ms-throttle-information"), "ResourceUnitLimitExceeded");
      const error = errorOf(throttled.body);
      assert.equal(error["code"], "TooManyRequests");
      assert.equal(error["message"], "Please retry again later.");
      const inner = error["innerError"] as Record<string, unknown>;
      assert.equal(inner["code"], "429");
      assert.equal(inner["status"], "429");
      assert.ok(((await control("stats")).body["throttled"] as number) > 0);
    } finally {
      await control("faults", { throttle: false });
    }
  });

  it("changes an app's permissions at run time (new tokens carry them): 403 without the role", async () => {
    await control("permissions", { permissions: ["Group.Read.All"] });
    try {
      const limited = await acquireToken(emu.clientId, emu.clientSecret);
      const reply = await undiciFetch(`${emu.graphRoot}/v1.0/users`, {
        headers: { authorization: `Bearer ${limited}` },
        dispatcher: agent,
      });
      assert.equal(reply.status, 403);
      const body = (await reply.json()) as Record<string, unknown>;
      assert.equal(errorOf(body)["code"], "Authorization_RequestDenied");
    } finally {
      await control("permissions", { permissions: "write" });
    }
  });

  it("injects transient failures at the fault rate, connection resets included", async () => {
    await control("faults", { faultRate: 1 });
    try {
      const seen = new Set<string>();
      for (let i = 0; i < 30; i++) {
        try {
          const reply = await call("/v1.0/users?$top=1");
          seen.add(String(reply.status));
        } catch {
          seen.add("reset");
        }
      }
      assert.ok(seen.has("503") || seen.has("504") || seen.has("429"));
      assert.ok(!seen.has("200"));
    } finally {
      await control("faults", { faultRate: 0 });
    }
    assert.equal((await call("/v1.0/users?$top=1")).status, 200);
  });

  it("resets to the generated tenant", async () => {
    const user = emu.tenant.list("user")[1];
    await call(`/v1.0/users/${user?.id}`, { method: "DELETE" });
    assert.equal(emu.tenant.get("user", String(user?.id)), undefined);
    assert.equal((await control("reset", {})).status, 200);
    assert.ok(emu.tenant.get("user", String(user?.id)));
  });
});

describe("plain HTTP option", () => {
  it("serves login and Graph over http when asked", async () => {
    const plain = await startEmulator({ size: "s", seed: 2, http: true });
    try {
      assert.match(plain.graphRoot, /^http:\/\/127\.0\.0\.1:\d+$/);
      const access_token = await appToken(plain);
      const reply = await fetch(`${plain.graphBaseUrl}/groups?$top=2`, {
        headers: { authorization: `Bearer ${access_token}` },
      });
      assert.equal(reply.status, 200);
    } finally {
      await plain.close();
    }
  });
});
