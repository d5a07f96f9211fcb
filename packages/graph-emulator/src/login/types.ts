/** An app registration plus its service principal, as the login service needs to see it. */
export interface LoginApp {
  clientId: string;
  displayName: string;
  enabled: boolean;
  secrets: { keyId: string; value: string; expiresAt: number /* epoch ms */ }[];
  certificates: {
    thumbprintSha1: string /* base64url x5t */;
    thumbprintSha256?: string;
    publicKeyPem: string;
  }[];
  /** Application permissions granted (go in `roles`). */
  appPermissions: string[];
  /** Delegated permissions consented (go in `scp`). */
  delegatedScopes: string[];
  /** Accepted besides http://localhost:* and http://127.0.0.1:*, which are always accepted. */
  redirectUris: string[];
  servicePrincipalId: string;
}

export interface LoginUser {
  id: string;
  userPrincipalName: string;
  displayName: string;
  accountEnabled: boolean;
}

export interface LoginTenant {
  id: string;
  domains: string[];
  displayName: string;
}

/** What the login service reads from the emulated directory; it never writes to it. */
export interface LoginDirectory {
  /** By tenant GUID or verified domain (case-insensitive). */
  findTenant(idOrDomain: string): LoginTenant | undefined;
  findApp(tenantId: string, clientId: string): LoginApp | undefined;
  /** Who /authorize auto-approves for this app (the "signed-in" user). */
  signInUser(tenantId: string, clientId: string): LoginUser | undefined;
  /**
   * The tenant a sign-in at /common or /organizations lands in (the user's home tenant). Without it,
   * those authorities answer as an unknown tenant.
   */
  homeTenantFor?(clientId: string): string | undefined;
}

/** Claims of an access token for Microsoft Graph (v1.0 token format). */
export interface AccessTokenClaims {
  aud: string;
  iss: string;
  tid: string;
  appid: string;
  oid: string;
  sub: string;
  idtyp: "app" | "user";
  roles?: string[];
  scp?: string;
  exp: number;
  nbf: number;
  iat: number;
  ver: "1.0";
  upn?: string;
  name?: string;
  app_displayname?: string;
  /** "0" public client, "1" client secret, "2" certificate. */
  appidacr?: "0" | "1" | "2";
  idp?: string;
  uti?: string;
  unique_name?: string;
}

export interface LoginServiceOptions {
  directory: LoginDirectory;
  /** The service's own origin, e.g. https://127.0.0.1:PORT (read per request: the port is known late). */
  origin: () => string;
  now?: () => number;
  /** Default 3599, as Microsoft answers. */
  accessTokenLifetimeSec?: number;
  /** Inactivity lifetime of a refresh token; default 90 days, as Microsoft's. */
  refreshTokenLifetimeSec?: number;
}
