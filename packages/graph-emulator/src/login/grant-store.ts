import { randomBytes } from "node:crypto";

/** What a user approved for an app: the basis of codes and refresh tokens. */
export interface DelegatedGrant {
  tenantId: string;
  clientId: string;
  user: { id: string; userPrincipalName: string; displayName: string };
  audience: string;
  /** Delegated permissions granted (the `scp` of access tokens). */
  scopes: string[];
  /** OIDC scopes asked at sign-in: openid → id_token, offline_access → refresh tokens. */
  oidc: string[];
  /** Redeemed without client credentials (PKCE, desktop/mobile style): refreshes need none either. */
  publicClient: boolean;
  nonce: string | undefined;
}

export interface AuthorizationCode {
  grant: Omit<DelegatedGrant, "publicClient">;
  redirectUri: string;
  challenge: { value: string; method: "S256" | "plain" } | undefined;
  issuedAt: number;
  redeemed: boolean;
}

export interface RefreshRecord {
  grant: DelegatedGrant;
  issuedAt: number;
  expiresAt: number;
}

/** Opaque, like Microsoft's: "1.A" plus random base64url; the value carries no meaning to the client. */
function opaque(bytes: number): string {
  return `1.A${randomBytes(bytes).toString("base64url")}`;
}

/** Codes about ten minutes, as on the real service. */
export const CODE_LIFETIME_MS = 10 * 60_000;

/**
 * In-memory authorization codes and refresh tokens, and per-user revocation times (TokensValidFrom).
 * Redeemed codes are remembered until they would have expired so a replay gets AADSTS54005.
 */
export class GrantStore {
  readonly #codes = new Map<string, AuthorizationCode>();
  readonly #refresh = new Map<string, RefreshRecord>();
  readonly #validFrom = new Map<string, number>();

  issueCode(code: Omit<AuthorizationCode, "redeemed">): string {
    this.#prune(code.issuedAt);
    const value = opaque(96);
    this.#codes.set(value, { ...code, redeemed: false });
    return value;
  }

  findCode(value: string): AuthorizationCode | undefined {
    return this.#codes.get(value);
  }

  issueRefreshToken(grant: DelegatedGrant, now: number, lifetimeMs: number): string {
    this.#prune(now);
    const value = opaque(192);
    this.#refresh.set(value, { grant, issuedAt: now, expiresAt: now + lifetimeMs });
    return value;
  }

  findRefreshToken(value: string): RefreshRecord | undefined {
    return this.#refresh.get(value);
  }

  /** Like revokeSignInSessions: every refresh token issued to the user before `at` stops working. */
  revokeUser(tenantId: string, userId: string, at: number): void {
    this.#validFrom.set(`${tenantId}/${userId}`, at);
  }

  tokensValidFrom(tenantId: string, userId: string): number | undefined {
    return this.#validFrom.get(`${tenantId}/${userId}`);
  }

  #prune(now: number): void {
    for (const [key, code] of this.#codes)
      if (now - code.issuedAt > CODE_LIFETIME_MS * 2) this.#codes.delete(key);
    // Expired refresh tokens stay a while longer, so their use is answered "expired", not "malformed".
    for (const [key, rt] of this.#refresh) {
      if (now > rt.expiresAt + (rt.expiresAt - rt.issuedAt)) this.#refresh.delete(key);
    }
  }
}
