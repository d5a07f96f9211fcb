/** Claims of a Graph access token that the connector reads (docs/graph.md#access-tokens). */
export interface TokenClaims {
  aud?: string;
  iss?: string;
  tid?: string;
  appid?: string;
  oid?: string;
  idtyp?: string;
  roles?: string[];
  scp?: string;
  exp?: number;
  [claim: string]: unknown;
}

/**
 * The payload of a JWT, without verifying it: the connector only reads its own token to learn what it
 * was granted; Graph verifies signatures. Returns undefined for opaque (non-JWT) tokens.
 */
export function decodeClaims(token: string): TokenClaims | undefined {
  const part = token.split(".")[1];
  if (!part) return undefined;
  try {
    const json: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    return typeof json === "object" && json !== null ? (json as TokenClaims) : undefined;
  } catch {
    return undefined;
  }
}

/** Granted permissions: app roles for app-only tokens, `scp` scopes for delegated ones. */
export function grantedPermissions(claims: TokenClaims | undefined): {
  kind: "app" | "delegated";
  names: string[];
} {
  if (claims?.scp !== undefined && typeof claims.scp === "string") {
    return { kind: "delegated", names: claims.scp.split(" ").filter(Boolean) };
  }
  return { kind: "app", names: Array.isArray(claims?.roles) ? claims.roles.map(String) : [] };
}
