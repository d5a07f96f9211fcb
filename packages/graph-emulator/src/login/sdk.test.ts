/**
 * Microsoft's own clients, unmodified, against the login service over real TLS. The emulator's CA is
 * added to this process's default trust store (tls.setDefaultCACertificates), which is what
 * NODE_EXTRA_CA_CERTS does at start-up.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import tls from "node:tls";
import {
  AuthenticationRequiredError,
  ClientCertificateCredential,
  ClientSecretCredential,
} from "@azure/identity";
import { ConfidentialClientApplication, type Configuration, ServerError } from "@azure/msal-node";
import { jwtClaims, startTestLoginServer, type TestLoginServer } from "./test-server.ts";

const GRAPH_DEFAULT = "https://graph.microsoft.com/.default";

let s: TestLoginServer;
before(async () => {
  s = await startTestLoginServer();
  tls.setDefaultCACertificates([...tls.getCACertificates("default"), s.tls.caCertPem]);
});
after(() => s.close());

function msalConfig(clientId: string, auth: Partial<Configuration["auth"]>): Configuration {
  return {
    auth: {
      clientId,
      authority: `${s.origin}/${s.tenant.id}`,
      // MSAL only skips instance discovery at login.microsoftonline.com for hosts it is told to trust.
      knownAuthorities: [new URL(s.origin).host],
      ...auth,
    },
  };
}

describe("@azure/msal-node ConfidentialClientApplication", () => {
  test("client credentials with a secret", async () => {
    const cca = new ConfidentialClientApplication(
      msalConfig(s.apps.app.clientId, { clientSecret: s.appSecret }),
    );
    const result = await cca.acquireTokenByClientCredential({ scopes: [GRAPH_DEFAULT] });
    assert.ok(result);
    assert.equal(result.tokenType, "Bearer");
    assert.ok(result.expiresOn && result.expiresOn.getTime() > Date.now() + 3000_000);
    assert.deepEqual(jwtClaims(result.accessToken)["roles"], ["User.Read.All", "Group.Read.All"]);
    assert.equal(s.login.verifyAccessToken(`Bearer ${result.accessToken}`).ok, true);
  });

  test("client credentials with a certificate (SHA-256 thumbprint: PS256 + x5t#S256, with x5c)", async () => {
    const cca = new ConfidentialClientApplication(
      msalConfig(s.apps.cert.clientId, {
        clientCertificate: {
          thumbprintSha256: s.certificate.thumbprintSha256Hex,
          privateKey: s.certificate.keyPem,
          x5c: s.certificate.certPem,
        },
      }),
    );
    const result = await cca.acquireTokenByClientCredential({ scopes: [GRAPH_DEFAULT] });
    assert.equal(jwtClaims(result!.accessToken)["appidacr"], "2");
  });

  test("client credentials with a certificate (SHA-1 thumbprint: RS256 + x5t)", async () => {
    const cca = new ConfidentialClientApplication(
      msalConfig(s.apps.cert.clientId, {
        clientCertificate: { thumbprint: s.certificate.thumbprintSha1Hex, privateKey: s.certificate.keyPem },
      }),
    );
    const result = await cca.acquireTokenByClientCredential({ scopes: [GRAPH_DEFAULT] });
    assert.deepEqual(jwtClaims(result!.accessToken)["roles"], ["Directory.Read.All"]);
  });

  test("a bad secret surfaces the AADSTS error as MSAL's ServerError", async () => {
    const cca = new ConfidentialClientApplication(
      msalConfig(s.apps.app.clientId, { clientSecret: "not-the-secret" }),
    );
    await assert.rejects(cca.acquireTokenByClientCredential({ scopes: [GRAPH_DEFAULT] }), (err: unknown) => {
      assert.ok(err instanceof ServerError, String(err));
      assert.equal(err.errorCode, "invalid_client");
      assert.match(err.errorMessage, /AADSTS7000215: Invalid client secret provided/);
      assert.equal(err.subError, "");
      assert.ok(err.correlationId);
      return true;
    });
  });

  test("an unknown tenant fails discovery with the service's answer", async () => {
    const cca = new ConfidentialClientApplication({
      auth: {
        clientId: s.apps.app.clientId,
        clientSecret: s.appSecret,
        authority: `${s.origin}/nowhere.example.com`,
        knownAuthorities: [new URL(s.origin).host],
      },
    });
    await assert.rejects(
      cca.acquireTokenByClientCredential({ scopes: [GRAPH_DEFAULT] }),
      /endpoints_resolution_error|90002|invalid_tenant/,
    );
  });

  test("authorization code with PKCE, then a silent refresh with the refresh token", async () => {
    const redirectUri = "http://localhost:8400/callback";
    const cca = new ConfidentialClientApplication(
      msalConfig(s.apps.delegated.clientId, { clientSecret: s.apps.delegated.secrets[0]!.value }),
    );
    const verifier = randomBytes(32).toString("base64url");
    const challenge = createHash("sha256").update(verifier).digest("base64url");
    const scopes = ["User.Read"];
    const url = await cca.getAuthCodeUrl({
      scopes,
      redirectUri,
      codeChallenge: challenge,
      codeChallengeMethod: "S256",
      state: "s1",
    });
    const res = await s.request(new URL(url).pathname + new URL(url).search);
    const location = new URL(res.headers.get("location") ?? "");
    const code = location.searchParams.get("code");
    assert.ok(code, `no code in ${location}`);
    const result = await cca.acquireTokenByCode({ code, scopes, redirectUri, codeVerifier: verifier });
    assert.equal(result.account?.username, s.user.userPrincipalName);
    assert.equal(result.account?.tenantId, s.tenant.id);
    assert.equal(jwtClaims(result.accessToken)["scp"], "User.Read");
    const refreshed = await cca.acquireTokenSilent({ account: result.account!, scopes, forceRefresh: true });
    assert.notEqual(refreshed.accessToken, result.accessToken);
    assert.equal(jwtClaims(refreshed.accessToken)["oid"], s.user.id);
  });
});

describe("@azure/identity", () => {
  test("ClientSecretCredential with authorityHost and disableInstanceDiscovery", async () => {
    const credential = new ClientSecretCredential(s.tenant.id, s.apps.app.clientId, s.appSecret, {
      authorityHost: s.origin,
      disableInstanceDiscovery: true,
    });
    const token = await credential.getToken(GRAPH_DEFAULT);
    assert.ok(token.expiresOnTimestamp > Date.now());
    assert.equal(jwtClaims(token.token)["appid"], s.apps.app.clientId);
    assert.equal(s.login.verifyAccessToken(`Bearer ${token.token}`).ok, true);
  });

  // @azure/identity wraps MSAL's ServerError in AuthenticationRequiredError, keeping the service's message.
  test("ClientSecretCredential with a wrong secret fails with the AADSTS code and description", async () => {
    const credential = new ClientSecretCredential(s.tenant.id, s.apps.app.clientId, "wrong", {
      authorityHost: s.origin,
      disableInstanceDiscovery: true,
    });
    await assert.rejects(credential.getToken(GRAPH_DEFAULT), (err: unknown) => {
      assert.ok(err instanceof AuthenticationRequiredError, String(err));
      assert.match(
        err.message,
        /invalid_client: Error\(s\): 7000215 .*AADSTS7000215: Invalid client secret provided/,
      );
      return true;
    });
  });

  test("ClientCertificateCredential with a PEM holding certificate and key", async () => {
    const pemPath = join(s.dir, "cert-and-key.pem");
    await writeFile(pemPath, s.certificate.certPem + s.certificate.keyPem);
    const credential = new ClientCertificateCredential(
      s.tenant.id,
      s.apps.cert.clientId,
      { certificatePath: pemPath },
      { authorityHost: s.origin, disableInstanceDiscovery: true },
    );
    const token = await credential.getToken(GRAPH_DEFAULT);
    assert.equal(jwtClaims(token.token)["appidacr"], "2");
  });
});
