import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { expectAadError, jwtClaims, startTestLoginServer, type TestLoginServer } from "./test-server.ts";

const REDIRECT = "http://localhost:8400/callback";
const SCOPES = "https://graph.microsoft.com/User.Read Directory.ReadWrite.All openid profile offline_access";

let s: TestLoginServer;
before(async () => {
  s = await startTestLoginServer();
});
after(() => s.close());

function pkce() {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

async function authorize(params: Record<string, string>, tenant = s.tenant.id) {
  const query = new URLSearchParams({
    client_id: s.apps.delegated.clientId,
    response_type: "code",
    redirect_uri: REDIRECT,
    scope: SCOPES,
    state: "st-123",
    ...params,
  });
  for (const [k, v] of [...query]) if (v === "") query.delete(k);
  const res = await s.request(`/${tenant}/oauth2/v2.0/authorize?${query}`);
  await res.arrayBuffer();
  return { res, location: res.headers.get("location") ? new URL(res.headers.get("location")!) : undefined };
}

async function signIn(params: Record<string, string> = {}) {
  const { verifier, challenge } = pkce();
  const { location } = await authorize({
    code_challenge: challenge,
    code_challenge_method: "S256",
    ...params,
  });
  const code = location?.searchParams.get("code");
  assert.ok(code, `expected a code, got ${location}`);
  return { code, verifier };
}

function redeem(code: string, verifier: string, extra: Record<string, string> = {}) {
  return s.token({
    grant_type: "authorization_code",
    client_id: s.apps.delegated.clientId,
    code,
    redirect_uri: REDIRECT,
    code_verifier: verifier,
    client_secret: s.apps.delegated.secrets[0]!.value,
    client_info: "1",
    ...extra,
  });
}

async function json(res: Awaited<ReturnType<typeof s.token>>): Promise<Record<string, unknown>> {
  const body = (await res.json()) as Record<string, unknown>;
  assert.equal(res.status, 200, JSON.stringify(body));
  return body;
}

describe("authorization code with PKCE", () => {
  test("authorize auto-approves the configured user and redirects with code and state", async () => {
    const { res, location } = await authorize({
      code_challenge: pkce().challenge,
      code_challenge_method: "S256",
    });
    assert.equal(res.status, 302);
    assert.equal(`${location!.origin}${location!.pathname}`, REDIRECT);
    assert.equal(location!.searchParams.get("state"), "st-123");
    assert.match(location!.searchParams.get("code") ?? "", /^1\.A[A-Za-z0-9_-]+$/);
  });

  test("the code redeems for a delegated token, a refresh token, an id_token and client_info", async () => {
    const { code, verifier } = await signIn({ nonce: "n-1" });
    const body = await json(await redeem(code, verifier));
    assert.equal(body["token_type"], "Bearer");
    assert.equal(body["scope"], "User.Read Directory.ReadWrite.All openid profile");
    assert.equal(typeof body["refresh_token"], "string");
    const access = jwtClaims(String(body["access_token"]));
    assert.equal(access["idtyp"], "user");
    assert.equal(access["oid"], s.user.id);
    assert.equal(access["upn"], s.user.userPrincipalName);
    assert.equal(access["scp"], "User.Read Directory.ReadWrite.All");
    assert.equal(access["roles"], undefined);
    assert.equal(access["appid"], s.apps.delegated.clientId);
    const id = jwtClaims(String(body["id_token"]));
    assert.equal(id["aud"], s.apps.delegated.clientId);
    assert.equal(id["iss"], `${s.origin}/${s.tenant.id}/v2.0`);
    assert.equal(id["nonce"], "n-1");
    assert.equal(id["preferred_username"], s.user.userPrincipalName);
    assert.deepEqual(JSON.parse(Buffer.from(String(body["client_info"]), "base64url").toString()), {
      uid: s.user.id,
      utid: s.tenant.id,
    });
    assert.equal(s.login.verifyAccessToken(`Bearer ${body["access_token"]}`).ok, true);
  });

  test("plain PKCE, /organizations and a public client without a secret", async () => {
    const verifier = randomBytes(40).toString("base64url");
    const { location } = await authorize(
      { code_challenge: verifier, code_challenge_method: "plain" },
      "organizations",
    );
    const code = location!.searchParams.get("code")!;
    const res = await s.token(
      {
        grant_type: "authorization_code",
        client_id: s.apps.delegated.clientId,
        code,
        redirect_uri: REDIRECT,
        code_verifier: verifier,
      },
      { tenant: "organizations" },
    );
    const body = await json(res);
    assert.equal(jwtClaims(String(body["access_token"]))["appidacr"], "0");
  });

  test("without offline_access there is no refresh token; without openid no id_token", async () => {
    const { code, verifier } = await signIn({ scope: "User.Read" });
    const body = await json(await redeem(code, verifier));
    assert.equal(body["refresh_token"], undefined);
    assert.equal(body["id_token"], undefined);
    assert.equal(body["scope"], "User.Read");
  });

  test(".default grants every consented delegated permission", async () => {
    const { code, verifier } = await signIn({
      scope: "https://graph.microsoft.com/.default openid profile offline_access",
    });
    const body = await json(await redeem(code, verifier));
    const all = "User.Read Directory.ReadWrite.All openid profile";
    assert.equal(jwtClaims(String(body["access_token"]))["scp"], all);
    assert.equal(body["scope"], all);
  });

  test("54005 a code redeems once", async () => {
    const { code, verifier } = await signIn();
    await json(await redeem(code, verifier));
    await expectAadError(s, await redeem(code, verifier), 400, "invalid_grant", 54005);
  });

  test("70008 a code older than ten minutes", async () => {
    const { code, verifier } = await signIn();
    s.login.setClock(11 * 60_000);
    try {
      await expectAadError(s, await redeem(code, verifier), 400, "invalid_grant", 70008);
    } finally {
      s.login.setClock(0);
    }
  });

  test("501481 a verifier that does not match the challenge", async () => {
    const { code } = await signIn();
    await expectAadError(s, await redeem(code, pkce().verifier), 400, "invalid_grant", 501481);
  });

  test("500112 a redirect_uri other than the one the code was sent to", async () => {
    const { code, verifier } = await signIn();
    await expectAadError(
      s,
      await redeem(code, verifier, { redirect_uri: "http://localhost:9999/x" }),
      400,
      "invalid_grant",
      500112,
    );
  });

  test("9002313 a code the service never issued; 900144 a missing code", async () => {
    await expectAadError(s, await redeem("1.Agarbage", "v"), 400, "invalid_grant", 9002313);
    const res = await s.token({
      grant_type: "authorization_code",
      client_id: s.apps.delegated.clientId,
      redirect_uri: REDIRECT,
    });
    await expectAadError(s, res, 400, "invalid_request", 900144, "'code'");
  });

  test("7000218 a code obtained without PKCE needs the client's secret", async () => {
    const { location } = await authorize({});
    const code = location!.searchParams.get("code")!;
    const res = await s.token({
      grant_type: "authorization_code",
      client_id: s.apps.delegated.clientId,
      code,
      redirect_uri: REDIRECT,
    });
    await expectAadError(s, res, 401, "invalid_client", 7000218);
  });
});

describe("authorize errors", () => {
  test("an unregistered redirect URI gets an error page (50011), never a redirect", async () => {
    const { res } = await authorize({ redirect_uri: "https://evil.example.com/cb" });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get("location"), null);
  });

  test("a malformed loopback redirect URI is refused on the page, not crashed on", async () => {
    const { res } = await authorize({ redirect_uri: "http://localhost:99999/cb" });
    assert.equal(res.status, 400);
  });

  test("a registered https redirect URI is accepted", async () => {
    const { location } = await authorize({ redirect_uri: "https://app.example.com/callback" });
    assert.ok(location?.searchParams.get("code"));
  });

  test("an unknown client gets an error page (700016)", async () => {
    const { res } = await authorize({ client_id: "00000000-0000-0000-0000-00000000abcd" });
    assert.equal(res.status, 400);
  });

  for (const [name, params, error, code] of [
    ["65001 a permission nobody consented to", { scope: "Mail.Send" }, "consent_required", 65001],
    [
      "700022 several resources",
      { scope: "User.Read https://management.azure.com/user_impersonation" },
      "invalid_scope",
      700022,
    ],
    ["900144 no scope", { scope: "" }, "invalid_request", 900144],
    ["700054 an unsupported response type", { response_type: "token" }, "unsupported_response_type", 700054],
    [
      "501491 a challenge of the wrong size",
      { code_challenge: "short", code_challenge_method: "S256" },
      "invalid_request",
      501491,
    ],
    [
      "50149 an unknown challenge method",
      { code_challenge: "x".repeat(43), code_challenge_method: "S512" },
      "invalid_request",
      50149,
    ],
  ] as const) {
    test(`redirects back with error: ${name}`, async () => {
      const { res, location } = await authorize(params);
      assert.equal(res.status, 302);
      assert.equal(location!.searchParams.get("error"), error);
      assert.match(
        location!.searchParams.get("error_description") ?? "",
        new RegExp(`^AADSTS${code}: .*\\r\\nTrace ID: `, "s"),
      );
      assert.equal(location!.searchParams.get("state"), "st-123");
    });
  }

  test("a disabled user is told so on the sign-in page (50057), not redirected", async () => {
    s.user.accountEnabled = false;
    try {
      const { res } = await authorize({});
      assert.equal(res.status, 400);
      assert.equal(res.headers.get("location"), null);
    } finally {
      s.user.accountEnabled = true;
    }
  });

  test("response_mode=fragment returns the code in the fragment", async () => {
    const { location } = await authorize({ response_mode: "fragment" });
    const fragment = new URLSearchParams(location!.hash.slice(1));
    assert.ok(fragment.get("code"));
    assert.equal(fragment.get("state"), "st-123");
    assert.equal(location!.search, "");
  });

  test("65001 for .default when the app has no delegated permissions consented", async () => {
    const bare = s.apps.bare;
    const query = new URLSearchParams({
      client_id: bare.clientId,
      response_type: "code",
      redirect_uri: REDIRECT,
      scope: "https://graph.microsoft.com/.default",
    });
    const res = await s.request(`/${s.tenant.id}/oauth2/v2.0/authorize?${query}`);
    assert.equal(new URL(res.headers.get("location")!).searchParams.get("error"), "consent_required");
  });
});

