import type { IncomingMessage, ServerResponse } from "node:http";
import type { LoginContext } from "./context.ts";
import { AadError, aad, loginTimestamp } from "./errors.ts";
import { param, type RequestIds, redirect, requestIds, sendErrorPage, sendPage } from "./http.ts";
import { consentedScopes, parseScopes } from "./scopes.ts";
import { resolveTenant } from "./tenants.ts";
import type { LoginApp, LoginTenant } from "./types.ts";

/** A registered redirect URI, or a loopback one (always accepted, any port and path, as for desktop apps). */
export function acceptsRedirect(app: LoginApp, uri: string): boolean {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return false;
  }
  const loopback = url.protocol === "http:" && (url.hostname === "localhost" || url.hostname === "127.0.0.1");
  return loopback || app.redirectUris.includes(uri);
}

/** Where an error or a code goes back, in the response mode the client asked for. */
function sendBack(
  res: ServerResponse,
  ids: RequestIds,
  target: { redirectUri: string; mode: string },
  fields: Record<string, string>,
): void {
  const params = new URLSearchParams(fields);
  if (target.mode === "form_post") {
    const inputs = [...params]
      .map(
        ([k, v]) =>
          `<input type="hidden" name="${k}" value="${v.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)}">`,
      )
      .join("");
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store, no-cache" });
    res.end(
      `<html><body onload="document.forms[0].submit()"><form method="POST" action="${target.redirectUri}">${inputs}</form></body></html>`,
    );
    return;
  }
  const url = new URL(target.redirectUri);
  if (target.mode === "fragment") url.hash = params.toString();
  else for (const [k, v] of params) url.searchParams.append(k, v);
  redirect(res, url.toString(), ids);
}

function errorFields(err: AadError, ids: RequestIds, now: number, origin: string, state: string | undefined) {
  const fields: Record<string, string> = {
    // At /authorize the consent case is its own error, not the token endpoint's invalid_grant + suberror.
    error: err.suberror ?? err.error,
    error_description: `${err.message}\r\nTrace ID: ${ids.traceId}\r\nCorrelation ID: ${ids.correlationId}\r\nTimestamp: ${loginTimestamp(now)}`,
    error_uri: `${origin}/error?code=${err.code}`,
  };
  if (state !== undefined) fields["state"] = state;
  return fields;
}

type Challenge = { value: string; method: "S256" | "plain" } | undefined;

function pkceChallenge(query: URLSearchParams): Challenge {
  const value = param(query, "code_challenge");
  const method = param(query, "code_challenge_method") ?? "plain";
  if (method !== "S256" && method !== "plain") throw aad.pkceMethod();
  if (value === undefined) return undefined;
  // RFC 7636: S256 is 43 base64url characters; a plain verifier is 43 to 128.
  const ok = method === "S256" ? /^[A-Za-z0-9_-]{43}$/.test(value) : /^[A-Za-z0-9._~-]{43,128}$/.test(value);
  if (!ok) throw aad.pkceSize();
  return { value, method };
}

/** The checks whose failure can be sent back to the (validated) redirect URI. */
function approve(
  ctx: LoginContext,
  query: URLSearchParams,
  tenant: LoginTenant,
  app: LoginApp,
  redirectUri: string,
) {
  if (!app.enabled) throw aad.appDisabled(app.clientId, app.displayName);
  const responseType = param(query, "response_type");
  if (responseType === undefined) throw aad.missingParameter("response_type");
  if (responseType !== "code") throw aad.responseType(responseType);
  const scope = param(query, "scope");
  if (scope === undefined) throw aad.missingParameter("scope");
  const parsed = parseScopes(scope, ctx.origin(), tenant.displayName);
  const challenge = pkceChallenge(query);
  const user = ctx.directory.signInUser(tenant.id, app.clientId);
  if (!user) throw aad.noSignedInUser();
  if (!user.accountEnabled) throw aad.userDisabled();
  const scopes = consentedScopes(parsed, app.delegatedScopes, app);
  const now = ctx.now();
  const code = ctx.grants.issueCode({
    grant: {
      tenantId: tenant.id,
      clientId: app.clientId,
      user: { id: user.id, userPrincipalName: user.userPrincipalName, displayName: user.displayName },
      audience: parsed.audience,
      scopes,
      oidc: parsed.oidc,
      nonce: param(query, "nonce"),
    },
    redirectUri,
    challenge,
    issuedAt: now,
  });
  return code;
}

