import { createError } from "../errors.ts";
import { redactString } from "../log/redact.ts";

/**
 * Resolves a path (`/users`, `users?$top=5`, `/beta/users`) against the Graph root and version, or
 * accepts an absolute link Graph returned (nextLink, deltaLink) verbatim — but only on the
 * configured root, so the bearer token can never be sent to another host.
 */
export function resolveGraphUrl(root: string, version: string, pathOrUrl: string): string {
  if (/^https?:\/\//i.test(pathOrUrl)) {
    if (pathOrUrl.startsWith(root + "/")) return pathOrUrl;
    let origin = "an invalid URL";
    try {
      origin = new URL(pathOrUrl).origin;
    } catch {}
    throw createError("GRAPH_FOREIGN_URL", { origin, graphRoot: root });
  }
  const path = pathOrUrl.startsWith("/") ? pathOrUrl : "/" + pathOrUrl;
  return /^\/(v1\.0|beta)(\/|\?|$)/.test(path) ? root + path : `${root}/${version}${path}`;
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
