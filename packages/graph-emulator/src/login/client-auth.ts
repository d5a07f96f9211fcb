import { createPublicKey, timingSafeEqual } from "node:crypto";
import { decodeJwt, type JwtAlgorithm, verifyJwtSignature } from "../crypto/index.ts";
import { aad } from "./errors.ts";
import { param } from "./http.ts";
import type { ClientAuthMethod } from "./token-issuer.ts";
import type { LoginApp } from "./types.ts";

export const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/** The client identity and credential a token request carries, from the body or HTTP Basic. */
export interface PresentedClient {
  clientId: string | undefined;
  secret: string | undefined;
  assertion: string | undefined;
  assertionType: string | undefined;
}

/** RFC 6749 §2.3.1: Basic credentials are the form-urlencoded id and secret. */
function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? "");
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon === -1) return undefined;
  const unform = (s: string) => decodeURIComponent(s.replace(/\+/g, " "));
  try {
    return { id: unform(decoded.slice(0, colon)), secret: unform(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}

export function presentedClient(form: URLSearchParams, authorization: string | undefined): PresentedClient {
  const basic = basicCredentials(authorization);
  return {
    clientId: param(form, "client_id") ?? basic?.id,
    secret: param(form, "client_secret") ?? basic?.secret,
    assertion: param(form, "client_assertion"),
    assertionType: param(form, "client_assertion_type"),
  };
}

export function hasCredential(client: PresentedClient): boolean {
  return client.secret !== undefined || client.assertion !== undefined;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function checkSecret(app: LoginApp, secret: string, now: number): ClientAuthMethod {
  const matching = app.secrets.filter((s) => sameSecret(s.value, secret));
  if (matching.length === 0) throw aad.badSecret(app.clientId);
  if (matching.every((s) => s.expiresAt <= now)) throw aad.secretExpired(app.clientId);
  return "1";
}

// Microsoft tolerates a few minutes of clock skew on client assertions.
const ASSERTION_SKEW_SEC = 300;

function numberClaim(payload: Record<string, unknown>, name: string): number {
  const value = payload[name];
  if (typeof value !== "number")
    throw aad.assertionMalformed(`The '${name}' claim is missing or not a number.`);
  return value;
}

/**
 * Verifies a private_key_jwt client assertion (RFC 7523) against the app's registered certificates:
 * RS256 or PS256, the key named by `x5t` or `x5t#S256`, iss = sub = client id, aud = a token endpoint
 * of this tenant, within exp/nbf. A jti is required but may repeat: MSAL reuses one assertion for up
 * to ten minutes, and Microsoft accepts that.
 */
function checkAssertion(
  app: LoginApp,
  client: PresentedClient,
  tokenEndpoints: string[],
  now: number,
): ClientAuthMethod {
  if (client.assertionType !== JWT_BEARER) throw aad.missingParameter("client_assertion_type");
  const jwt = decodeJwt(client.assertion ?? "");
  if (!jwt) throw aad.assertionMalformed("The client assertion is not a compact JWS.");
  const alg = jwt.header["alg"];
  if (alg !== "RS256" && alg !== "PS256") {
    throw aad.assertionMalformed(
      `The client assertion algorithm '${String(alg)}' is not supported; use RS256 or PS256.`,
    );
  }
  const { payload } = jwt;
  if (payload["iss"] !== app.clientId || payload["sub"] !== app.clientId) throw aad.assertionClientMismatch();
  const audiences = Array.isArray(payload["aud"]) ? payload["aud"] : [payload["aud"]];
  const expected = tokenEndpoints.map((e) => e.toLowerCase());
  if (
    !audiences.some((a) => typeof a === "string" && expected.includes(a.replace(/\/+$/, "").toLowerCase()))
  ) {
    throw aad.assertionAudience(String(payload["aud"]), tokenEndpoints[0] ?? "");
  }
  const exp = numberClaim(payload, "exp");
  const nbf = typeof payload["nbf"] === "number" ? payload["nbf"] : 0;
  const nowSec = now / 1000;
  if (nowSec > exp + ASSERTION_SKEW_SEC || nowSec + ASSERTION_SKEW_SEC < nbf) {
    throw aad.assertionTime(now, nbf * 1000, exp * 1000);
  }
  if (typeof payload["jti"] !== "string" || payload["jti"] === "") {
    throw aad.assertionMalformed("The 'jti' claim is missing.");
  }
  const x5t = jwt.header["x5t"];
  const x5t256 = jwt.header["x5t#S256"];
  const cert = app.certificates.find(
    (c) =>
      (typeof x5t === "string" && c.thumbprintSha1 === x5t) ||
      (typeof x5t256 === "string" && c.thumbprintSha256 === x5t256),
  );
  if (!cert) {
    const sent = typeof x5t256 === "string" ? x5t256 : typeof x5t === "string" ? x5t : "";
    throw aad.assertionKeyNotFound(
      Buffer.from(sent, "base64url").toString("hex").toUpperCase(),
      app.clientId,
    );
  }
  if (!verifyJwtSignature(jwt, createPublicKey(cert.publicKeyPem), alg satisfies JwtAlgorithm)) {
    throw aad.assertionSignature();
  }
  return "2";
}

/** Checks the credential a confidential client presented; throws the AADSTS error Microsoft gives. */
export function authenticateClient(
  app: LoginApp,
  client: PresentedClient,
  ctx: { tokenEndpoints: string[]; now: number },
): ClientAuthMethod {
  if (client.assertion !== undefined) return checkAssertion(app, client, ctx.tokenEndpoints, ctx.now);
  if (client.secret !== undefined) return checkSecret(app, client.secret, ctx.now);
  throw aad.credentialMissing();
}
