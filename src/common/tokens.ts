/** Exactly the fields platforms keep per connection (docs/graph.md#token-endpoint), plus the refresh token. */
export interface StoredToken {
  tokenType: string;
  accessToken: string;
  /** Seconds, as the token endpoint returned them. */
  expiresIn: number;
  extExpiresIn: number;
  /** Absolute expiry, ms since the epoch, computed when the token arrived. */
  expiresAt: number;
  tenantId: string;
  /** Delegated connections only; rotated whenever the service returns a new one. */
  refreshToken?: string;
}

export interface TokenProvider {
  /** A valid access token, reused until shortly before expiry; one acquisition in flight at a time. */
  getToken(signal?: AbortSignal): Promise<StoredToken>;
  /**
   * Signs in now whatever is cached (a connection test must try the credential, and read the grants
   * of a token issued now); later getToken calls reuse the new token.
   */
  signIn(signal?: AbortSignal): Promise<StoredToken>;
  /** Forget `accessToken` (Graph rejected it) so the next getToken fetches a new one. */
  invalidate(accessToken: string): void;
  /** Token endpoint round trips made so far (for tests and stats). */
  readonly acquisitions: number;
}
