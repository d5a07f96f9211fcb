import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, createPublicKey, verify, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { isConnectorError } from "../errors.ts";
import { clientAssertion, loadCertificate } from "./client-assertion.ts";

function makeCert(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "2",
      "-subj",
      `/CN=${name}`,
    ],
    { stdio: "ignore" },
  );
  return { cert, key };
}

const dir = mkdtempSync(join(tmpdir(), "cert-"));
const a = makeCert(dir, "a");
const b = makeCert(dir, "b");
const CLIENT = "22222222-2222-2222-2222-222222222222";
const AUD = "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token";

test("the client assertion is an RS256 JWT with both thumbprints, aud, jti and a 10-minute life", () => {
  const cred = loadCertificate({ certificateFile: a.cert, keyFile: a.key });
  const now = Date.UTC(2030, 0, 1);
  const jwt = clientAssertion(cred, CLIENT, AUD, now);
  const [h, p, s] = jwt.split(".") as [string, string, string];
  const header = JSON.parse(Buffer.from(h, "base64url").toString());
  const payload = JSON.parse(Buffer.from(p, "base64url").toString());
  const der = new X509Certificate(readFileSync(a.cert)).raw;
  assert.equal(header.alg, "RS256");
  assert.equal(header.x5t, createHash("sha1").update(der).digest("base64url"));
  assert.equal(header["x5t#S256"], createHash("sha256").update(der).digest("base64url"));
  assert.equal(payload.aud, AUD);
  assert.equal(payload.iss, CLIENT);
  assert.equal(payload.sub, CLIENT);
  assert.equal(payload.exp - payload.iat, 600);
  assert.match(payload.jti, /^[0-9a-f-]{36}$/);
  assert.notEqual(
    JSON.parse(Buffer.from(clientAssertion(cred, CLIENT, AUD, now).split(".")[1]!, "base64url").toString())
      .jti,
    payload.jti,
  );
  const pub = createPublicKey(readFileSync(a.cert));
  assert.ok(verify("sha256", Buffer.from(`${h}.${p}`), pub, Buffer.from(s, "base64url")));
});

test("a key that does not belong to the certificate is refused before any request", () => {
  assert.throws(
    () => loadCertificate({ certificateFile: a.cert, keyFile: b.key }),
    (e) =>
      isConnectorError(e, "CONFIG_INVALID") &&
      /ENTRA_CLIENT_KEY: does not belong to the certificate/.test(e.message),
  );
  assert.throws(
    () => loadCertificate({ certificateFile: a.key, keyFile: a.key }),
    (e) => isConnectorError(e, "CONFIG_INVALID") && /ENTRA_CLIENT_CERTIFICATE/.test(e.message),
  );
  assert.throws(
    () => loadCertificate({ certificateFile: a.cert, keyFile: a.key }, Date.now() + 10 * 86_400_000),
    /expired/,
  );
});
