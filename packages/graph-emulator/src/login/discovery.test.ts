import assert from "node:assert/strict";
import { createPublicKey } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { decodeJwt, verifyJwtSignature } from "../crypto/index.ts";
import { expectAadError, startTestLoginServer, type TestLoginServer } from "./test-server.ts";

let s: TestLoginServer;
before(async () => {
  s = await startTestLoginServer();
});
after(() => s.close());

async function getJson(path: string) {
  const res = await s.request(path);
  return { res, body: (await res.json()) as Record<string, unknown> };
}

describe("discovery documents", () => {
  test("openid-configuration by tenant id carries every field MSAL reads", async () => {
    const { res, body } = await getJson(`/${s.tenant.id}/v2.0/.well-known/openid-configuration`);
    assert.equal(res.status, 200);
    const base = `${s.origin}/${s.tenant.id}`;
    assert.equal(body["issuer"], `${s.origin}/${s.tenant.id}/v2.0`);
    assert.equal(body["token_endpoint"], `${base}/oauth2/v2.0/token`);
    assert.equal(body["authorization_endpoint"], `${base}/oauth2/v2.0/authorize`);
    assert.equal(body["end_session_endpoint"], `${base}/oauth2/v2.0/logout`);
    assert.equal(body["jwks_uri"], `${base}/discovery/v2.0/keys`);
    assert.equal(body["device_authorization_endpoint"], `${base}/oauth2/v2.0/devicecode`);
    assert.deepEqual(body["token_endpoint_auth_methods_supported"], [
      "client_secret_post",
      "private_key_jwt",
      "client_secret_basic",
    ]);
    assert.deepEqual(body["id_token_signing_alg_values_supported"], ["RS256"]);
    for (const field of [
      "response_types_supported",
      "scopes_supported",
      "subject_types_supported",
      "userinfo_endpoint",
      "msgraph_host",
      "cloud_instance_name",
    ]) {
      assert.ok(body[field] !== undefined, `missing ${field}`);
    }
  });

  test("by verified domain the endpoints name the tenant id; for common the issuer is a template", async () => {
    const byDomain = await getJson("/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration");
    assert.equal(byDomain.body["token_endpoint"], `${s.origin}/${s.tenant.id}/oauth2/v2.0/token`);
    const common = await getJson("/common/v2.0/.well-known/openid-configuration");
    assert.equal(common.body["issuer"], `${s.origin}/{tenantid}/v2.0`);
    assert.equal(common.body["token_endpoint"], `${s.origin}/common/oauth2/v2.0/token`);
  });

  test("90002 invalid_tenant for an unknown tenant", async () => {
    const res = await s.request("/nowhere.example.com/v2.0/.well-known/openid-configuration");
    await expectAadError(s, res, 400, "invalid_tenant", 90002);
  });

  test("instance discovery points at the tenant's openid-configuration", async () => {
    const endpoint = `${s.origin}/${s.tenant.id}/oauth2/v2.0/authorize`;
    const { res, body } = await getJson(
      `/common/discovery/instance?api-version=1.1&authorization_endpoint=${encodeURIComponent(endpoint)}`,
    );
    assert.equal(res.status, 200);
    const host = new URL(s.origin).host;
    assert.deepEqual(body, {
      tenant_discovery_endpoint: `${s.origin}/${s.tenant.id}/v2.0/.well-known/openid-configuration`,
      "api-version": "1.1",
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    });
  });

  test("instance discovery refuses an authority on another host (50049)", async () => {
    const endpoint = "https://login.example.com/common/oauth2/v2.0/authorize";
    const res = await s.request(
      `/common/discovery/instance?api-version=1.1&authorization_endpoint=${encodeURIComponent(endpoint)}`,
    );
    await expectAadError(s, res, 400, "invalid_instance", 50049);
  });

  test("the JWKS verifies issued access tokens (kid, x5t, n, e, x5c)", async () => {
    const { body } = await getJson(`/${s.tenant.id}/discovery/v2.0/keys`);
    const keys = body["keys"] as Record<string, unknown>[];
    assert.equal(keys.length, 1);
    const jwk = keys[0]!;
    assert.equal(jwk["kty"], "RSA");
    assert.equal(jwk["use"], "sig");
    assert.equal(jwk["kid"], jwk["x5t"]);
    assert.equal((jwk["x5c"] as string[]).length, 1);
    const token = await s.token({
      grant_type: "client_credentials",
      client_id: s.apps.app.clientId,
      client_secret: s.appSecret,
      scope: "https://graph.microsoft.com/.default",
    });
    const accessToken = String(((await token.json()) as Record<string, unknown>)["access_token"]);
    const jwt = decodeJwt(accessToken)!;
    assert.equal(jwt.header["kid"], jwk["kid"]);
    const key = createPublicKey({
      key: { kty: "RSA", n: String(jwk["n"]), e: String(jwk["e"]) },
      format: "jwk",
    });
    assert.equal(verifyJwtSignature(jwt, key, "RS256"), true);
    const certKey = createPublicKey(
      `-----BEGIN CERTIFICATE-----\n${(jwk["x5c"] as string[])[0]}\n-----END CERTIFICATE-----\n`,
    );
    assert.equal(verifyJwtSignature(jwt, certKey, "RS256"), true);
  });

  test("adminconsent redirects back with admin_consent=True, or shows the granted permissions", async () => {
    const redirect = "http://localhost:7000/consented";
    const back = await s.request(
      `/${s.tenant.id}/adminconsent?client_id=${s.apps.app.clientId}&redirect_uri=${encodeURIComponent(redirect)}&state=x`,
    );
    assert.equal(back.status, 302);
    const location = new URL(back.headers.get("location")!);
    assert.equal(location.searchParams.get("admin_consent"), "True");
    assert.equal(location.searchParams.get("tenant"), s.tenant.id);
    assert.equal(location.searchParams.get("state"), "x");
    const page = await s.request(`/${s.tenant.id}/adminconsent?client_id=${s.apps.app.clientId}`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /User\.Read\.All, Group\.Read\.All/);
  });

  test("paths that are not login routes are left to the caller", async () => {
    for (const path of [
      "/v1.0/users",
      "/_emulator/stats",
      "/v1.0/oauth2/v2.0/token",
      `/${s.tenant.id}/oauth2/v2.0/nope`,
    ]) {
      const res = await s.request(path);
      await res.arrayBuffer();
      assert.equal(res.status, 404, path);
    }
  });
});
