import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { expectAadError, jwtClaims, startTestLoginServer, type TestLoginServer } from "./test-server.ts";

const GRAPH_DEFAULT = "https://graph.microsoft.com/.default";

let s: TestLoginServer;
before(async () => {
  s = await startTestLoginServer();
});
after(() => s.close());

describe("client credentials", () => {
  test("a client secret in the body gets an app-only Graph token with the granted roles", async () => {
    const res = await s.token({
      grant_type: "client_credentials",
      client_id: s.apps.app.clientId,
      client_secret: s.appSecret,
      scope: GRAPH_DEFAULT,
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("cache-control"), "no-store, no-cache");
    assert.equal(res.headers.get("pragma"), "no-cache");
    const body = (await res.json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body), ["token_type", "expires_in", "ext_expires_in", "access_token"]);
    assert.equal(body["token_type"], "Bearer");
    assert.equal(body["expires_in"], 3599);
    const claims = jwtClaims(String(body["access_token"]));
    assert.equal(claims["aud"], "https://graph.microsoft.com");
    assert.equal(claims["iss"], `https://sts.windows.net/${s.tenant.id}/`);
    assert.equal(claims["tid"], s.tenant.id);
    assert.equal(claims["appid"], s.apps.app.clientId);
    assert.equal(claims["oid"], s.apps.app.servicePrincipalId);
    assert.equal(claims["sub"], s.apps.app.servicePrincipalId);
    assert.equal(claims["idtyp"], "app");
    assert.equal(claims["ver"], "1.0");
    assert.equal(claims["appidacr"], "1");
    assert.deepEqual(claims["roles"], ["User.Read.All", "Group.Read.All"]);
    assert.equal(claims["scp"], undefined);
    const verified = s.login.verifyAccessToken(`Bearer ${body["access_token"]}`);
    assert.equal(verified.ok, true);
  });

  test("HTTP Basic credentials (RFC 6749 2.3.1) work too, and the tenant may be named by domain", async () => {
    const basic = Buffer.from(
      `${encodeURIComponent(s.apps.app.clientId)}:${encodeURIComponent(s.appSecret)}`,
    ).toString("base64");
    const res = await s.token(
      { grant_type: "client_credentials", scope: GRAPH_DEFAULT },
      { tenant: "contoso.onmicrosoft.com", headers: { authorization: `Basic ${basic}` } },
    );
    assert.equal(res.status, 200);
  });

  test("MSAL's extra parameters are ignored and the emulator's own Graph root is accepted as a resource", async () => {
    const res = await s.token({
      grant_type: "client_credentials",
      client_id: s.apps.app.clientId,
      client_secret: s.appSecret,
      scope: `${s.origin}/.default openid profile offline_access`,
      "x-client-SKU": "msal.js.node",
      "x-client-VER": "3.0.0",
      "x-ms-lib-capability": "retry-after, h429",
      "x-client-current-telemetry": "5|771,2,,,|,",
      "client-request-id": "8b0e62f4-3b4a-4a10-8a51-3c1a2f8c9d00",
      claims: '{"access_token":{"xms_cc":{"values":["CP1"]}}}',
      client_info: "1",
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body["refresh_token"], undefined, "client credentials never return a refresh token");
    assert.equal(jwtClaims(String(body["access_token"]))["aud"], "https://graph.microsoft.com");
  });

  test("the client-request-id header comes back as the correlation id", async () => {
    const correlation = "0a49cdbc-2e94-4089-bc6f-1162b123592c";
    const res = await s.token(
      {
        grant_type: "client_credentials",
        client_id: s.apps.app.clientId,
        client_secret: "wrong",
        scope: GRAPH_DEFAULT,
      },
      { headers: { "client-request-id": correlation } },
    );
    const body = await expectAadError(s, res, 401, "invalid_client", 7000215);
    assert.equal(body["correlation_id"], correlation);
  });

  test("an app with no application permissions gets a token without a roles claim", async () => {
    const res = await s.token({
      grant_type: "client_credentials",
      client_id: s.apps.bare.clientId,
      client_secret: s.apps.bare.secrets[0]!.value,
      scope: GRAPH_DEFAULT,
    });
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(res.status, 200);
    assert.equal("roles" in jwtClaims(String(body["access_token"])), false);
  });

  test("permissions are baked in at issue: a grant change shows only in the next token", async () => {
    const form = {
      grant_type: "client_credentials",
      client_id: s.apps.app.clientId,
      client_secret: s.appSecret,
      scope: GRAPH_DEFAULT,
    };
    const first = String(((await (await s.token(form)).json()) as Record<string, unknown>)["access_token"]);
    const before = [...s.apps.app.appPermissions];
    s.apps.app.appPermissions.push("User.ReadWrite.All");
    try {
      const second = String(
        ((await (await s.token(form)).json()) as Record<string, unknown>)["access_token"],
      );
      assert.deepEqual(jwtClaims(first)["roles"], before);
      assert.deepEqual(jwtClaims(second)["roles"], [...before, "User.ReadWrite.All"]);
    } finally {
      s.apps.app.appPermissions.splice(0, Infinity, ...before);
    }
  });
});

describe("token endpoint errors (AADSTS table)", () => {
  const ok = () => ({
    grant_type: "client_credentials",
    client_id: s.apps.app.clientId,
    client_secret: s.appSecret,
    scope: GRAPH_DEFAULT,
  });

  test("90002 unknown tenant", async () => {
    await expectAadError(
      s,
      await s.token(ok(), { tenant: "nowhere.example.com" }),
      400,
      "invalid_request",
      90002,
      "Tenant 'nowhere.example.com' not found",
    );
  });

  test("90002 for a tenant segment with malformed percent-escapes", async () => {
    await expectAadError(s, await s.token(ok(), { tenant: "%E0%A4%A" }), 400, "invalid_request", 90002);
  });

  test("9001023 client credentials over /common", async () => {
    await expectAadError(s, await s.token(ok(), { tenant: "common" }), 400, "invalid_request", 9001023);
  });

  test("700016 unknown application", async () => {
    const body = await expectAadError(
      s,
      await s.token({ ...ok(), client_id: "11111111-2222-3333-4444-555555555555" }),
      400,
      "unauthorized_client",
      700016,
    );
    assert.match(
      String(body["error_description"]),
      /Application with identifier '11111111-2222-3333-4444-555555555555' was not found in the directory 'Contoso'/,
    );
  });

  test("7000215 invalid client secret", async () => {
    await expectAadError(
      s,
      await s.token({ ...ok(), client_secret: "nope" }),
      401,
      "invalid_client",
      7000215,
      "not the client secret ID",
    );
  });

  test("7000215 when the secret's key id is sent instead of its value", async () => {
    await expectAadError(
      s,
      await s.token({ ...ok(), client_secret: s.apps.app.secrets[0]!.keyId }),
      401,
      "invalid_client",
      7000215,
    );
  });

  test("7000222 expired client secret", async () => {
    await expectAadError(
      s,
      await s.token({
        ...ok(),
        client_id: s.apps.expired.clientId,
        client_secret: s.apps.expired.secrets[0]!.value,
      }),
      401,
      "invalid_client",
      7000222,
      "are expired",
    );
  });

  test("7000218 no client secret or assertion", async () => {
    const { client_secret: _, ...form } = ok();
    await expectAadError(s, await s.token(form), 401, "invalid_client", 7000218);
  });

  test("7000112 disabled application", async () => {
    await expectAadError(
      s,
      await s.token({
        ...ok(),
        client_id: s.apps.disabled.clientId,
        client_secret: s.apps.disabled.secrets[0]!.value,
      }),
      400,
      "unauthorized_client",
      7000112,
      "(disabled) is disabled.",
    );
  });

  for (const name of ["grant_type", "client_id", "scope"]) {
    test(`900144 names the missing parameter '${name}'`, async () => {
      const form: Record<string, string> = ok();
      delete form[name];
      await expectAadError(
        s,
        await s.token(form),
        400,
        "invalid_request",
        900144,
        `The request body must contain the following parameter: '${name}'.`,
      );
    });
  }

  test("a JSON body is not a form: 900144 grant_type", async () => {
    const res = await s.request(`/${s.tenant.id}/oauth2/v2.0/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(ok()),
    });
    await expectAadError(s, res, 400, "invalid_request", 900144, "'grant_type'");
  });

  test("70003 unsupported grant type", async () => {
    await expectAadError(
      s,
      await s.token({ ...ok(), grant_type: "password" }),
      400,
      "unsupported_grant_type",
      70003,
      "'password'",
    );
  });

  test("1002012 a client credentials scope without /.default", async () => {
    await expectAadError(
      s,
      await s.token({ ...ok(), scope: "User.Read.All" }),
      400,
      "invalid_scope",
      1002012,
    );
  });

  test("700022 scopes for several resources", async () => {
    await expectAadError(
      s,
      await s.token({ ...ok(), scope: `${GRAPH_DEFAULT} https://management.azure.com/.default` }),
      400,
      "invalid_scope",
      700022,
    );
  });

  test("70011 a malformed scope", async () => {
    await expectAadError(
      s,
      await s.token({ ...ok(), scope: "https://graph.microsoft.com/<script>" }),
      400,
      "invalid_scope",
      70011,
    );
  });

  test("500011 a resource the tenant does not know", async () => {
    await expectAadError(
      s,
      await s.token({ ...ok(), scope: "https://vault.example.net/.default" }),
      400,
      "invalid_resource",
      500011,
      "The resource principal named https://vault.example.net was not found in the tenant named Contoso.",
    );
  });

  test("900561 GET on the token endpoint", async () => {
    await expectAadError(
      s,
      await s.request(`/${s.tenant.id}/oauth2/v2.0/token`),
      400,
      "invalid_request",
      900561,
    );
  });
});
