import { createError } from "../errors.ts";
import { redactString } from "../log/redact.ts";

/**
 * Resolves a path (`/users`, `users?$top=5`, `/beta/users`) against the Graph root and version, or
 * accepts an absolute link Graph returned (nextLink, deltaLink) verbatim — but only on the
 * configured root, so the bearer token can never be sent to another host.
 */
export function resolveGraphUrl(root: string, version: string, pathOrUrl: string): string {
  if (/^https?:\/\//i.test(pathOrUrl)) {
    if (isOnGraphRoot(root, pathOrUrl)) return pathOrUrl;
    throw createError("GRAPH_FOREIGN_URL", { origin: originOf(pathOrUrl), graphRoot: root });
  }
  const path = pathOrUrl.startsWith("/") ? pathOrUrl : "/" + pathOrUrl;
  return /^\/(v1\.0|beta)(\/|\?|$)/.test(path) ? root + path : `${root}/${version}${path}`;
}

/** Whether an absolute link is on the Graph root (the only place the token may be sent). */
export function isOnGraphRoot(root: string, url: string): boolean {
  return url.startsWith(root + "/");
}

/** A link's origin, for messages (never the link itself: it may carry tokens). */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "an invalid URL";
  }
}

/** Advanced queries need `$count=true` on every page (docs/graph.md#query-options). */
export function withCount(url: string): string {
  if (/[?&](\$|%24)count=/i.test(url)) return url;
  return url + (url.includes("?") ? "&" : "?") + "$count=true";
}

/** The URL as shown in errors and logs: paging/delta tokens elided, credentials scrubbed. */
export function displayUrl(url: string): string {
  return redactString(url.replace(/([?&](?:\$|%24)(?:skiptoken|deltatoken)=)[^&]*/gi, "$1…"));
}
