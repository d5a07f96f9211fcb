import { decodeJwt, type SigningKey, verifyJwtSignature } from "../crypto/index.ts";
import { GRAPH_APP_ID, GRAPH_AUDIENCE } from "./scopes.ts";
import { stsIssuer } from "./token-issuer.ts";
import type { AccessTokenClaims } from "./types.ts";

export type VerifyResult = { ok: true; claims: AccessTokenClaims } | { ok: false; message: string };

/** Graph's 401 InvalidAuthenticationToken messages. */
export const TOKEN_MESSAGES = {
  empty: "Access token is empty.",
  unparsable: "CompactToken parsing failed with error code: 80049217",
  signature: "Access token validation failure. Invalid signature.",
  audience: "Access token validation failure. Invalid audience.",
  issuer: "Access token validation failure. Invalid issuer.",
  expired: "Lifetime validation failed, the token is expired.",
  notYetValid: "Lifetime validation failed, the token is not yet valid.",
} as const;

const AUDIENCES = new Set([GRAPH_AUDIENCE, `${GRAPH_AUDIENCE}/`, GRAPH_APP_ID]);

/**
 * Checks the `Authorization` header of a Graph request against the tokens this service signs.
 * No clock-skew allowance: a connector must renew before `exp`, and tests should see that it does.
 */
export function verifyAccessToken(
  authorization: string | undefined,
  key: SigningKey | undefined,
  nowMs: number,
): VerifyResult {
  const match = /^Bearer\s+(.*)$/i.exec(authorization?.trim() ?? "");
  const token = match?.[1]?.trim() ?? "";
  if (token === "") return { ok: false, message: TOKEN_MESSAGES.empty };
  const jwt = decodeJwt(token);
  if (!jwt) return { ok: false, message: TOKEN_MESSAGES.unparsable };
  if (
    !key ||
    jwt.header["kid"] !== key.kid ||
    jwt.header["alg"] !== "RS256" ||
    !verifyJwtSignature(jwt, key.publicKey, "RS256")
  ) {
    return { ok: false, message: TOKEN_MESSAGES.signature };
  }
  const claims = jwt.payload as unknown as AccessTokenClaims;
  if (!AUDIENCES.has(claims.aud)) return { ok: false, message: TOKEN_MESSAGES.audience };
  if (typeof claims.tid !== "string" || claims.iss !== stsIssuer(claims.tid)) {
    return { ok: false, message: TOKEN_MESSAGES.issuer };
  }
  const nowSec = nowMs / 1000;
  if (typeof claims.exp !== "number" || nowSec >= claims.exp)
    return { ok: false, message: TOKEN_MESSAGES.expired };
  if (typeof claims.nbf === "number" && nowSec < claims.nbf)
    return { ok: false, message: TOKEN_MESSAGES.notYetValid };
  return { ok: true, claims };
}
