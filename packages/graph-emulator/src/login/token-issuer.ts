import { createHash, randomBytes } from "node:crypto";
import { type SigningKey, signJwt } from "../crypto/index.ts";
import type { AccessTokenClaims, LoginApp } from "./types.ts";

/** How the client proved itself, as the `appidacr` claim says it. */
export type ClientAuthMethod = "0" | "1" | "2";

// Microsoft back-dates iat/nbf by five minutes to absorb clock skew between its servers and resources.
const BACKDATE_SEC = 300;

export function stsIssuer(tenantId: string): string {
  return `https://sts.windows.net/${tenantId}/`;
}

function uti(): string {
  return randomBytes(16).toString("base64url");
}

/** A pairwise subject: stable per user and app, different across apps, as Microsoft's `sub`. */
function pairwiseSubject(userId: string, clientId: string): string {
  return createHash("sha256").update(`${userId}:${clientId}`).digest("base64url").slice(0, 43);
}

export interface AccessTokenRequest {
  tenantId: string;
  app: LoginApp;
  audience: string;
  authMethod: ClientAuthMethod;
  /** Present for delegated tokens. */
  user?: { id: string; userPrincipalName: string; displayName: string };
  /** Delegated permissions (user tokens); app tokens take the app's granted application permissions. */
  scopes?: string[];
  now: number;
  lifetimeSec: number;
}

/**
 * Signs a v1.0 access token for Graph. Permissions are read from the app now and baked in: a change of
 * grants shows only in tokens issued after it, as with the real service.
 */
export function issueAccessToken(
  key: SigningKey,
  r: AccessTokenRequest,
): { token: string; claims: AccessTokenClaims } {
  const nowSec = Math.floor(r.now / 1000);
  const base = {
    aud: r.audience,
    iss: stsIssuer(r.tenantId),
    iat: nowSec - BACKDATE_SEC,
    nbf: nowSec - BACKDATE_SEC,
    exp: nowSec + r.lifetimeSec,
    app_displayname: r.app.displayName,
    appid: r.app.clientId,
    appidacr: r.authMethod,
  };
  let claims: AccessTokenClaims;
  if (r.user) {
    claims = {
      ...base,
      idtyp: "user",
      name: r.user.displayName,
      oid: r.user.id,
      scp: (r.scopes ?? []).join(" "),
      sub: pairwiseSubject(r.user.id, r.app.clientId),
      tid: r.tenantId,
      unique_name: r.user.userPrincipalName,
      upn: r.user.userPrincipalName,
      uti: uti(),
      ver: "1.0",
    };
  } else {
    const roles = [...r.app.appPermissions];
    claims = {
      ...base,
      idp: stsIssuer(r.tenantId),
      idtyp: "app",
      oid: r.app.servicePrincipalId,
      // Microsoft leaves `roles` out entirely when nothing is granted.
      ...(roles.length > 0 ? { roles } : {}),
      sub: r.app.servicePrincipalId,
      tid: r.tenantId,
      uti: uti(),
      ver: "1.0",
    };
  }
  const token = signJwt({ typ: "JWT", x5t: key.kid, kid: key.kid }, { ...claims }, key.privateKey);
  return { token, claims };
}

/** A v2.0 ID token for the client (aud = client id), issued with `openid`. */
export function issueIdToken(
  key: SigningKey,
  r: {
    issuer: string;
    tenantId: string;
    clientId: string;
    user: { id: string; userPrincipalName: string; displayName: string };
    nonce: string | undefined;
    now: number;
    lifetimeSec: number;
  },
): string {
  const nowSec = Math.floor(r.now / 1000);
  const claims: Record<string, unknown> = {
    aud: r.clientId,
    iss: r.issuer,
    iat: nowSec - BACKDATE_SEC,
    nbf: nowSec - BACKDATE_SEC,
    exp: nowSec + r.lifetimeSec,
    name: r.user.displayName,
    ...(r.nonce === undefined ? {} : { nonce: r.nonce }),
    oid: r.user.id,
    preferred_username: r.user.userPrincipalName,
    sub: pairwiseSubject(r.user.id, r.clientId),
    tid: r.tenantId,
    uti: uti(),
    ver: "2.0",
  };
  return signJwt({ typ: "JWT", kid: key.kid }, claims, key.privateKey);
}

/** `client_info`: base64url JSON naming the account for MSAL's cache. */
export function clientInfo(userId: string, tenantId: string): string {
  return Buffer.from(JSON.stringify({ uid: userId, utid: tenantId })).toString("base64url");
}
