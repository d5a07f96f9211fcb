import { aad } from "./errors.ts";

/** The audience Microsoft puts in Graph tokens requested as `https://graph.microsoft.com/...`. */
export const GRAPH_AUDIENCE = "https://graph.microsoft.com";
/** Microsoft Graph's well-known application id; a scope may name the resource by it instead. */
export const GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";
/** OpenID Connect scopes: they shape the answer (id_token, refresh_token), not the access token's resource. */
export const OIDC_SCOPES = ["openid", "profile", "email", "offline_access"] as const;

/** A `scope` parameter split into the one resource it targets, its permission names and OIDC scopes. */
export interface ParsedScopes {
  /** The `aud` of the token to issue. */
  audience: string;
  /** `{resource}/.default`: every permission granted to the app for that resource. */
  isDefault: boolean;
  /** Permission names without the resource prefix, as written (deduplicated). */
  names: string[];
  oidc: string[];
}

const SCOPE_NAME = /^[A-Za-z][A-Za-z0-9._-]*$/;

/**
 * Which audience a resource identifier names, when it names Graph: its URL, its app id, or the
 * emulator's own Graph root (so a client pointed at the emulator can ask for `{graphRoot}/.default`).
 */
function graphAudience(resource: string, graphRoot: string): string | undefined {
  const r = resource.replace(/\/+$/, "").toLowerCase();
  if (r === GRAPH_AUDIENCE || r === graphRoot.replace(/\/+$/, "").toLowerCase()) return GRAPH_AUDIENCE;
  if (r === GRAPH_APP_ID) return GRAPH_APP_ID;
  return undefined;
}

/**
 * Parses a space-separated `scope` parameter. Bare names (`User.Read`) mean Graph, as on the real service;
 * scopes for more than one resource are AADSTS700022, an unknown resource AADSTS500011.
 */
export function parseScopes(scope: string, graphRoot: string, tenantName: string): ParsedScopes {
  const items = [...new Set(scope.split(/\s+/).filter((s) => s !== ""))];
  const oidc: string[] = [];
  const names: string[] = [];
  const resources = new Set<string>();
  let isDefault = false;
  for (const item of items) {
    if ((OIDC_SCOPES as readonly string[]).includes(item.toLowerCase())) {
      oidc.push(item.toLowerCase());
      continue;
    }
    const slash = item.lastIndexOf("/");
    const resource = slash === -1 ? GRAPH_AUDIENCE : item.slice(0, slash);
    const name = slash === -1 ? item : item.slice(slash + 1);
    resources.add(resource.replace(/\/+$/, "").toLowerCase());
    if (resources.size > 1) throw aad.scopeSeveralResources(items.join(" "));
    if (name === ".default") isDefault = true;
    else if (SCOPE_NAME.test(name)) names.push(name);
    else throw aad.scopeInvalid(item);
  }
  const [resource] = resources;
  const audience = resource === undefined ? GRAPH_AUDIENCE : graphAudience(resource, graphRoot);
  if (audience === undefined) throw aad.resourceNotFound(resource ?? "", tenantName);
  // `.default` stands for the whole static consent; mixing it with named permissions is rejected.
  if (isDefault && names.length > 0) throw aad.scopeInvalid(items.filter((i) => !oidc.includes(i)).join(" "));
  return { audience, isDefault, names, oidc };
}

/** Client credentials take exactly one `{resource}/.default` (OIDC extras that old MSAL adds are tolerated). */
export function appOnlyScopes(scope: string, graphRoot: string, tenantName: string): ParsedScopes {
  const parsed = parseScopes(scope, graphRoot, tenantName);
  if (!parsed.isDefault) {
    const first = parsed.names[0] ?? scope.trim();
    throw aad.scopeNotDefault(first);
  }
  return parsed;
}

/**
 * The delegated permissions to put in `scp`: the requested ones that are consented for the app, or all
 * consented ones for `.default`. Anything not consented is AADSTS65001: the emulated tenant does not let
 * users consent on their own, so an admin must grant first (the realistic default for enterprise tenants).
 */
export function consentedScopes(
  parsed: ParsedScopes,
  consented: string[],
  app: { clientId: string; displayName: string },
): string[] {
  if (parsed.isDefault) {
    // offline_access decides whether a refresh token is issued; it never appears in `scp`.
    const all = consented.filter((s) => s.toLowerCase() !== "offline_access");
    if (all.length === 0) throw aad.consentRequired(app.clientId, app.displayName);
    return all;
  }
  const byLower = new Map(consented.map((s) => [s.toLowerCase(), s]));
  const granted: string[] = [];
  for (const name of parsed.names) {
    const match = byLower.get(name.toLowerCase());
    if (match === undefined) throw aad.consentRequired(app.clientId, app.displayName);
    granted.push(match);
  }
  return granted;
}

/** Narrows a refresh to the scopes of the original grant; asking for more needs a new sign-in. */
export function narrowToGrant(parsed: ParsedScopes, granted: string[]): string[] {
  if (parsed.isDefault || parsed.names.length === 0) return [...granted];
  const byLower = new Map(granted.map((s) => [s.toLowerCase(), s]));
  const out: string[] = [];
  for (const name of parsed.names) {
    const match = byLower.get(name.toLowerCase());
    if (match === undefined) {
      throw aad.scopeNotGranted();
    }
    out.push(match);
  }
  return out;
}
