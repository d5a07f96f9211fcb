import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { authenticateClient, hasCredential, type PresentedClient, presentedClient } from "./client-auth.ts";
import type { LoginContext } from "./context.ts";
import { AadError, aad } from "./errors.ts";
import { CODE_LIFETIME_MS, type DelegatedGrant } from "./grant-store.ts";
import { param, parseForm, type RequestIds, requestIds, sendError, sendJson } from "./http.ts";
import { appOnlyScopes, GRAPH_AUDIENCE, narrowToGrant, parseScopes } from "./scopes.ts";
import { resolveTenant, tokenEndpoints } from "./tenants.ts";
import { type ClientAuthMethod, clientInfo, issueAccessToken, issueIdToken } from "./token-issuer.ts";
import type { LoginApp, LoginTenant } from "./types.ts";

const GRANTS = ["client_credentials", "authorization_code", "refresh_token"] as const;
type Grant = (typeof GRANTS)[number];

interface TokenRequest {
  ctx: LoginContext;
  form: URLSearchParams;
  segment: string;
  tenant: LoginTenant;
  app: LoginApp;
  client: PresentedClient;
  now: number;
}

function required(form: URLSearchParams, name: string): string {
  const value = param(form, name);
  if (value === undefined) throw aad.missingParameter(name);
  return value;
}

function authenticate(r: TokenRequest): ClientAuthMethod {
  return authenticateClient(r.app, r.client, {
    tokenEndpoints: tokenEndpoints(r.ctx.origin(), r.segment, r.tenant),
    now: r.now,
  });
}

async function clientCredentials(r: TokenRequest): Promise<Record<string, unknown>> {
  const scope = required(r.form, "scope");
  const authMethod = authenticate(r);
  // An app with no application permission granted still gets a token, only without `roles`, as on the
  // real service (Graph then answers 403); AADSTS65001 is a delegated-consent error.
  const parsed = appOnlyScopes(scope, r.ctx.origin(), r.tenant.displayName);
  const { token } = issueAccessToken(await r.ctx.signingKey(), {
    tenantId: r.tenant.id,
    app: r.app,
    audience: parsed.audience,
    authMethod,
    now: r.now,
    lifetimeSec: r.ctx.accessTokenLifetimeSec,
  });
  // Never a refresh token for client credentials.
  return tokenResponse(r.ctx, token);
}

function tokenResponse(ctx: LoginContext, accessToken: string, extra: Record<string, unknown> = {}) {
  const life = ctx.accessTokenLifetimeSec;
  return {
    token_type: "Bearer",
    ...extra,
    expires_in: life,
    ext_expires_in: life,
    access_token: accessToken,
  };
}

/** Answers a delegated grant: access token, plus refresh token / id_token / client_info as asked. */
async function delegatedResponse(
  r: TokenRequest,
  grant: DelegatedGrant,
  scopes: string[],
  authMethod: ClientAuthMethod,
): Promise<Record<string, unknown>> {
  const key = await r.ctx.signingKey();
  const { token } = issueAccessToken(key, {
    tenantId: grant.tenantId,
    app: r.app,
    audience: grant.audience,
    authMethod,
    user: grant.user,
    scopes,
    now: r.now,
    lifetimeSec: r.ctx.accessTokenLifetimeSec,
  });
  const granted = [...new Set([...scopes, ...grant.oidc.filter((s) => s !== "offline_access")])];
  const out: Record<string, unknown> = tokenResponse(r.ctx, token, { scope: granted.join(" ") });
  if (grant.oidc.includes("offline_access")) {
    out["refresh_token"] = r.ctx.grants.issueRefreshToken(grant, r.now, r.ctx.refreshTokenLifetimeSec * 1000);
  }
  if (grant.oidc.includes("openid")) {
    out["id_token"] = issueIdToken(key, {
      issuer: `${r.ctx.origin()}/${grant.tenantId}/v2.0`,
      tenantId: grant.tenantId,
      clientId: r.app.clientId,
      user: grant.user,
      nonce: grant.nonce,
      now: r.now,
      lifetimeSec: r.ctx.accessTokenLifetimeSec,
    });
  }
  if (r.form.get("client_info") === "1") out["client_info"] = clientInfo(grant.user.id, grant.tenantId);
  return out;
}

function pkceMatches(
  challenge: { value: string; method: "S256" | "plain" },
  verifier: string | undefined,
): boolean {
  if (verifier === undefined) return false;
  const derived =
    challenge.method === "S256" ? createHash("sha256").update(verifier).digest("base64url") : verifier;
  return derived === challenge.value;
}

