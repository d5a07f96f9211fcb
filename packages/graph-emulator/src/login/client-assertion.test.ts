import assert from "node:assert/strict";
import { createPrivateKey, randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { type JwtAlgorithm, signJwt } from "../crypto/index.ts";
import { JWT_BEARER } from "./client-auth.ts";
import { expectAadError, jwtClaims, startTestLoginServer, type TestLoginServer } from "./test-server.ts";

let s: TestLoginServer;
before(async () => {
  s = await startTestLoginServer();
});
after(() => s.close());

interface AssertionOptions {
  alg?: JwtAlgorithm;
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
  keyPem?: string;
}

function assertion(o: AssertionOptions = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const alg = o.alg ?? "RS256";
  const header =
    o.header ??
    (alg === "PS256"
      ? { "x5t#S256": s.certificate.thumbprintSha256 }
      : { x5t: s.certificate.thumbprintSha1 });
  return signJwt(
    { typ: "JWT", ...header },
    {
      aud: `${s.origin}/${s.tenant.id}/oauth2/v2.0/token`,
      iss: s.apps.cert.clientId,
      sub: s.apps.cert.clientId,
      exp: now + 600,
      nbf: now,
      iat: now,
      jti: randomUUID(),
      ...o.claims,
    },
    createPrivateKey(o.keyPem ?? s.certificate.keyPem),
    alg,
  );
}

function form(jwt: string, extra: Record<string, string> = {}) {
  return {
    grant_type: "client_credentials",
    client_id: s.apps.cert.clientId,
    client_assertion_type: JWT_BEARER,
    client_assertion: jwt,
    scope: "https://graph.microsoft.com/.default",
    ...extra,
  };
}

describe("certificate credentials (private_key_jwt)", () => {
  test("RS256 with x5t gets a token marked appidacr 2", async () => {
    const res = await s.token(form(assertion()));
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(res.status, 200, JSON.stringify(body));
    const claims = jwtClaims(String(body["access_token"]));
    assert.equal(claims["appidacr"], "2");
    assert.deepEqual(claims["roles"], ["Directory.Read.All"]);
  });

  test("PS256 with x5t#S256 (what current MSAL sends) is accepted", async () => {
    assert.equal((await s.token(form(assertion({ alg: "PS256" })))).status, 200);
  });

  test("the same assertion may be presented twice (MSAL reuses it for ten minutes)", async () => {
    const jwt = assertion();
    assert.equal((await s.token(form(jwt))).status, 200);
    assert.equal((await s.token(form(jwt))).status, 200);
  });

  test("the token endpoint named by verified domain is a valid audience", async () => {
    const jwt = assertion({ claims: { aud: `${s.origin}/contoso.onmicrosoft.com/oauth2/v2.0/token` } });
    assert.equal((await s.token(form(jwt))).status, 200);
  });

  test("700027 a certificate the app does not have", async () => {
    const jwt = assertion({ header: { x5t: Buffer.from("not-registered-thumb").toString("base64url") } });
    await expectAadError(
      s,
      await s.token(form(jwt)),
      401,
      "invalid_client",
      700027,
      "The key was not found.",
    );
  });

  test("700027 a signature that does not verify", async () => {
    const other = await import("../crypto/index.ts").then((m) =>
      m.createClientCertificate(s.dir, "impostor"),
    );
    const jwt = assertion({ keyPem: other.keyPem });
    await expectAadError(
      s,
      await s.token(form(jwt)),
      401,
      "invalid_client",
      700027,
      "failed signature validation",
    );
  });

  test("700024 an expired assertion", async () => {
    const past = Math.floor(Date.now() / 1000) - 3600;
    const jwt = assertion({ claims: { exp: past, nbf: past - 600 } });
    await expectAadError(
      s,
      await s.token(form(jwt)),
      401,
      "invalid_client",
      700024,
      "not within its valid time range",
    );
  });

  test("700021 iss/sub other than the client id", async () => {
    const jwt = assertion({ claims: { iss: randomUUID(), sub: randomUUID() } });
    await expectAadError(s, await s.token(form(jwt)), 401, "invalid_client", 700021);
  });

  test("an audience other than this tenant's token endpoint is refused", async () => {
    const jwt = assertion({ claims: { aud: "https://login.microsoftonline.com/other/oauth2/v2.0/token" } });
    await expectAadError(s, await s.token(form(jwt)), 401, "invalid_client", 700212, "audience");
  });

  test("50027 a malformed assertion, and one without jti", async () => {
    await expectAadError(s, await s.token(form("not.a.jwt")), 400, "invalid_request", 50027);
    await expectAadError(
      s,
      await s.token(form(assertion({ claims: { jti: undefined } }))),
      400,
      "invalid_request",
      50027,
      "'jti'",
    );
  });

  test("900144 an assertion without its type", async () => {
    const { client_assertion_type: _, ...rest } = form(assertion());
    await expectAadError(s, await s.token(rest), 400, "invalid_request", 900144, "'client_assertion_type'");
  });
});
