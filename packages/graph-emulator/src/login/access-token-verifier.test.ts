import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { signJwt } from "../crypto/index.ts";
import { TOKEN_MESSAGES } from "./access-token-verifier.ts";
import { startTestLoginServer, type TestLoginServer } from "./test-server.ts";

let s: TestLoginServer;
let token: string;
before(async () => {
  s = await startTestLoginServer();
  const res = await s.token({
    grant_type: "client_credentials",
    client_id: s.apps.app.clientId,
    client_secret: s.appSecret,
    scope: "https://graph.microsoft.com/.default",
  });
  token = String(((await res.json()) as Record<string, unknown>)["access_token"]);
});
after(() => s.close());

function failure(header: string | undefined): string {
  const result = s.login.verifyAccessToken(header);
  assert.equal(result.ok, false);
  return result.ok ? "" : result.message;
}

/** The same claims re-signed with a key the service never had. */
function forged(claims: Record<string, unknown>): string {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const header = JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString()) as Record<
    string,
    unknown
  >;
  return signJwt(header, claims, privateKey);
}

describe("verifyAccessToken (Graph's 401 InvalidAuthenticationToken messages)", () => {
  test("a token the service issued is accepted, with its claims", () => {
    const result = s.login.verifyAccessToken(`Bearer ${token}`);
    assert.ok(result.ok);
    assert.equal(result.claims.appid, s.apps.app.clientId);
    assert.deepEqual(result.claims.roles, ["User.Read.All", "Group.Read.All"]);
  });

  test("no header, or an empty bearer: Access token is empty.", () => {
    assert.equal(failure(undefined), "Access token is empty.");
    assert.equal(failure("Bearer "), "Access token is empty.");
    assert.equal(failure(""), "Access token is empty.");
  });

  test("garbage: CompactToken parsing failed", () => {
    assert.equal(failure("Bearer not-a-token"), "CompactToken parsing failed with error code: 80049217");
    assert.equal(failure("Bearer a.b.c"), "CompactToken parsing failed with error code: 80049217");
  });

  test("a forged or tampered token fails validation", () => {
    const claims = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as Record<
      string,
      unknown
    >;
    assert.equal(failure(`Bearer ${forged(claims)}`), TOKEN_MESSAGES.signature);
    const [h, , sig] = token.split(".");
    const widened = Buffer.from(JSON.stringify({ ...claims, roles: ["Directory.ReadWrite.All"] })).toString(
      "base64url",
    );
    assert.equal(failure(`Bearer ${h}.${widened}.${sig}`), TOKEN_MESSAGES.signature);
    assert.match(TOKEN_MESSAGES.signature, /^Access token validation failure\./);
  });

  test("expired after its lifetime, valid just before", () => {
    s.login.setClock(3500_000);
    try {
      assert.equal(s.login.verifyAccessToken(`Bearer ${token}`).ok, true);
      s.login.setClock(3600_000);
      assert.equal(failure(`Bearer ${token}`), "Lifetime validation failed, the token is expired.");
    } finally {
      s.login.setClock(0);
    }
  });
});