async function authorizationCode(r: TokenRequest): Promise<Record<string, unknown>> {
  const value = required(r.form, "code");
  const redirectUri = required(r.form, "redirect_uri");
  const code = r.ctx.grants.findCode(value);
  if (!code) throw aad.grantMalformed();
  if (code.grant.clientId !== r.app.clientId || code.grant.tenantId !== r.tenant.id)
    throw aad.grantMismatch();
  if (code.redeemed) throw aad.codeRedeemed();
  if (r.now - code.issuedAt > CODE_LIFETIME_MS) throw aad.codeExpired();
  if (redirectUri !== code.redirectUri) throw aad.replyMismatch(redirectUri, code.redirectUri);
  if (code.challenge && !pkceMatches(code.challenge, param(r.form, "code_verifier")))
    throw aad.pkceMismatch();
  // A public client (desktop app with PKCE) has no secret; a confidential one must prove itself.
  const publicClient = !hasCredential(r.client) && code.challenge !== undefined;
  const authMethod = publicClient ? "0" : authenticate(r);
  code.redeemed = true;
  const grant: DelegatedGrant = { ...code.grant, publicClient };
  return delegatedResponse(r, grant, grant.scopes, authMethod);
}

async function refreshToken(r: TokenRequest): Promise<Record<string, unknown>> {
  const value = required(r.form, "refresh_token");
  const record = r.ctx.grants.findRefreshToken(value);
  if (!record) throw aad.grantMalformed();
  const { grant } = record;
  if (grant.clientId !== r.app.clientId || grant.tenantId !== r.tenant.id) throw aad.grantMismatch();
  const authMethod = grant.publicClient && !hasCredential(r.client) ? "0" : authenticate(r);
  const validFrom = r.ctx.grants.tokensValidFrom(grant.tenantId, grant.user.id);
  if (validFrom !== undefined && record.issuedAt < validFrom)
    throw aad.grantRevoked(record.issuedAt, validFrom);
  if (r.now > record.expiresAt) throw aad.refreshExpired(record.issuedAt, record.expiresAt - record.issuedAt);
  const scope = param(r.form, "scope");
  const parsed = scope === undefined ? undefined : parseScopes(scope, r.ctx.origin(), r.tenant.displayName);
  if (
    parsed &&
    parsed.audience !== grant.audience &&
    !(parsed.audience === GRAPH_AUDIENCE && parsed.names.length === 0)
  ) {
    throw aad.scopeNotGranted();
  }
  const requested = parsed ? narrowToGrant(parsed, grant.scopes) : grant.scopes;
  // Consent may have been withdrawn since sign-in; new tokens carry only what is still granted.
  const consented = new Set(r.app.delegatedScopes.map((s) => s.toLowerCase()));
  const scopes = requested.filter((s) => consented.has(s.toLowerCase()));
  if (requested.length > 0 && scopes.length === 0)
    throw aad.consentRequired(r.app.clientId, r.app.displayName);
  return delegatedResponse(r, grant, scopes, authMethod);
}

const HANDLERS: Record<Grant, (r: TokenRequest) => Promise<Record<string, unknown>>> = {
  client_credentials: clientCredentials,
  authorization_code: authorizationCode,
  refresh_token: refreshToken,
};

async function answer(ctx: LoginContext, req: IncomingMessage, segment: string, body: Buffer, now: number) {
  if (req.method !== "POST") throw aad.postOnly(req.method ?? "GET");
  const form = parseForm(body);
  const grantType = required(form, "grant_type");
  if (!(GRANTS as readonly string[]).includes(grantType)) throw aad.unsupportedGrant(grantType);
  const client = presentedClient(form, req.headers.authorization);
  const tenant = resolveTenant(ctx, segment, {
    allowMultiTenant: grantType !== "client_credentials",
    clientId: client.clientId,
  });
  if (client.clientId === undefined) throw aad.missingParameter("client_id");
  const app = ctx.directory.findApp(tenant.id, client.clientId);
  if (!app) throw aad.appNotFound(client.clientId, tenant.displayName);
  if (!app.enabled) throw aad.appDisabled(app.clientId, app.displayName);
  return HANDLERS[grantType as Grant]({ ctx, form, segment, tenant, app, client, now });
}

/** `POST /{tenant}/oauth2/v2.0/token`. */
export async function handleToken(
  ctx: LoginContext,
  req: IncomingMessage,
  res: ServerResponse,
  segment: string,
  body: Buffer,
): Promise<void> {
  const ids: RequestIds = requestIds(req);
  const now = ctx.now();
  try {
    sendJson(res, 200, await answer(ctx, req, segment, body, now), ids);
  } catch (err) {
    if (!(err instanceof AadError)) throw err;
    sendError(res, err, ids, now, ctx.origin());
  }
}
