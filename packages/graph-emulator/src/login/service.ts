import type { IncomingMessage, ServerResponse } from "node:http";
import { createSigningKey, type SigningKey } from "../crypto/index.ts";
import { type VerifyResult, verifyAccessToken } from "./access-token-verifier.ts";
import { handleAdminConsent, handleAuthorize } from "./authorize.ts";
import type { LoginContext } from "./context.ts";
import { type DiscoveryRoute, handleDiscovery, handleLogout } from "./discovery.ts";
import { GrantStore } from "./grant-store.ts";
import { handleToken } from "./token-endpoint.ts";
import type { LoginServiceOptions } from "./types.ts";

export interface LoginService {
  /** Handles login routes; returns false when the path is not a login route. `body` is the raw request body. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): Promise<boolean>;
  /** Checks a Graph request's Authorization header; the message is Graph's 401 InvalidAuthenticationToken text. */
  verifyAccessToken(authorizationHeader: string | undefined): VerifyResult;
  /** Shifts the service's clock (token lifetimes, code and refresh expiry), for expiry tests. */
  setClock(offsetMs: number): void;
  /** Like Graph's revokeSignInSessions: the user's refresh tokens issued before now stop working (AADSTS50173). */
  revokeSignInSessions(tenantId: string, userId: string): void;
  /** Resolves once the token signing key exists (tokens can be issued and verified). */
  ready(): Promise<void>;
}

type Route =
  | { kind: "token" | "authorize" | "adminconsent" | "logout"; segment: string }
  | { kind: DiscoveryRoute; segment: string };

// The first path segment is a tenant; Graph's and the control API's own prefixes are never tenants.
const NOT_TENANTS = new Set(["v1.0", "beta", "_emulator", "$batch"]);

const PATTERNS: [RegExp, Route["kind"]][] = [
  [/^\/([^/]+)\/oauth2\/v2\.0\/token\/?$/i, "token"],
  [/^\/([^/]+)\/oauth2\/v2\.0\/authorize\/?$/i, "authorize"],
  [/^\/([^/]+)\/oauth2\/v2\.0\/logout\/?$/i, "logout"],
  [/^\/([^/]+)\/adminconsent\/?$/i, "adminconsent"],
  [/^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration\/?$/i, "openid-configuration"],
  [/^\/([^/]+)\/discovery\/instance\/?$/i, "instance"],
  [/^\/([^/]+)\/discovery\/v2\.0\/keys\/?$/i, "keys"],
];

function route(pathname: string): Route | undefined {
  for (const [pattern, kind] of PATTERNS) {
    const match = pattern.exec(pathname);
    if (!match?.[1]) continue;
    let segment: string;
    try {
      segment = decodeURIComponent(match[1]);
    } catch {
      segment = match[1]; // malformed escapes: left as sent, so the tenant lookup answers 90002
    }
    if (NOT_TENANTS.has(segment.toLowerCase())) return undefined;
    return { kind, segment };
  }
  return undefined;
}

/**
 * The Microsoft identity platform's login endpoints, to mount on the emulator's HTTPS server.
 * @example
 *   const login = createLoginService({ directory, origin: () => `https://127.0.0.1:${port}` });
 *   if (await login.handle(req, res, url, body)) return;   // else: Graph routes
 */
export function createLoginService(opts: LoginServiceOptions): LoginService {
  let offsetMs = 0;
  const baseNow = opts.now ?? Date.now;
  const now = () => baseNow() + offsetMs;
  let key: SigningKey | undefined;
  const keyPromise = createSigningKey().then((k) => {
    key = k;
    return k;
  });
  const ctx: LoginContext = {
    directory: opts.directory,
    origin: () => opts.origin().replace(/\/+$/, ""),
    now,
    accessTokenLifetimeSec: opts.accessTokenLifetimeSec ?? 3599,
    refreshTokenLifetimeSec: opts.refreshTokenLifetimeSec ?? 90 * 86_400,
    grants: new GrantStore(),
    signingKey: () => keyPromise,
  };
  return {
    async handle(req, res, url, body) {
      const r = route(url.pathname);
      if (!r) return false;
      switch (r.kind) {
        case "token":
          await handleToken(ctx, req, res, r.segment, body);
          break;
        case "authorize":
          handleAuthorize(ctx, req, res, r.segment, url);
          break;
        case "adminconsent":
          handleAdminConsent(ctx, req, res, r.segment, url);
          break;
        case "logout":
          handleLogout(req, res);
          break;
        default:
          await handleDiscovery(ctx, req, res, r.kind, r.segment, url);
      }
      return true;
    },
    verifyAccessToken: (header) => verifyAccessToken(header, key, now()),
    setClock(ms) {
      offsetMs = ms;
    },
    revokeSignInSessions(tenantId, userId) {
      ctx.grants.revokeUser(tenantId, userId, now());
    },
    async ready() {
      await keyPromise;
    },
  };
}
