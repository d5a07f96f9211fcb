import type { LoginContext } from "./context.ts";
import { aad } from "./errors.ts";
import type { LoginTenant } from "./types.ts";

const MULTI_TENANT = new Set(["common", "organizations"]);

export function isMultiTenantSegment(segment: string): boolean {
  return MULTI_TENANT.has(segment.toLowerCase());
}

/**
 * The tenant a `/{tenant}/...` path names: a GUID or verified domain, or, for user sign-ins,
 * `common`/`organizations` (resolved to the app's home tenant). App-only grants need a real tenant.
 */
export function resolveTenant(
  ctx: LoginContext,
  segment: string,
  opts: { allowMultiTenant: boolean; clientId: string | undefined },
): LoginTenant {
  if (isMultiTenantSegment(segment) || segment.toLowerCase() === "consumers") {
    if (!opts.allowMultiTenant) throw aad.grantNotOnCommon();
    if (opts.clientId === undefined) throw aad.missingParameter("client_id");
    const home = ctx.directory.homeTenantFor?.(opts.clientId);
    const tenant = home === undefined ? undefined : ctx.directory.findTenant(home);
    if (tenant && isMultiTenantSegment(segment)) return tenant;
    throw aad.tenantNotFound(segment);
  }
  const tenant = ctx.directory.findTenant(segment);
  if (!tenant) throw aad.tenantNotFound(segment);
  return tenant;
}

/** Every token endpoint URL of a tenant a client assertion may name as its audience. */
export function tokenEndpoints(origin: string, segment: string, tenant: LoginTenant): string[] {
  const names = [...new Set([segment, tenant.id, ...tenant.domains])];
  return names.flatMap((n) => [`${origin}/${n}/oauth2/v2.0/token`, `${origin}/${n}/oauth2/token`]);
}