describe("refresh tokens", () => {
  async function tokens() {
    const { code, verifier } = await signIn();
    return json(await redeem(code, verifier));
  }
  function refresh(token: string, extra: Record<string, string> = {}) {
    return s.token({
      grant_type: "refresh_token",
      client_id: s.apps.delegated.clientId,
      refresh_token: token,
      client_secret: s.apps.delegated.secrets[0]!.value,
      ...extra,
    });
  }

  test("a refresh rotates the refresh token; the old one keeps working", async () => {
    const first = await tokens();
    const second = await json(await refresh(String(first["refresh_token"])));
    assert.notEqual(second["refresh_token"], first["refresh_token"]);
    assert.equal(typeof second["id_token"], "string");
    await json(await refresh(String(first["refresh_token"])));
  });

  test("a refresh may narrow the scopes, not widen them (70000)", async () => {
    const rt = String((await tokens())["refresh_token"]);
    const narrowed = await json(await refresh(rt, { scope: "User.Read offline_access" }));
    assert.equal(jwtClaims(String(narrowed["access_token"]))["scp"], "User.Read");
    await expectAadError(s, await refresh(rt, { scope: "Mail.Send" }), 400, "invalid_grant", 70000);
  });

  test("700022 a refresh for several resources", async () => {
    const rt = String((await tokens())["refresh_token"]);
    await expectAadError(
      s,
      await refresh(rt, { scope: "User.Read https://management.azure.com/.default" }),
      400,
      "invalid_scope",
      700022,
    );
  });

  test("700082 a refresh token unused past its lifetime", async () => {
    const rt = String((await tokens())["refresh_token"]);
    s.login.setClock(91 * 86_400_000);
    try {
      await expectAadError(
        s,
        await refresh(rt),
        400,
        "invalid_grant",
        700082,
        "was inactive for 90.00:00:00",
      );
    } finally {
      s.login.setClock(0);
    }
  });

  test("50173 after the user's sessions are revoked; a new sign-in works again", async () => {
    const rt = String((await tokens())["refresh_token"]);
    await delay(5);
    s.login.revokeSignInSessions(s.tenant.id, s.user.id);
    await expectAadError(s, await refresh(rt), 400, "invalid_grant", 50173, "TokensValidFrom");
    await delay(5);
    await json(await refresh(String((await tokens())["refresh_token"])));
  });

  test("65001 (as invalid_grant / consent_required) once consent is withdrawn", async () => {
    const rt = String((await tokens())["refresh_token"]);
    const consented = [...s.apps.delegated.delegatedScopes];
    s.apps.delegated.delegatedScopes = ["offline_access", "openid"];
    try {
      const body = await expectAadError(s, await refresh(rt), 400, "invalid_grant", 65001);
      assert.equal(body["suberror"], "consent_required");
    } finally {
      s.apps.delegated.delegatedScopes = consented;
    }
  });

  test("9002313 an unknown refresh token; 70000 one issued to another app", async () => {
    await expectAadError(s, await refresh("1.Anope"), 400, "invalid_grant", 9002313);
    const rt = String((await tokens())["refresh_token"]);
    const res = await s.token({
      grant_type: "refresh_token",
      client_id: s.apps.app.clientId,
      client_secret: s.appSecret,
      refresh_token: rt,
    });
    await expectAadError(s, res, 400, "invalid_grant", 70000);
  });

  test("7000215 a confidential client's refresh with a wrong secret", async () => {
    const rt = String((await tokens())["refresh_token"]);
    await expectAadError(s, await refresh(rt, { client_secret: "wrong" }), 401, "invalid_client", 7000215);
  });
});