/**
 * The tenant, app and (when given) redirect URI of a front-channel request. Failures here are shown on a
 * page: Microsoft never redirects to an address it has not verified.
 */
function identifyClient(ctx: LoginContext, segment: string, query: URLSearchParams) {
  const clientId = param(query, "client_id");
  const tenant = resolveTenant(ctx, segment, { allowMultiTenant: true, clientId });
  if (clientId === undefined) throw aad.missingParameter("client_id");
  const app = ctx.directory.findApp(tenant.id, clientId);
  if (!app) throw aad.appNotFound(clientId, tenant.displayName);
  const redirectUri = param(query, "redirect_uri");
  if (redirectUri !== undefined && !acceptsRedirect(app, redirectUri)) {
    throw aad.redirectMismatch(redirectUri, clientId);
  }
  return { tenant, app, redirectUri };
}

/**
 * `GET /{tenant}/oauth2/v2.0/authorize`: signs in the directory's configured user without a prompt and
 * sends a code back. An unknown client or redirect URI gets an error page; other errors go back to the
 * redirect URI with error/error_description, as Microsoft does.
 */
export function handleAuthorize(
  ctx: LoginContext,
  req: IncomingMessage,
  res: ServerResponse,
  segment: string,
  url: URL,
) {
  const ids = requestIds(req);
  const now = ctx.now();
  const query = url.searchParams;
  let client: { tenant: LoginTenant; app: LoginApp; redirectUri: string };
  try {
    const found = identifyClient(ctx, segment, query);
    if (found.redirectUri === undefined) throw aad.missingParameter("redirect_uri");
    client = { ...found, redirectUri: found.redirectUri };
  } catch (err) {
    if (!(err instanceof AadError)) throw err;
    sendErrorPage(res, err, ids, now);
    return;
  }
  const target = { redirectUri: client.redirectUri, mode: param(query, "response_mode") ?? "query" };
  const state = param(query, "state");
  try {
    const code = approve(ctx, query, client.tenant, client.app, client.redirectUri);
    const fields: Record<string, string> = { code };
    if (state !== undefined) fields["state"] = state;
    fields["session_state"] = ids.traceId;
    sendBack(res, ids, target, fields);
  } catch (err) {
    if (!(err instanceof AadError)) throw err;
    // A disabled account is told so on the sign-in page; the app never hears back.
    if (err.code === 50057) {
      sendErrorPage(res, err, ids, now);
      return;
    }
    sendBack(res, ids, target, errorFields(err, ids, now, ctx.origin(), state));
  }
}

/** `GET /{tenant}/adminconsent`: the admin consent link; the grants themselves live in the directory. */
export function handleAdminConsent(
  ctx: LoginContext,
  req: IncomingMessage,
  res: ServerResponse,
  segment: string,
  url: URL,
) {
  const ids = requestIds(req);
  const now = ctx.now();
  const query = url.searchParams;
  try {
    const { tenant, app, redirectUri } = identifyClient(ctx, segment, query);
    if (redirectUri !== undefined) {
      const fields: Record<string, string> = { admin_consent: "True", tenant: tenant.id };
      const state = param(query, "state");
      if (state !== undefined) fields["state"] = state;
      sendBack(res, ids, { redirectUri, mode: "query" }, fields);
      return;
    }
    sendPage(
      res,
      200,
      `Permissions granted to ${app.displayName}`,
      [
        `Tenant: ${tenant.displayName} (${tenant.id})`,
        `Application permissions: ${app.appPermissions.join(", ") || "none"}`,
        `Delegated permissions: ${app.delegatedScopes.join(", ") || "none"}`,
      ],
      ids,
    );
  } catch (err) {
    if (!(err instanceof AadError)) throw err;
    sendErrorPage(res, err, ids, now);
  }
}
