import assert from "node:assert/strict";
import { test } from "node:test";
import { loginError } from "./login-errors.ts";

const ctx = {
  tenant: "contoso.onmicrosoft.com",
  clientId: "22222222-2222-2222-2222-222222222222",
  authorityHost: "https://login.microsoftonline.com",
  consentUrl: "https://login.microsoftonline.com/contoso.onmicrosoft.com/adminconsent?client_id=2222",
};
const body = (code: number, error = "invalid_client") => ({
  error,
  error_codes: [code],
  error_description: `AADSTS${code}: something.\r\nTrace ID: x\r\nCorrelation ID: y`,
});

test("each sign-in failure maps to its cause", () => {
  const cases: [number, string, string][] = [
    [7000215, "invalid_client", "AUTH_INVALID_SECRET"],
    [7000222, "invalid_client", "AUTH_SECRET_EXPIRED"],
    [90002, "invalid_request", "AUTH_UNKNOWN_TENANT"],
    [700016, "unauthorized_client", "AUTH_UNKNOWN_CLIENT"],
    [7000112, "unauthorized_client", "AUTH_APP_DISABLED"],
    [65001, "consent_required", "AUTH_CONSENT_REQUIRED"],
    [700027, "invalid_client", "AUTH_INVALID_CERTIFICATE"],
    [700082, "invalid_grant", "AUTH_REFRESH_EXPIRED"],
    [54005, "invalid_grant", "AUTH_REFRESH_EXPIRED"],
    [900382, "invalid_request", "AUTH_WRONG_CLOUD"],
    [700024, "invalid_client", "AUTH_CLOCK_SKEW"],
    [123456, "invalid_request", "AUTH_FAILED"],
  ];
  for (const [code, error, expected] of cases) {
    assert.equal(loginError(400, body(code, error), undefined, ctx).code, expected, `AADSTS${code}`);
  }
  const consent = loginError(400, body(65001, "consent_required"), undefined, ctx);
  assert.match(consent.fix ?? "", /adminconsent\?client_id=/);
});

test("a secret that looks like a GUID is reported as the Secret ID pasted instead of the value", () => {
  const err = loginError(401, body(7000215), undefined, {
    ...ctx,
    clientSecret: "3f1c2b9e-0d4a-4c1e-9a8b-5e6f7a8b9c0d",
  });
  assert.equal(err.code, "AUTH_SECRET_ID_PASTED");
  assert.doesNotMatch(err.message + err.fix, /3f1c2b9e/);
  assert.equal(
    loginError(401, body(7000215), undefined, { ...ctx, clientSecret: "Abc8Q~real.value" }).code,
    "AUTH_INVALID_SECRET",
  );
});

test("a server clock far from ours is reported as clock skew", () => {
  const serverDate = new Date(Date.now() - 20 * 60_000).toUTCString();
  const err = loginError(401, body(7000215), serverDate, ctx);
  assert.equal(err.code, "AUTH_CLOCK_SKEW");
  assert.match(err.message, /20 minutes ahead/);
});
