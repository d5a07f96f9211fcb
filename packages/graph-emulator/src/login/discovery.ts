import type { IncomingMessage, ServerResponse } from "node:http";
import type { LoginContext } from "./context.ts";
import { AadError, aad } from "./errors.ts";
import { requestIds, sendError, sendPage, sendPublicJson } from "./http.ts";
import { isMultiTenantSegment } from "./tenants.ts";

/** The tenant part of discovery answers: a tenant's own id, or the template MSAL fills in for common. */
function discoveryTenant(ctx: LoginContext, segment: string): { path: string; issuerTenant: string } {
  if (isMultiTenantSegment(segment)) return { path: segment.toLowerCase(), issuerTenant: "{tenantid}" };
  const tenant = ctx.directory.findTenant(segment);
  if (!tenant) throw aad.tenantNotFound(segment).as("invalid_tenant");
  return { path: tenant.id, issuerTenant: tenant.id };
}

export function openIdConfiguration(
  origin: string,
  path: string,
  issuerTenant: string,
): Record<string, unknown> {
  const host = new URL(origin).host;
  const base = `${origin}/${path}`;
  return {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ["query", "fragment", "form_post"],
    subject_types_supported: ["pairwise"],
    id_token_signing_alg_values_supported: ["RS256"],
    response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
    scopes_supported: ["openid", "profile", "email", "offline_access"],
    issuer: `${origin}/${issuerTenant}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${origin}/oidc/userinfo`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: [
      "sub",
      "iss",
      "cloud_instance_name",
      "cloud_instance_host_name",
      "cloud_graph_host_name",
      "msgraph_host",
      "aud",
      "exp",
      "iat",
      "auth_time",
      "acr",
      "nonce",
      "preferred_username",
      "name",
      "tid",
      "ver",
      "at_hash",
      "c_hash",
      "email",
    ],
    kerberos_endpoint: `${base}/kerberos`,
    tenant_region_scope: "EU",
    cloud_instance_name: host,
    cloud_graph_host_name: host,
    // Graph is served by the emulator on the same origin.
    msgraph_host: host,
    rbac_url: origin,
  };
}

/** `GET /{tenant}/v2.0/.well-known/openid-configuration`. */
function openIdConfigurationRoute(ctx: LoginContext, segment: string): unknown {
  const { path, issuerTenant } = discoveryTenant(ctx, segment);
  return openIdConfiguration(ctx.origin(), path, issuerTenant);
}

/**
 * `GET /common/discovery/instance?api-version=1.1&authorization_endpoint=…`: MSAL's instance discovery.
 * The emulator is its own single cloud, so it only vouches for authorities on its own host.
 */
function instanceDiscovery(ctx: LoginContext, url: URL): unknown {
  const endpoint = url.searchParams.get("authorization_endpoint");
  if (!endpoint) throw aad.missingParameter("authorization_endpoint");
  const origin = ctx.origin();
  const host = new URL(origin).host;
  let tenant: string | undefined;
  try {
    const parsed = new URL(endpoint);
    tenant = parsed.host.toLowerCase() === host.toLowerCase() ? parsed.pathname.split("/")[1] : undefined;
  } catch {
    tenant = undefined;
  }
  if (!tenant) throw aad.unknownInstance();
  return {
    tenant_discovery_endpoint: `${origin}/${tenant}/v2.0/.well-known/openid-configuration`,
    "api-version": url.searchParams.get("api-version") ?? "1.1",
    metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
  };
}

/** `GET /{tenant}/discovery/v2.0/keys`: the JWKS that verifies every token the service signs. */
async function keys(ctx: LoginContext, segment: string): Promise<unknown> {
  const { issuerTenant } = discoveryTenant(ctx, segment);
  const key = await ctx.signingKey();
  return { keys: [{ ...key.jwk, issuer: `${ctx.origin()}/${issuerTenant}/v2.0` }] };
}

export type DiscoveryRoute = "openid-configuration" | "instance" | "keys";

export async function handleDiscovery(
  ctx: LoginContext,
  req: IncomingMessage,
  res: ServerResponse,
  route: DiscoveryRoute,
  segment: string,
  url: URL,
): Promise<void> {
  const ids = requestIds(req);
  try {
    const body =
      route === "openid-configuration"
        ? openIdConfigurationRoute(ctx, segment)
        : route === "instance"
          ? instanceDiscovery(ctx, url)
          : await keys(ctx, segment);
    sendPublicJson(res, 200, body, ids);
  } catch (err) {
    if (!(err instanceof AadError)) throw err;
    sendError(res, err, ids, ctx.now(), ctx.origin());
  }
}

/** `GET /{tenant}/oauth2/v2.0/logout`: sessions are not kept, so there is nothing to end. */
export function handleLogout(req: IncomingMessage, res: ServerResponse): void {
  sendPage(res, 200, "Sign out", ["You have signed out of your account."], requestIds(req));
}
